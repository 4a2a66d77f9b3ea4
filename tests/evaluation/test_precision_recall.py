"""Improved precision and recall (Kynkäänniemi et al. 2019) on sets whose answer is known from
their geometry, and the blocked distances against the whole distance matrix."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.evaluation.precision_recall import knn_radii, manifold_share, precision_recall


def _grid(points_per_side: int, offset: float = 0.0) -> np.ndarray:
    """A square grid of points over [offset, offset + 1] x [0, 1]."""
    axis = np.linspace(0.0, 1.0, points_per_side)
    x, y = np.meshgrid(axis, axis)
    return np.stack([x.ravel() + offset, y.ravel()], axis=1)


def test_identical_sets_have_precision_and_recall_one():
    features = np.random.default_rng(0).normal(size=(300, 16))
    assert precision_recall(features, features.copy()) == (1.0, 1.0)


def test_a_generated_set_on_a_far_away_cluster_has_precision_and_recall_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 8))
    generated = rng.normal(size=(200, 8)) + 100.0
    assert precision_recall(real, generated) == (0.0, 0.0)


def test_covering_one_of_two_separated_clusters_gives_full_precision_and_half_recall():
    # Real: two 20 x 20 grids of spacing h = 1/19 on unit squares 10 apart. Every real radius
    # is at least h (a grid point's three nearest others are at h or more), and every point of
    # a square is within h / sqrt(2) of a grid point, so generated points drawn inside the
    # first square are all inside the real manifold: precision exactly 1.
    real = np.concatenate([_grid(20), _grid(20, offset=10.0)])
    generated = np.random.default_rng(2).uniform(0.0, 1.0, size=(1000, 2))
    precision, recall = precision_recall(real, generated, k=3)
    assert precision == 1.0
    # The second square's points are 9 or more from every generated point, whose radii are
    # at most the square's diagonal sqrt(2): recall is at most 0.5. The union of 1,000 random
    # 3-NN hyperspheres leaves a few per cent of the first square's grid points uncovered
    # (2 to 7% over seeds 0 to 9, most at its edges, where generated points are sparser):
    # recall within 0.05 below 0.5.
    assert 0.45 <= recall <= 0.5
    assert manifold_share(real[400:], generated, knn_radii(generated)) == 0.0


def test_a_jittered_copy_of_one_of_two_clusters_has_precision_one_and_recall_one_half():
    # Each generated point is within h/4 of its own grid point of the first square (h the
    # spacing), so inside that point's sphere (radius >= h): precision 1. Two generated points
    # are at least h - h/2 apart, so each generated radius is at least h/2 > h/4 and covers its
    # grid point; the second square is 9 away: recall exactly 1/2.
    h = 1.0 / 19
    real = np.concatenate([_grid(20), _grid(20, offset=10.0)])
    rng = np.random.default_rng(4)
    directions = rng.normal(size=(400, 2))
    jitter = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(
        0.0, h / 4, size=(400, 1))
    assert precision_recall(real, real[:400] + jitter, k=3) == (1.0, 0.5)


def test_the_kth_neighbour_is_among_the_other_vectors():
    points = np.array([[0.0], [1.0], [3.0], [10.0]])
    assert knn_radii(points, k=1).tolist() == [1.0, 1.0, 2.0, 7.0]
    assert knn_radii(points, k=3).tolist() == [10.0, 9.0, 7.0, 10.0]
    # A duplicate is another vector, at distance 0.
    assert knn_radii(np.array([[0.0], [0.0], [5.0]]), k=1).tolist() == [0.0, 0.0, 5.0]
    # Counting each vector as its own nearest neighbour would give every radius 0 and
    # precision 0 here: 2 is within 1 of the real point 1, whose nearest other is 0.
    precision, recall = precision_recall(points, np.array([[2.0], [2.5]]), k=1)
    assert precision == 1.0
    # Generated radii are 0.5 each: 1 is 1 from 2, 3 is 0.5 from 2.5.
    assert recall == 0.25
    with pytest.raises(ValueError, match="at least 4 vectors"):
        knn_radii(points[:3], k=3)
    with pytest.raises(ValueError, match="at least 1"):
        knn_radii(points, k=0)


def test_blocks_of_any_size_give_the_whole_matrix_answer():
    rng = np.random.default_rng(3)
    real, generated = rng.normal(size=(57, 5)), rng.normal(0.3, 1.2, size=(43, 5))
    distances = np.linalg.norm(real[:, None] - real[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    radii = np.sort(distances, axis=1)[:, 2]
    np.testing.assert_allclose(knn_radii(real, k=3, block_entries=7), radii, rtol=1e-12)
    inside = np.linalg.norm(generated[:, None] - real[None], axis=-1) <= radii[None]
    expected = inside.any(axis=1).mean()
    for block_entries in (1, 7, 100, 10_000):
        assert manifold_share(generated, real, radii, block_entries) == expected
    assert precision_recall(real, generated, block_entries=7) == precision_recall(real, generated)


def test_sets_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="dimensions"):
        precision_recall(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        precision_recall(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"\(count, dimensions\)"):
        precision_recall(np.zeros(5), np.zeros((5, 1)))
