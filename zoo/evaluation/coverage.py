"""How evenly generated samples cover the classes of the data: class shares, reverse KL.

A classifier's verdicts on generated images give the share of each class among
them, and the reverse KL divergence of that distribution to the uniform one,
KL(p || uniform) = sum_k p_k log(K p_k): 0 when every class is drawn equally
often, log K when only one is (mode collapse); log 10 = 2.303 nats for digits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_shares", "reverse_kl_to_uniform"]


def class_shares(predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """The share of each class among predicted classes.

    Args:
        predicted: one class index in [0, num_classes) per sample, (N,) with N >= 1.
        num_classes: K, the number of classes.

    Returns:
        float64 array (K,) summing to 1.

    Example:
        >>> class_shares(np.array([0, 0, 1, 3]), 4).tolist()
        [0.5, 0.25, 0.0, 0.25]
    """
    predicted = np.asarray(predicted)
    if predicted.ndim != 1 or len(predicted) == 0:
        raise ValueError(f"predicted must be a non-empty vector; got shape {predicted.shape}.")
    return np.bincount(predicted, minlength=num_classes) / len(predicted)


def reverse_kl_to_uniform(shares: np.ndarray) -> float:
    """KL(p || uniform) = sum_k p_k log(K p_k) in nats, with 0 log 0 = 0.

    Args:
        shares: a distribution over K classes.

    Returns:
        The divergence, 0 for the uniform distribution and log K for a single class.

    Example:
        >>> round(reverse_kl_to_uniform(np.array([1.0, 0.0, 0.0, 0.0])), 4)  # log 4
        1.3863
    """
    shares = np.asarray(shares, np.float64)
    present = shares[shares > 0]
    # Gibbs' inequality makes it >= 0; rounding near the uniform can dip below.
    return float(max(np.sum(present * np.log(len(shares) * present)), 0.0))
