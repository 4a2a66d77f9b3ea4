"""The moving average of a model's weights: what it averages, its update after each step on
one device and on two replicas, and the swap that puts it in the weights for an export."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.optimizers import WeightAverage


def _model() -> keras.Model:
    """Trainable weights, batch-normalisation statistics and an integer counter."""
    normalization = keras.layers.Normalization()
    normalization.adapt(np.arange(6, dtype="float32").reshape(3, 2))
    return keras.Sequential([keras.Input((2,)), normalization, keras.layers.Dense(2),
                             keras.layers.BatchNormalization()])


def _fit_one_step(model: keras.Model, average: WeightAverage, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model.fit(rng.normal(size=(4, 2)).astype("float32"),
              rng.normal(size=(4, 2)).astype("float32"), batch_size=4, epochs=1, verbose=0,
              callbacks=[average])


def test_every_float_weight_is_averaged_after_every_step():
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    average = WeightAverage(model, decay=0.75)
    floats = [weight for weight in model.weights if weight.dtype != "int64"]
    assert [weight.path for weight in average.averaged] == [weight.path for weight in floats]
    assert any("moving_mean" in weight.path for weight in average.averaged)  # not trainable
    expected = [weight.numpy() for weight in floats]
    for seed in range(3):
        _fit_one_step(model, average, seed)
        expected = [0.75 * mean + 0.25 * weight.numpy() for mean, weight in zip(expected, floats)]
    for mine, theirs in zip(average.averages, expected):
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-6)


def test_the_averages_are_swapped_in_and_the_trained_weights_back_even_on_error():
    model = _model()
    average = WeightAverage(model, decay=0.5)
    kernel = model.layers[1].kernel
    trained = kernel.numpy() + 1.0
    kernel.assign(trained)
    average.on_train_batch_end(0)
    with pytest.raises(RuntimeError), average.swapped_in():
        np.testing.assert_allclose(kernel.numpy(), trained - 0.5, rtol=1e-6)
        raise RuntimeError("the export failed")
    np.testing.assert_array_equal(kernel.numpy(), trained)


def test_two_replicas_keep_one_average(mirrored):
    with mirrored.scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        average = WeightAverage(model, decay=0.5)
    before = [weight.numpy() for weight in average.averaged]
    _fit_one_step(model, average, seed=0)
    for variable, start, weight in zip(average.averages, before, average.averaged):
        assert isinstance(variable, tf.distribute.DistributedValues)
        replicas = [value.numpy() for value in mirrored.experimental_local_results(variable)]
        np.testing.assert_allclose(replicas[0], 0.5 * start + 0.5 * weight.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(replicas[1], replicas[0])
    with average.swapped_in():
        for weight, variable in zip(average.averaged, average.averages):
            for value in mirrored.experimental_local_results(weight.value):
                np.testing.assert_array_equal(value.numpy(), variable.numpy())


def test_held_out_evaluation_during_fit_is_the_average_s_and_training_goes_on_from_the_trained():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(5)
    x, y = (rng.normal(size=(8, 2)).astype("float32") for _ in range(2))
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    average = WeightAverage(model, decay=0.5)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[average])
    with average.swapped_in():
        averaged_loss = model.evaluate(x, y, batch_size=4, verbose=0)
    trained_loss = model.evaluate(x, y, batch_size=4, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(averaged_loss, rel=1e-6)
    # The two models differ, and fit() left the trained weights in place after evaluating.
    assert abs(averaged_loss - trained_loss) > 1e-3
