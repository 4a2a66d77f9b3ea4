"""Mode coverage of a 2-D generator on the Gaussian-mixture benchmarks of mode collapse.

The two mixtures and the three figures are those of VEEGAN (Srivastava et al.
2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
Learning", Sec. 5.1) and PacGAN (Lin et al. 2018, "PacGAN: The power of two
samples in generative adversarial networks", Sec. 4.1, Table 1):

- `ring`: 8 equally weighted isotropic Gaussians, means on the unit circle at
  angles 2 pi i / 8 (i = 0..7), standard deviation 0.01;
- `grid`: 25 equally weighted isotropic Gaussians, means on {-4, -2, 0, 2, 4}^2,
  standard deviation 0.05.

Each generated sample is assigned to its nearest mode (Euclidean distance) and
is *high quality* when it lies within 3 standard deviations of that mode. Then

- `modes`: the number of modes that own at least one high-quality sample;
- `high_quality`: the fraction of all samples that are high quality;
- `reverse_kl`: KL(p || u) = sum_i p_i log(p_i K), where p is the histogram of
  the high-quality samples over the K modes (normalised over the high-quality
  samples only) and u the uniform distribution of the mixture's weights.

3 standard deviations in 2-D hold 1 - exp(-9 / 2) ~= 98.9% of a Gaussian (the
radius of an isotropic 2-D Gaussian follows a Rayleigh law), so samples of the
mixture itself score `high_quality` ~= 0.989, not the 99.7% of the 1-D rule.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from zoo.evaluation.coverage import reverse_kl_to_uniform

RING_STD = 0.01
GRID_STD = 0.05
# A sample farther than this many standard deviations from every mode is not high quality.
HIGH_QUALITY_STDS = 3.0


class Mixture(NamedTuple):
    """An equally weighted mixture of isotropic Gaussians: means (K, 2) and one std."""

    modes: np.ndarray
    std: float


def ring_modes() -> np.ndarray:
    """The 8 means of the ring mixture: the unit circle at angles 2 pi i / 8.

    Returns:
        float64 array (8, 2); mode 0 is (1, 0), mode 2 is (0, 1).

    Example:
        >>> ring_modes()[0].tolist()
        [1.0, 0.0]
    """
    # Angles from arange, not linspace(0, 2 pi, 8), which would repeat (1, 0) as its last point.
    angles = 2.0 * np.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_modes() -> np.ndarray:
    """The 25 means of the grid mixture: {-4, -2, 0, 2, 4}^2.

    Returns:
        float64 array (25, 2), ordered by the first coordinate, then the second.

    Example:
        >>> grid_modes()[:2].tolist()
        [[-4.0, -4.0], [-4.0, -2.0]]
    """
    values = (-4.0, -2.0, 0.0, 2.0, 4.0)
    return np.array(list(itertools.product(values, values)))


MIXTURES: dict[str, Mixture] = {"ring": Mixture(ring_modes(), RING_STD),
                                "grid": Mixture(grid_modes(), GRID_STD)}


def get_mixture(name: str) -> Mixture:
    """The mixture registered under `name` (`ring` or `grid`).

    Args:
        name: a key of `MIXTURES`.

    Returns:
        Its `Mixture` (modes and standard deviation).

    Example:
        >>> get_mixture("grid").std
        0.05
    """
    if name not in MIXTURES:
        raise ValueError(f"Unknown mixture {name!r}; choose one of {', '.join(MIXTURES)}.")
    return MIXTURES[name]


def sample_mixture(name: str, count: int, seed: int) -> np.ndarray:
    """Draws points from a mixture: a mode uniformly at random, then a Gaussian around it.

    Args:
        name: `ring` or `grid`.
        count: number of points.
        seed: seed of the draw; the same seed gives the same points.

    Returns:
        float32 array (count, 2).

    Example:
        >>> sample_mixture("ring", 4, seed=0).shape
        (4, 2)
    """
    modes, std = get_mixture(name)
    if int(count) != count or count < 0:
        raise ValueError(f"count must be a non-negative integer; got {count!r}.")
    rng = np.random.default_rng(seed)
    choice = rng.integers(len(modes), size=int(count))
    points = modes[choice] + std * rng.standard_normal((int(count), modes.shape[1]))
    return points.astype(np.float32)


def mode_coverage(samples: np.ndarray, modes: np.ndarray, std: float) -> dict[str, float | int]:
    """Modes covered, fraction of high-quality samples and reverse KL of generated samples.

    A sample is high quality when its Euclidean distance to its nearest mode is
    below 3 `std`; it then counts towards that mode. Non-finite samples are
    never high quality.

    Args:
        samples: generated points, (N, D) with N >= 1.
        modes: the mixture's means, (K, D).
        std: the mixture's (common, isotropic) standard deviation.

    Returns:
        `modes` (int): modes owning at least one high-quality sample;
        `high_quality` (float): fraction of the N samples that are high quality;
        `reverse_kl` (float, nats): KL(p || uniform over the K modes), p the
        histogram of the high-quality samples over the modes (empty modes add
        0, as 0 log 0 = 0). With no high-quality sample at all p is undefined;
        it is then taken as log K, the value of a generator stuck on one mode,
        so that a total failure never scores better than a collapse.

    Example:
        >>> mixture = MIXTURES["ring"]
        >>> mode_coverage(np.repeat(mixture.modes, 10, axis=0), *mixture)
        {'modes': 8, 'high_quality': 1.0, 'reverse_kl': 0.0}
    """
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    if modes.ndim != 2 or len(modes) == 0:
        raise ValueError(f"modes must be a non-empty (K, D) array; got shape {modes.shape}.")
    if samples.ndim != 2 or samples.shape[1] != modes.shape[1] or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty (N, {modes.shape[1]}) array; "
                         f"got shape {samples.shape}.")
    if not std > 0:
        raise ValueError(f"std must be positive; got {std!r}.")
    distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    nearest = np.argmin(np.nan_to_num(distances, nan=np.inf), axis=1)
    nearest_distance = distances[np.arange(len(samples)), nearest]
    # NaN compares False, so a diverged generator's samples are never high quality.
    good = nearest_distance < HIGH_QUALITY_STDS * std
    counts = np.bincount(nearest[good], minlength=len(modes))
    total = int(counts.sum())
    reverse_kl = reverse_kl_to_uniform(counts / total) if total else math.log(len(modes))
    return {"modes": int(np.count_nonzero(counts)), "high_quality": total / len(samples),
            "reverse_kl": reverse_kl}
