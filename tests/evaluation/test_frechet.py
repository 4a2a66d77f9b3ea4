"""The Fréchet distance between Gaussians against closed forms and an independent square root."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.evaluation.frechet import feature_statistics, frechet_distance


def _random_covariance(rng: np.random.Generator, dim: int) -> np.ndarray:
    factor = rng.normal(size=(dim, dim))
    return factor @ factor.T + 0.1 * np.eye(dim)


def _denman_beavers_sqrt(matrix: np.ndarray, iterations: int = 60) -> np.ndarray:
    """A square root of a matrix with positive real eigenvalues, by Denman-Beavers iteration.

    Works on the non-symmetric product C1 C2 directly, so it shares nothing with the
    symmetric eigen-decomposition the implementation uses.
    """
    y, z = matrix.copy(), np.eye(len(matrix))
    for _ in range(iterations):
        y, z = (y + np.linalg.inv(z)) / 2.0, (z + np.linalg.inv(y)) / 2.0
    return y


def test_identical_gaussians_are_at_distance_zero():
    rng = np.random.default_rng(0)
    mean, cov = rng.normal(size=6), _random_covariance(rng, 6)
    assert frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("m1, s1, m2, s2", [(0.0, 1.0, 0.0, 1.0), (1.0, 2.0, -0.5, 0.5),
                                            (3.0, 0.1, 3.0, 10.0), (0.0, 0.0, 2.0, 3.0)])
def test_one_dimensional_closed_form(m1, s1, m2, s2):
    expected = (m1 - m2) ** 2 + (s1 - s2) ** 2
    assert frechet_distance([m1], [[s1 ** 2]], [m2], [[s2 ** 2]]) == pytest.approx(
        expected, abs=1e-9)


def test_diagonal_covariances_closed_form():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.01, 5.0, 8), rng.uniform(0.01, 5.0, 8)
    m1, m2 = rng.normal(size=8), rng.normal(size=8)
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_identity_against_a_full_covariance_closed_form():
    # With C1 = I the square root is that of C2 alone: the sum of (1 - sqrt(eigenvalue))^2.
    rng = np.random.default_rng(2)
    cov = _random_covariance(rng, 5)
    expected = np.sum((1.0 - np.sqrt(np.linalg.eigvalsh(cov))) ** 2)
    assert frechet_distance(np.zeros(5), np.eye(5), np.zeros(5), cov) == pytest.approx(
        expected, rel=1e-9)


def test_symmetric_in_its_arguments():
    rng = np.random.default_rng(3)
    m1, m2 = rng.normal(size=7), rng.normal(size=7)
    c1, c2 = _random_covariance(rng, 7), _random_covariance(rng, 7)
    assert frechet_distance(m1, c1, m2, c2) == pytest.approx(frechet_distance(m2, c2, m1, c1),
                                                             rel=1e-10)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_non_commuting_covariances_match_an_independent_square_root(seed):
    rng = np.random.default_rng(seed)
    dim = 6
    m1, m2 = rng.normal(size=dim), rng.normal(size=dim)
    c1, c2 = _random_covariance(rng, dim), _random_covariance(rng, dim)
    assert not np.allclose(c1 @ c2, c2 @ c1)
    product = c1 @ c2
    root = _denman_beavers_sqrt(product)
    np.testing.assert_allclose(root @ root, product, rtol=1e-8, atol=1e-8)
    expected = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2.0 * root)
    assert frechet_distance(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-8)


def test_singular_covariances_from_fewer_samples_than_features():
    rng = np.random.default_rng(7)
    first = feature_statistics(rng.normal(size=(5, 20)))
    second = feature_statistics(rng.normal(size=(5, 20)) + 1.0)
    assert np.linalg.matrix_rank(first[1]) < 20
    distance = frechet_distance(*first, *second)
    assert np.isfinite(distance) and distance > 0
    assert frechet_distance(*first, *first) == pytest.approx(0.0, abs=1e-8)


def test_samples_of_one_distribution_are_close_and_closer_with_more_samples():
    rng = np.random.default_rng(8)
    dim = 4
    mean, cov = rng.normal(size=dim), _random_covariance(rng, dim)
    far = frechet_distance(mean, cov, mean + 1.0, cov)

    def between_samples(count: int) -> float:
        draws = [rng.multivariate_normal(mean, cov, count) for _ in range(2)]
        return frechet_distance(*feature_statistics(draws[0]), *feature_statistics(draws[1]))

    few, many = between_samples(200), between_samples(20_000)
    assert few < 0.2 * far
    assert many < few / 10
    assert many < 0.01


def test_feature_statistics_are_the_mean_and_unbiased_covariance():
    rng = np.random.default_rng(9)
    features = rng.normal(size=(50, 3)).astype(np.float32)
    mean, cov = feature_statistics(features)
    assert mean.dtype == np.float64 and mean.shape == (3,) and cov.shape == (3, 3)
    np.testing.assert_allclose(mean, features.astype(np.float64).mean(axis=0))
    centred = features.astype(np.float64) - mean
    np.testing.assert_allclose(cov, centred.T @ centred / 49)
    assert feature_statistics(features[:, :1])[1].shape == (1, 1)


@pytest.mark.parametrize("features", [np.zeros((1, 3)), np.zeros(5), np.full((3, 2), np.nan)])
def test_feature_statistics_refuses_unusable_features(features):
    with pytest.raises(ValueError):
        feature_statistics(features)


def test_frechet_distance_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="different dimensions"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="cov1"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
