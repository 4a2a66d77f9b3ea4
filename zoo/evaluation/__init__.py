"""Evaluation of trained models, one module per job; the scripts under benchmarks/ call them.

- `frechet`: the Fréchet distance between Gaussians fitted to features (FID's formula);
- `coverage`: the share of each class among generated samples and its reverse KL to uniform;
- `precision_recall`: improved precision and recall in a feature space (Kynkäänniemi et al.
  2019): how many samples lie on the data's manifold, and how much of it they cover;
- `mode_coverage`: mode coverage on the 2-D Gaussian-mixture benchmarks of mode collapse;
- `classifiers`: the feature classifiers (digits, horse vs zebra), trained once and cached
  through `cache`;
- `sampling`: images drawn in bulk through an export's `sample` signature, with its settings;
- `translation`: held-out figures of translation models (inpainting, restyling, horse <-> zebra);
- `throughput`: training speed, and a family's step written as the Keras tutorials do.
- `outliers`: AUROC, one-class MNIST, out-of-distribution sets and the linear separability
  of codes: what benchmarks/outlier_detection.py measures.

The numpy-only functions are importable from the package itself; the others, which
need TensorFlow, from their modules.
"""

from zoo.evaluation.coverage import class_shares, reverse_kl_to_uniform
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.evaluation.mode_coverage import (GRID_STD, HIGH_QUALITY_STDS, MIXTURES, RING_STD, Mixture,
                                          get_mixture, grid_modes, mode_coverage, ring_modes,
                                          sample_mixture)
from zoo.evaluation.outliers import auroc
from zoo.evaluation.precision_recall import knn_radii, manifold_share, precision_recall

__all__ = ["GRID_STD", "HIGH_QUALITY_STDS", "MIXTURES", "Mixture", "RING_STD", "auroc",
           "class_shares", "feature_statistics", "frechet_distance", "get_mixture", "grid_modes",
           "knn_radii", "manifold_share", "mode_coverage", "precision_recall",
           "reverse_kl_to_uniform", "ring_modes", "sample_mixture"]
