"""Improved precision and recall of generated samples in a feature space (Kynkäänniemi et al. 2019).

Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing Generative
Models" (NeurIPS 2019), estimate each distribution's support, the manifold, as the
union of hyperspheres around its feature vectors, each of radius the distance to
its k-th nearest neighbour in the same set (k = 3 in the paper):

- precision: the share of generated vectors inside the real manifold, i.e. within
  the radius of at least one real vector (how many samples look real);
- recall: the share of real vectors inside the generated manifold, with radii from
  the generated set's own nearest neighbours (how much of the data is covered).

A vector's k-th nearest neighbour is among the *other* vectors of its set: the
vector itself is not counted (a duplicate of it is, at distance 0). Distances are
Euclidean, computed in float64 with numpy in blocks of rows, so that 10,000 x
10,000 vectors never hold more than one block of their distance matrix in memory.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["DEFAULT_K", "knn_radii", "manifold_share", "precision_recall"]

DEFAULT_K = 3
"""The neighbourhood size of Kynkäänniemi et al. 2019."""
BLOCK_ENTRIES = 1 << 22
"""The most distances held at once: 4M float64, 32 MB a block."""


def _vectors(features: np.ndarray, name: str) -> np.ndarray:
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) == 0:
        raise ValueError(f"{name} must be a non-empty (count, dimensions) array; got shape "
                         f"{features.shape}.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} must be finite.")
    return features


def _squared_distance_blocks(rows: np.ndarray, columns: np.ndarray,
                             block_entries: int = BLOCK_ENTRIES
                             ) -> Iterator[tuple[int, np.ndarray]]:
    """`(start, block)`: the squared distances of rows[start:start + n] to every column
    vector, (n, len(columns)), for consecutive blocks covering all the rows."""
    column_norms = np.einsum("ij,ij->i", columns, columns)
    step = max(1, block_entries // len(columns))
    for start in range(0, len(rows), step):
        block = rows[start:start + step]
        squared = (np.einsum("ij,ij->i", block, block)[:, None] + column_norms[None, :]
                   - 2.0 * block @ columns.T)
        # |a|^2 + |b|^2 - 2ab can round below 0 for vectors that (nearly) coincide.
        yield start, np.maximum(squared, 0.0)


def knn_radii(features: np.ndarray, k: int = DEFAULT_K,
              block_entries: int = BLOCK_ENTRIES) -> np.ndarray:
    """Each vector's distance to its k-th nearest neighbour among the other vectors of the set.

    Args:
        features: (n, d) feature vectors, n > k.
        k: the neighbour whose distance is the radius; the vector itself is never counted.
        block_entries: the most pairwise distances held in memory at once.

    Returns:
        float64 (n,) radii.

    Raises:
        ValueError: k < 1, fewer than k + 1 vectors, or features that are not a finite
            (n, d) array.

    Example:
        >>> knn_radii(np.array([[0.0], [1.0], [3.0]]), k=1).tolist()  # 0's nearest other is 1
        [1.0, 1.0, 2.0]
    """
    features = _vectors(features, "features")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}.")
    if len(features) <= k:
        raise ValueError(f"The {k}-th nearest neighbour needs at least {k + 1} vectors; got "
                         f"{len(features)}.")
    radii = np.empty(len(features))
    for start, squared in _squared_distance_blocks(features, features, block_entries):
        rows = np.arange(len(squared))
        squared[rows, start + rows] = np.inf  # not its own neighbour
        radii[start:start + len(squared)] = np.partition(squared, k - 1, axis=1)[:, k - 1]
    return np.sqrt(radii)


def manifold_share(queries: np.ndarray, manifold: np.ndarray, radii: np.ndarray,
                   block_entries: int = BLOCK_ENTRIES) -> float:
    """The share of query vectors within `radii[j]` of at least one `manifold[j]`.

    Args:
        queries: (m, d) vectors to test.
        manifold: (n, d) vectors whose hyperspheres make the manifold.
        radii: (n,) their radii (`knn_radii(manifold, k)`).
        block_entries: the most pairwise distances held in memory at once.

    Returns:
        A share in [0, 1]; a query on a sphere's boundary is inside.

    Example:
        >>> manifold_share(np.array([[0.5], [2.0]]), np.array([[0.0]]), np.array([1.0]))
        0.5
    """
    queries = _vectors(queries, "queries")
    manifold = _vectors(manifold, "manifold")
    radii = np.asarray(radii, np.float64)
    if queries.shape[1] != manifold.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} dimensions and the manifold "
                         f"{manifold.shape[1]}.")
    if radii.shape != (len(manifold),):
        raise ValueError(f"radii must be ({len(manifold)},), one per manifold vector; got shape "
                         f"{radii.shape}.")
    squared_radii = radii[None, :] ** 2
    inside = 0
    for _, squared in _squared_distance_blocks(queries, manifold, block_entries):
        inside += int(np.count_nonzero(np.any(squared <= squared_radii, axis=1)))
    return inside / len(queries)


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = DEFAULT_K,
                     block_entries: int = BLOCK_ENTRIES) -> tuple[float, float]:
    """Improved precision and recall of generated feature vectors against real ones.

    Args:
        real: (n, d) features of real samples, n > k.
        generated: (m, d) features of generated samples, m > k.
        k: the nearest neighbour that sets each hypersphere's radius (3 in the paper).
        block_entries: the most pairwise distances held in memory at once.

    Returns:
        `(precision, recall)`: the share of generated vectors inside the real manifold, and
        the share of real vectors inside the generated manifold.

    Raises:
        ValueError: k < 1, a set of at most k vectors, or sets of different dimensions.

    Example:
        Real points on a line 0..9; generated points on its first half and on a far copy:

        >>> real = np.arange(10.0)[:, None]
        >>> generated = np.concatenate([np.arange(5.0), 100 + np.arange(5.0)])[:, None]
        >>> precision_recall(real, generated, k=3)
        (0.5, 0.8)

        Half the generated points are far from every real one; the generated spheres reach
        from -3 to 7 (point 4's third nearest other is 1, at distance 3), so 8 of the 10 real
        points are covered.
    """
    real = _vectors(real, "real")
    generated = _vectors(generated, "generated")
    if real.shape[1] != generated.shape[1]:
        raise ValueError(f"real features have {real.shape[1]} dimensions and generated "
                         f"{generated.shape[1]}.")
    precision = manifold_share(generated, real, knn_radii(real, k, block_entries), block_entries)
    recall = manifold_share(real, generated, knn_radii(generated, k, block_entries),
                            block_entries)
    return precision, recall
