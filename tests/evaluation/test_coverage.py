"""Class shares and the reverse KL to uniform, at their limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zoo.evaluation.coverage import class_shares, reverse_kl_to_uniform


def test_reverse_kl_to_uniform_limits():
    assert reverse_kl_to_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    assert reverse_kl_to_uniform(np.eye(10)[3]) == pytest.approx(math.log(10))
    assert reverse_kl_to_uniform(np.array([0.5, 0.5, 0, 0])) == pytest.approx(math.log(2))


def test_class_shares_count_every_class_including_absent_ones():
    shares = class_shares(np.array([2, 2, 0, 2]), 4)
    np.testing.assert_array_equal(shares, [0.25, 0.0, 0.75, 0.0])
    assert reverse_kl_to_uniform(shares) == pytest.approx(
        0.25 * math.log(4 * 0.25) + 0.75 * math.log(4 * 0.75))
    with pytest.raises(ValueError, match="non-empty"):
        class_shares(np.array([], np.int64), 4)
