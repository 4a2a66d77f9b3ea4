"""Throughput timing: the model and a baseline step in alternate epochs, or the model alone."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.evaluation.throughput import images_per_second, interleaved


@pytest.fixture(scope="module")
def model() -> keras.Model:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    return model


BATCH = (np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32))


def test_the_model_and_the_baseline_get_one_rate_per_timed_epoch(model):
    calls = []

    def baseline(batch):
        calls.append(batch)
        return tf.constant(0.0)

    model_rates, baseline_rates = interleaved(model, baseline, BATCH, steps=3, runs=2,
                                              batch_size=4)
    assert len(model_rates) == len(baseline_rates) == 2
    assert all(rate > 0 for rate in model_rates + baseline_rates)
    assert len(calls) == 3 * 3  # a warm-up epoch, then two timed ones


def test_without_a_baseline_the_model_alone_is_timed(model):
    model_rates, baseline_rates = interleaved(model, None, BATCH, steps=2, runs=2, batch_size=4)
    assert len(model_rates) == 2 and all(rate > 0 for rate in model_rates)
    assert baseline_rates is None


def test_images_per_second_leaves_out_the_warm_up_epoch(model):
    dataset = tf.data.Dataset.from_tensors(BATCH).repeat()
    rates = images_per_second(model, dataset, steps=2, runs=3, batch_size=4)
    assert len(rates) == 3 and all(rate > 0 for rate in rates)
