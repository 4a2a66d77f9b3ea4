"""Mode coverage: the mixtures' geometry and the three figures on samples of known coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zoo.evaluation import (GRID_STD, MIXTURES, RING_STD, grid_modes, mode_coverage, ring_modes,
                            sample_mixture)

# P(|x - mu| < 3 sigma) for an isotropic 2-D Gaussian: the radius is Rayleigh distributed.
TWO_D_THREE_SIGMA = 1.0 - math.exp(-4.5)


def test_ring_means_sit_at_multiples_of_45_degrees_without_duplicates():
    modes = ring_modes()
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(modes[0], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(modes[2], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(modes[4], [-1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(modes[1], [math.sqrt(0.5)] * 2, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 1.0)
    gaps = np.linalg.norm(modes[:, None] - modes[None], axis=-1)[~np.eye(8, dtype=bool)]
    assert gaps.min() == pytest.approx(2 * math.sin(math.pi / 8))


def test_grid_means_are_the_25_points_of_the_lattice():
    modes = grid_modes()
    assert modes.shape == (25, 2)
    assert {tuple(mode) for mode in modes.tolist()} == {
        (x, y) for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)}
    assert MIXTURES["grid"].std == GRID_STD == 0.05 and MIXTURES["ring"].std == RING_STD == 0.01


def test_samples_on_one_mode_cover_one_mode_with_the_largest_reverse_kl():
    modes, std = MIXTURES["ring"]
    samples = modes[3] + std * np.random.default_rng(0).standard_normal((500, 2)) * 0.5
    result = mode_coverage(samples, modes, std)
    assert result["modes"] == 1
    assert result["high_quality"] == pytest.approx(1.0, abs=0.01)
    assert result["reverse_kl"] == pytest.approx(math.log(8))


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_the_means_repeated_equally_are_perfect(name):
    modes, std = MIXTURES[name]
    result = mode_coverage(np.tile(modes, (7, 1)), modes, std)
    assert result == {"modes": len(modes), "high_quality": 1.0, "reverse_kl": 0.0}
    assert isinstance(result["modes"], int) and isinstance(result["high_quality"], float)


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_samples_of_the_mixture_cover_every_mode_with_the_two_d_three_sigma_mass(name):
    modes, std = MIXTURES[name]
    count = 40_000
    result = mode_coverage(sample_mixture(name, count, seed=1), modes, std)
    assert result["modes"] == len(modes)
    # Five binomial standard errors around 1 - exp(-4.5) ~= 0.9889.
    tolerance = 5 * math.sqrt(TWO_D_THREE_SIGMA * (1 - TWO_D_THREE_SIGMA) / count)
    assert result["high_quality"] == pytest.approx(TWO_D_THREE_SIGMA, abs=tolerance)
    # A multinomial histogram's KL to its true weights is about (K - 1) / (2 n).
    assert result["reverse_kl"] < 5 * (len(modes) - 1) / (2 * count)


def test_samples_far_from_every_mode_cover_nothing():
    modes, std = MIXTURES["grid"]
    samples = np.full((100, 2), 10.0) + np.random.default_rng(0).standard_normal((100, 2))
    result = mode_coverage(samples, modes, std)
    assert result["modes"] == 0 and result["high_quality"] == 0.0
    # No high-quality sample at all: defined as log K, the score of a full collapse.
    assert result["reverse_kl"] == pytest.approx(math.log(25))


def test_the_threshold_is_three_standard_deviations_in_euclidean_distance():
    modes, std = MIXTURES["ring"]
    direction = np.array([math.sqrt(0.5), -math.sqrt(0.5)])
    inside = modes[0] + 2.99 * std * direction
    outside = modes[0] + 3.01 * std * direction
    result = mode_coverage(np.stack([inside, outside]), modes, std)
    assert result["high_quality"] == 0.5 and result["modes"] == 1


def test_uneven_coverage_gives_the_kl_of_its_histogram():
    modes, std = MIXTURES["ring"]
    samples = np.concatenate([np.repeat(modes[:1], 3, axis=0), modes[1:2], [[5.0, 5.0]]])
    result = mode_coverage(samples, modes, std)
    expected = 0.75 * math.log(0.75 * 8) + 0.25 * math.log(0.25 * 8)
    assert result == {"modes": 2, "high_quality": 0.8, "reverse_kl": pytest.approx(expected)}


def test_non_finite_samples_are_never_high_quality():
    modes, std = MIXTURES["ring"]
    samples = np.array([[np.nan, np.nan], [np.inf, 0.0], [1.0, 0.0]])
    result = mode_coverage(samples, modes, std)
    assert result["modes"] == 1 and result["high_quality"] == pytest.approx(1 / 3)


def test_sample_mixture_is_seeded_float32_and_uses_every_mode():
    first = sample_mixture("grid", 5000, seed=3)
    assert first.dtype == np.float32 and first.shape == (5000, 2)
    np.testing.assert_array_equal(first, sample_mixture("grid", 5000, seed=3))
    assert not np.array_equal(first, sample_mixture("grid", 5000, seed=4))
    nearest = np.argmin(np.linalg.norm(first[:, None] - grid_modes()[None], axis=-1), axis=1)
    counts = np.bincount(nearest, minlength=25)
    assert counts.min() > 0.7 * 5000 / 25 and counts.max() < 1.3 * 5000 / 25


def test_bad_arguments_are_refused_with_a_message():
    modes, std = MIXTURES["ring"]
    with pytest.raises(ValueError, match="Unknown mixture 'spiral'"):
        sample_mixture("spiral", 10, seed=0)
    with pytest.raises(ValueError, match="count"):
        sample_mixture("ring", -1, seed=0)
    with pytest.raises(ValueError, match="samples"):
        mode_coverage(np.zeros((4, 3)), modes, std)
    with pytest.raises(ValueError, match="samples"):
        mode_coverage(np.zeros((0, 2)), modes, std)
    with pytest.raises(ValueError, match="std"):
        mode_coverage(np.zeros((4, 2)), modes, 0.0)
