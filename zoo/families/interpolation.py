"""Interpolation between two latent or noise vectors, for the walks of the generators' plots."""

from __future__ import annotations

import numpy as np


def slerp(start: np.ndarray, end: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Spherical interpolation between two latent vectors (White 2016), one row per step.

    Example:
        >>> slerp(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.5])).round(3)
        array([[0.707, 0.707]])
    """
    unit_start, unit_end = start / np.linalg.norm(start), end / np.linalg.norm(end)
    angle = np.arccos(np.clip(np.dot(unit_start, unit_end), -1.0, 1.0))
    if angle < 1e-6:
        return np.outer(1 - steps, start) + np.outer(steps, end)
    return (np.outer(np.sin((1 - steps) * angle), start)
            + np.outer(np.sin(steps * angle), end)) / np.sin(angle)
