"""Interpolation between two latent vectors or starting noises, for the generators' walks."""

from __future__ import annotations

import numpy as np


def slerp(start: np.ndarray, end: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Spherical interpolation between two latent vectors or noises of any shape (White 2016).

    Args:
        start, end: arrays of one shape: latent vectors (d,), or a diffusion model's
            starting noises (H, W, C); the angle between them is that of the flattened arrays.
        steps: the fractions of the way from `start` to `end` (0 is `start`, 1 is `end`).

    Returns:
        One array per step, stacked: shape (len(steps), *start.shape).

    Example:
        >>> slerp(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.5])).round(3)
        array([[0.707, 0.707]])
        >>> slerp(np.ones((28, 28, 1)), -np.ones((28, 28, 1)) + 0.1, np.linspace(0, 1, 9)).shape
        (9, 28, 28, 1)
    """
    start, end = np.asarray(start), np.asarray(end)
    if start.shape != end.shape:
        raise ValueError(f"slerp needs two arrays of one shape; got {start.shape} and "
                         f"{end.shape}")
    flat_start, flat_end, steps = start.ravel(), end.ravel(), np.asarray(steps, np.float64)
    unit_start = flat_start / np.linalg.norm(flat_start)
    unit_end = flat_end / np.linalg.norm(flat_end)
    angle = np.arccos(np.clip(np.dot(unit_start, unit_end), -1.0, 1.0))
    if angle < 1e-6:
        walk = np.outer(1 - steps, flat_start) + np.outer(steps, flat_end)
    else:
        walk = (np.outer(np.sin((1 - steps) * angle), flat_start)
                + np.outer(np.sin(steps * angle), flat_end)) / np.sin(angle)
    return walk.reshape((len(steps), *start.shape)).astype(np.result_type(start, end), copy=False)
