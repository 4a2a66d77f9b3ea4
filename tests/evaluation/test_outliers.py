"""AUROC, the out-of-distribution sets and the linear probe of `zoo.evaluation.outliers`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from zoo.evaluation.outliers import (COMPLEX_SETS, SIMPLE_SETS, auroc, average_ranks,
                                     linear_probe_accuracy, markdown_table, mean_and_spread,
                                     one_class_aurocs, out_of_distribution_sets)


def _pairwise(normal, anomalous) -> float:
    """AUROC by its definition: the share of (normal, anomalous) pairs the anomaly wins, ties
    counting a half."""
    pairs = list(itertools.product(normal, anomalous))
    return sum(1.0 if b > a else 0.5 if b == a else 0.0 for a, b in pairs) / len(pairs)


def test_auroc_of_a_hand_computed_case():
    # Normal 1, 3, 3, 5; anomalous 3, 4, 6. The anomaly 3 beats 1 and ties both 3s: 2 wins;
    # 4 beats 1, 3, 3: 3; 6 beats all four: 4. (2 + 3 + 4) / 12 = 0.75.
    assert auroc([1, 3, 3, 5], [3, 4, 6]) == pytest.approx(0.75)


def test_auroc_is_one_for_perfect_separation_zero_reversed_and_half_for_ties():
    assert auroc([0.1, 0.2, 0.3], [0.7, 0.9]) == 1.0
    assert auroc([0.7, 0.9], [0.1, 0.2, 0.3]) == 0.0
    assert auroc([2.0] * 5, [2.0] * 3) == 0.5
    assert auroc([5.0], [5.0]) == 0.5


def test_auroc_matches_the_pairwise_definition_with_ties_and_its_properties():
    rng = np.random.default_rng(0)
    normal = rng.integers(0, 6, 40).astype(float)  # many ties
    anomalous = rng.integers(2, 9, 25).astype(float)
    value = auroc(normal, anomalous)
    assert value == pytest.approx(_pairwise(normal, anomalous))
    # Swapping the groups mirrors it; a monotone transform of the score keeps it.
    assert auroc(anomalous, normal) == pytest.approx(1 - value)
    assert auroc(np.exp(normal), np.exp(anomalous)) == pytest.approx(value)
    assert one_class_aurocs({"s": np.r_[normal, anomalous]}, np.r_[[3] * 40, [1] * 25], 3) == {
        "s": pytest.approx(value)}


def test_average_ranks_give_ties_the_mean_of_their_ranks():
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0, 3.0])).tolist() == [4, 1, 4, 2, 4]


@pytest.mark.parametrize("normal, anomalous, message", [
    ([], [1.0], "needs normal and anomalous examples"),
    ([1.0, np.nan], [2.0], "finite scores"),
])
def test_auroc_refuses_what_it_cannot_measure(normal, anomalous, message):
    with pytest.raises(ValueError, match=message):
        auroc(normal, anomalous)


def test_out_of_distribution_sets_are_images_in_range_and_seeded():
    digits = np.random.default_rng(0).uniform(size=(10, 28, 28, 1)).astype(np.float32)
    sets = out_of_distribution_sets(digits, count=6, seed=1)
    assert list(sets) == [*SIMPLE_SETS, *COMPLEX_SETS]
    for name, images in sets.items():
        assert images.shape == (6, 28, 28, 1) and images.dtype == np.float32, name
        assert 0 <= images.min() and images.max() <= 1, name
    assert (sets["black"] == 0).all() and (sets["white"] == 1).all()
    np.testing.assert_array_equal(sets["inverted digits"], 1 - digits[:6])
    np.testing.assert_array_equal(sets["digits mirrored"], digits[:6, :, ::-1])
    for name in ("checkerboard", "rectangle", "lines"):
        assert set(np.unique(sets[name])) == {0.0, 1.0}, name
    assert (sets["overlaid digits"] >= digits[:6]).all()
    # Smooth sets change little between neighbouring pixels, noise a lot.
    for name in ("gradient", "blurred noise"):
        assert np.abs(np.diff(sets[name], axis=2)).mean() < 0.1, name
    assert np.abs(np.diff(sets["uniform noise"], axis=2)).mean() > 0.25
    again = out_of_distribution_sets(digits, count=6, seed=1)
    assert all(np.array_equal(sets[name], again[name]) for name in sets)
    other = out_of_distribution_sets(digits, count=6, seed=2)
    assert not np.array_equal(sets["uniform noise"], other["uniform noise"])


def test_the_linear_probe_reads_separable_codes_and_not_random_labels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    codes = rng.normal(size=(400, 8)) * 0.3
    codes[np.arange(400), labels] += 3.0  # each class along its own axis
    assert linear_probe_accuracy(codes[:300], labels[:300], codes[300:], labels[300:]) == 1.0
    shuffled = rng.permutation(labels)
    assert linear_probe_accuracy(codes[:300], shuffled[:300], codes[300:], shuffled[300:]) < 0.45


def test_mean_and_spread_and_the_markdown_table():
    assert mean_and_spread([0.5]) == (0.5, 0.0)
    assert mean_and_spread([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2)))
    assert markdown_table(["set", "AUROC"], [["black", "12.5 ± 0.3"], ["white", "n/a"]]) == (
        "| set | AUROC |\n| --- | ---: |\n| black | 12.5 ± 0.3 |\n| white | n/a |")
