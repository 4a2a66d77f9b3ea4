"""Mixed precision: what `auto` picks, the policy kept to the models built under it, float32
where the numerics need it (scores, outputs, losses, exports), a bfloat16 step on two replicas
equal to one device's, and float16 loss scaling that replicas agree on and checkpoints keep."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import ConfigurationError
from zoo.export import export_model
from zoo.families import get_family
from zoo.precision import (LossScaleOptimizer, loss_scaled, precision_policy,
                           resolve_precision)
from zoo.families.testing import FamilyCase, family_cases
from zoo.registry import get_entry
from zoo.runtime.train import build_model, training_state

INTEL_FLAGS = "fpu vme de pse tsc msr pae mce cx8 avx2 avx512f avx512bw avx512_vnni"


def _cpuinfo(tmp_path: Path, *extra_flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    flags = " ".join((INTEL_FLAGS, *extra_flags))
    core = f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n"
    path.write_text(core + "\n" + core.replace(": 0", ": 1"))
    return path


@pytest.mark.parametrize("flags, expected", [
    ((), "float32"),
    (("avx512_bf16",), "mixed_bfloat16"),
    (("amx_tile", "amx_bf16"), "mixed_bfloat16"),
])
def test_auto_picks_bfloat16_on_cpus_with_bfloat16_instructions(
        flags, expected, tmp_path, monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [] if kind == "GPU" else ["cpu"])
    assert resolve_precision("auto", cpuinfo=_cpuinfo(tmp_path, *flags)) == expected
    # An explicit choice is taken whatever the machine.
    assert resolve_precision("float32", cpuinfo=_cpuinfo(tmp_path, *flags)) == "float32"


def test_auto_picks_float16_with_a_gpu_and_float32_without_cpuinfo(tmp_path, monkeypatch):
    gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [gpu] if kind == "GPU" else [])
    assert resolve_precision("auto", cpuinfo=_cpuinfo(tmp_path, "avx512_bf16")) == \
        "mixed_float16"
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert resolve_precision("auto", cpuinfo=tmp_path / "missing") == "float32"
    with pytest.raises(ConfigurationError, match="Unknown precision 'bf16'; choose one of auto"):
        resolve_precision("bf16")


def test_the_policy_holds_for_the_model_built_under_it_and_is_restored_after():
    with pytest.raises(RuntimeError), precision_policy("mixed_bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        raise RuntimeError("a model that fails to build")
    assert keras.config.dtype_policy().name == "float32"
    model = build_model(get_entry("dcgan_mnist"), dict(get_entry("dcgan_mnist").model_config),
                        steps_per_epoch=1, epochs=1, jit_compile=False, seed=0,
                        precision="mixed_bfloat16")
    assert keras.config.dtype_policy().name == "float32"
    computes = {layer.compute_dtype for layer in model.generator.layers[1:-1]}
    assert computes == {"bfloat16"}
    # Every weight stays float32: the optimizers update float32 copies.
    assert {variable.dtype for variable in model.trainable_variables} == {"float32"}


CASES = family_cases()
CASE_IDS = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_bfloat16_model_trains_keeps_its_outputs_float32_and_exports_float32(case, tmp_path):
    keras.utils.set_random_seed(0)
    entry = case.entry(epochs=2, batch_size=4)
    model = build_model(entry, dict(entry.model_config), steps_per_epoch=2, epochs=2,
                        jit_compile=False, seed=0, precision="mixed_bfloat16")
    batch = case.prepared(4)
    model.run_eagerly = True  # two steps of a tiny model: tracing would cost more
    history = model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(2), epochs=2, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    outputs = case.float32_outputs(model, batch)
    assert {name: value.dtype for name, value in outputs.items()} == {
        name: tf.float32 for name in outputs}

    loaded = zoo.load(export_model(model, entry, tmp_path))
    # The same weights run in float32: the model rebuilt under the process's float32 policy.
    assert keras.config.dtype_policy().name == "float32"
    served, exact = case.served_and_exact(loaded, loaded.keras_model(), batch)
    assert served.dtype == np.float32
    # bfloat16 keeps 8 bits of mantissa: pixels agree to about 1%.
    np.testing.assert_allclose(served, np.asarray(exact), atol=0.02)
    assert np.abs(served - np.asarray(exact)).max() > 0  # the export did compute in bfloat16


def _sgd_model(case: FamilyCase, precision: str, eager: bool = True) -> keras.Model:
    """The case's model with one SGD per network, controlled as in the one-vs-two test; its
    steps run eagerly unless asked otherwise (for a step or two, tracing costs more)."""
    family = get_family(case.family)
    with precision_policy(precision):
        model = family.model_class(**case.config, seed=0)
        model.compile(**loss_scaled({name: keras.optimizers.SGD(0.01)
                                     for name in family.optimizers}, precision),
                      run_eagerly=eager)
    case.control(model)
    return model


def _one_step(case: FamilyCase, strategy: tf.distribute.Strategy, weights: list,
              precision: str) -> list:
    with strategy.scope():
        model = _sgd_model(case, precision, eager=strategy is tf.distribute.get_strategy())
        model.set_weights(weights)
    model.fit(case.batches(count=8), epochs=1, verbose=0)
    return model.get_weights()


def _smallest(networks: int) -> FamilyCase:
    """The case with the fewest weights among those whose model trains `networks` networks."""
    cases = [case for case in CASES if len(get_family(case.family).optimizers) == networks]
    return min(cases, key=lambda case: get_family(case.family).model_class(
        **case.config).count_params())


# Two cases for the suite's time: a family with one network under bfloat16, one with two
# networks and a loss scale each under float16.
@pytest.mark.parametrize("case, precision", [(_smallest(1), "mixed_bfloat16"),
                                             (_smallest(2), "mixed_float16")],
                         ids=["one-network-bfloat16", "two-networks-float16"])
def test_two_replicas_apply_the_single_device_mixed_precision_update(case, precision,
                                                                     mirrored):
    initial = _sgd_model(case, "float32").get_weights()
    single = _one_step(case, tf.distribute.get_strategy(), initial, precision)
    split = _one_step(case, mirrored, initial, precision)
    for before, one, other in zip(initial, single, split):
        if before.dtype.kind != "f" or not np.abs(one - before).max():
            continue
        # The same update, up to the half type's rounding of each replica's share.
        step = np.abs(one - before).max()
        np.testing.assert_allclose(other - before, one - before, atol=0.1 * step)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float16_steps_scale_each_networks_loss_and_unscale_its_gradients(case):
    start = [variable.numpy() for variable in _sgd_model(case, "float32").variables]
    data = case.batches(count=8)
    updates = {}
    for scale in (64.0, 1024.0):  # small enough that no loss overflows float16
        # A fresh model each time, from the same variables (the seed generators' too), so
        # that state kept outside them (CycleGAN's image pools) starts the same.
        model = _sgd_model(case, "mixed_float16")
        targets = model.optimizer_targets()
        optimizers = [optimizer for optimizer, _ in targets.values()]
        assert all(isinstance(optimizer, LossScaleOptimizer) for optimizer in optimizers)
        assert len({id(optimizer) for optimizer in optimizers}) == len(targets)
        for optimizer, variables in targets.values():
            if not optimizer.built:
                optimizer.build(variables)
        for variable, value in zip(model.variables, start):
            variable.assign(value)
        initial = {name: [variable.numpy() for variable in variables]
                   for name, (_, variables) in targets.items()}
        for optimizer in optimizers:
            optimizer.dynamic_scale.assign(scale)
        model.fit(data, epochs=1, verbose=0)
        # A skipped (overflowed) step would halve the scale.
        assert [float(optimizer.dynamic_scale) for optimizer in optimizers] == \
            [scale] * len(optimizers)
        updates[scale] = {name: [variable.numpy() - before for variable, before
                                 in zip(variables, initial[name])]
                          for name, (_, variables) in targets.items()}
    # Scaling by a power of two is exact in float16, so the applied update does not depend on
    # the scale: the loss was multiplied by it and the gradients divided by it.
    for name in targets:
        largest = max(np.abs(update).max() for update in updates[64.0][name])
        assert largest > 0, name
        for low, high in zip(updates[64.0][name], updates[1024.0][name]):
            np.testing.assert_allclose(high, low, atol=1e-2 * largest, err_msg=name)


def test_float16_loss_scaling_skips_a_step_on_every_replica_when_one_overflows(mirrored):
    with mirrored.scope():
        variable = tf.Variable([1.0, 2.0])
        optimizer = LossScaleOptimizer(keras.optimizers.SGD(0.1))
        optimizer.build([variable])

    @tf.function
    def step(overflow_on_replica: int) -> None:
        def replica_step() -> None:
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            gradient = optimizer.scale_loss(tf.ones([2]))
            if overflow_on_replica >= 0:
                gradient = tf.where(replica == overflow_on_replica, np.inf, gradient)
            optimizer.apply_gradients([(gradient, variable)])
        mirrored.run(replica_step)

    step(1)
    for copy in mirrored.experimental_local_results(variable):
        np.testing.assert_array_equal(copy.numpy(), [1.0, 2.0])
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 14
    step(-1)  # both replicas' unscaled gradients of 1, summed
    for copy in mirrored.experimental_local_results(variable):
        np.testing.assert_allclose(copy.numpy(), [0.8, 1.8])


def test_float16_loss_scales_are_checkpointed_with_the_run(tmp_path):
    case = _smallest(2)
    entry = case.entry()
    model = build_model(entry, dict(entry.model_config), 1, 1, False, seed=0,
                        precision="mixed_float16")
    scales = dict(zip(model.optimizer_targets(), (1024.0, 64.0)))
    for name, (optimizer, _) in model.optimizer_targets().items():
        optimizer.dynamic_scale.assign(scales[name])
    path = tf.train.Checkpoint(**training_state(model)).save(str(tmp_path / "ckpt"))

    resumed = build_model(entry, dict(entry.model_config), 1, 1, False, seed=1,
                          precision="mixed_float16")
    tf.train.Checkpoint(**training_state(resumed)).restore(path).assert_consumed()
    assert {name: float(optimizer.dynamic_scale) for name, (optimizer, _)
            in resumed.optimizer_targets().items()} == scales
