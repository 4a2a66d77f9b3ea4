"""Per-network optimizers and the step-based schedule, before and after a resume."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.optimizers import ConstantThenLinearDecay, make_optimizers
from zoo.registry import DataSpec, Entry, OptimizerSpec

NAMES = ("generator_optimizer", "discriminator_optimizer")


def _entry(schedule: str) -> Entry:
    return Entry(name="toy", description="toy", family="gan", model_config={},
                 data=DataSpec("mnist"), epochs=4, batch_size=2, schedule=schedule,
                 optimizers={"generator_optimizer": OptimizerSpec(2e-4, beta_1=0.5),
                             "discriminator_optimizer": OptimizerSpec(1e-4, beta_2=0.99)})


def _steps(optimizer: keras.optimizers.Optimizer, variable: keras.Variable, count: int) -> None:
    for _ in range(count):
        optimizer.apply_gradients([(tf.ones_like(variable), variable)])


def test_each_network_gets_its_declared_settings_or_the_override():
    optimizers = make_optimizers(_entry("constant"), NAMES, steps_per_epoch=5, epochs=4)
    generator = optimizers["generator_optimizer"]
    discriminator = optimizers["discriminator_optimizer"]
    assert float(generator.learning_rate) == pytest.approx(2e-4) and generator.beta_1 == 0.5
    assert float(discriminator.learning_rate) == pytest.approx(1e-4)
    assert discriminator.beta_2 == 0.99
    overridden = make_optimizers(_entry("constant"), NAMES, 5, 4, learning_rate_override=1e-3)
    assert all(float(optimizer.learning_rate) == pytest.approx(1e-3)
               for optimizer in overridden.values())


def test_linear_decay_holds_for_half_the_epochs_then_reaches_zero_at_the_end():
    optimizer = make_optimizers(_entry("linear_decay"), NAMES, steps_per_epoch=5,
                                epochs=4)["generator_optimizer"]
    schedule = optimizer._learning_rate
    assert isinstance(schedule, ConstantThenLinearDecay)
    values = [float(schedule(step)) for step in (0, 9, 10, 15, 19, 20)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 2e-5, 0.0], atol=1e-12)


def test_a_restored_optimizer_continues_the_schedule_where_it_stopped(tmp_path):
    variable = keras.Variable(np.zeros(3, "float32"))
    optimizer = make_optimizers(_entry("linear_decay"), NAMES, 5, 4)["generator_optimizer"]
    optimizer.build([variable])
    _steps(optimizer, variable, 12)
    path = tf.train.Checkpoint(optimizer=list(optimizer.variables)).save(str(tmp_path / "ckpt"))
    expected_now = float(optimizer.learning_rate)
    _steps(optimizer, variable, 3)
    expected_later = float(optimizer.learning_rate)

    restored = make_optimizers(_entry("linear_decay"), NAMES, 5, 4)["generator_optimizer"]
    other = keras.Variable(np.zeros(3, "float32"))
    restored.build([other])
    assert float(restored.learning_rate) == pytest.approx(2e-4)  # a fresh one starts at step 0
    tf.train.Checkpoint(optimizer=list(restored.variables)).restore(path).assert_consumed()
    assert int(restored.iterations) == 12
    assert float(restored.learning_rate) == pytest.approx(expected_now) == pytest.approx(1.6e-4)
    _steps(restored, other, 3)
    assert float(restored.learning_rate) == pytest.approx(expected_later)
