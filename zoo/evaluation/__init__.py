"""Evaluation of trained generators: mode coverage on the 2-D Gaussian-mixture benchmarks."""

from zoo.evaluation.mode_coverage import (GRID_STD, HIGH_QUALITY_STDS, MIXTURES, RING_STD, Mixture,
                                          get_mixture, grid_modes, mode_coverage, ring_modes,
                                          sample_mixture)

__all__ = ["GRID_STD", "HIGH_QUALITY_STDS", "MIXTURES", "Mixture", "RING_STD", "get_mixture",
           "grid_modes", "mode_coverage", "ring_modes", "sample_mixture"]
