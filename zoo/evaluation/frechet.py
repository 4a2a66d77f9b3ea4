"""The Fréchet distance between Gaussians fitted to features (Heusel et al. 2017).

FID (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to
a Local Nash Equilibrium", NeurIPS 2017) fits a Gaussian to the features of
real and of generated images and reports the Fréchet (2-Wasserstein) distance
between the two:

    d^2 = ||m1 - m2||^2 + Tr(C1 + C2 - 2 (C1 C2)^{1/2}).

The matrix square root is taken without scipy. C1 C2 is not symmetric, but it
is similar to the symmetric positive semi-definite S = C1^{1/2} C2 C1^{1/2}
(conjugate by C1^{1/2}), so both have the same eigenvalues and
Tr((C1 C2)^{1/2}) = sum_i sqrt(lambda_i(S)). Symmetric eigen-decompositions
are accurate and need no regularising offset for singular covariances, as
come from fewer samples than features.
"""

from __future__ import annotations

import numpy as np

__all__ = ["feature_statistics", "frechet_distance"]


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    # Rounding leaves eigenvalues of a singular PSD matrix slightly below zero.
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


def _as_gaussian(mean: np.ndarray, cov: np.ndarray, which: str) -> tuple[np.ndarray, np.ndarray]:
    mean = np.atleast_1d(np.asarray(mean, np.float64))
    cov = np.atleast_2d(np.asarray(cov, np.float64))
    if mean.ndim != 1:
        raise ValueError(f"mean{which} must be a vector; got shape {mean.shape}.")
    if cov.shape != (mean.size, mean.size):
        raise ValueError(f"cov{which} must be ({mean.size}, {mean.size}) to match "
                         f"mean{which}; got shape {cov.shape}.")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise ValueError(f"mean{which} and cov{which} must be finite.")
    # Covariances estimated in float32 or summed in another order are symmetric only up to
    # rounding; eigh reads one triangle, so make both agree.
    return mean, (cov + cov.T) / 2.0


def frechet_distance(mean1: np.ndarray, cov1: np.ndarray,
                     mean2: np.ndarray, cov2: np.ndarray) -> float:
    """The Fréchet distance between N(mean1, cov1) and N(mean2, cov2).

    This is the squared 2-Wasserstein distance between the Gaussians,
    ||m1 - m2||^2 + Tr(C1 + C2 - 2 (C1 C2)^{1/2}), the quantity FID reports
    (Heusel et al. 2017). Computed in float64 with numpy alone; singular
    covariances are fine.

    Args:
        mean1: mean of the first Gaussian, shape (d,).
        cov1: its covariance, symmetric positive semi-definite, shape (d, d).
        mean2: mean of the second Gaussian, shape (d,).
        cov2: its covariance, shape (d, d).

    Returns:
        The distance, a float >= 0 (0 for identical Gaussians up to rounding).

    Raises:
        ValueError: shapes that do not match, or values that are not finite.

    Example:
        >>> frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1))  # 1 + (1 - 2)^2
        2.0
    """
    mean1, cov1 = _as_gaussian(mean1, cov1, "1")
    mean2, cov2 = _as_gaussian(mean2, cov2, "2")
    if mean1.shape != mean2.shape:
        raise ValueError(f"The Gaussians have different dimensions: {mean1.size} and "
                         f"{mean2.size}.")
    root1 = _psd_sqrt(cov1)
    product = root1 @ cov2 @ root1
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    trace_root = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    difference = mean1 - mean2
    distance = difference @ difference + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_root
    # The exact value is >= 0; cancellation between the traces can leave a tiny negative.
    return float(max(distance, 0.0))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the (unbiased) covariance of a set of feature vectors.

    Args:
        features: one feature vector per row, shape (n, d) with n >= 2.

    Returns:
        `(mean, cov)` in float64, of shapes (d,) and (d, d).

    Raises:
        ValueError: not a 2-D array, fewer than two rows, or values that are not finite.

    Example:
        >>> mean, cov = feature_statistics(np.array([[0.0, 1.0], [2.0, 3.0]]))
        >>> mean.tolist(), cov.tolist()
        ([1.0, 2.0], [[2.0, 2.0], [2.0, 2.0]])
    """
    features = np.asarray(features, np.float64)
    if features.ndim != 2:
        raise ValueError(f"features must be (count, dimensions); got shape {features.shape}.")
    if len(features) < 2:
        raise ValueError(f"A covariance needs at least 2 feature vectors; got {len(features)}.")
    if not np.all(np.isfinite(features)):
        raise ValueError("features must be finite.")
    # np.cov returns a scalar for one feature; keep the (d, d) shape.
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))
