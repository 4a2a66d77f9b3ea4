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
from zoo.registry import DataSpec, Entry, OptimizerSpec, get_entry
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


# Tiny configs of each family, the networks each one must keep float32 at their outputs.
TINY = {
    "vae": {"image_shape": (8, 8, 1), "latent_dim": 3, "filters": (4,), "hidden_units": 8},
    "gan": {"architecture": "dcgan28", "num_classes": 3},
    "pix2pix": {"image_size": 16, "input_channels": 1, "output_channels": 3, "filters": 4,
                "patch_layers": 1},
    "cyclegan": {"image_size": 16, "filters": 4, "residual_blocks": 1, "patch_layers": 1,
                 "pool_size": 2},
}


def _entry(family: str) -> Entry:
    return Entry(name=f"tiny_{family}", description="tiny", family=family,
                 model_config=TINY[family], data=DataSpec("mnist"), epochs=2, batch_size=4,
                 optimizers={name: OptimizerSpec(1e-3) for name in get_family(family).optimizers})


def _batch(family: str, count: int = 4):
    rng = np.random.default_rng(0)
    if family == "vae":
        return rng.integers(0, 2, (count, 8, 8, 1)).astype("float32")
    if family == "gan":
        return (rng.uniform(-1, 1, (count, 28, 28, 1)).astype("float32"),
                rng.integers(0, 3, count).astype("int32"))
    if family == "pix2pix":
        return {"input": rng.uniform(-1, 1, (count, 16, 16, 1)).astype("float32"),
                "target": rng.uniform(-1, 1, (count, 16, 16, 3)).astype("float32")}
    return {domain: rng.uniform(-1, 1, (count, 16, 16, 3)).astype("float32") for domain in "ab"}


def _outputs(model: keras.Model, batch) -> dict[str, tf.Tensor]:
    """What each network hands to the losses and to the export."""
    if isinstance(model, get_family("vae").model_class):
        mean, log_variance = model.encoder(batch)
        return {"mean": mean, "log_variance": log_variance, "logits": model.decoder(mean),
                "sample": model.sampling(mean, log_variance)}
    if isinstance(model, get_family("gan").model_class):
        images, labels = (tf.constant(value) for value in batch)
        return {"images": model.generate(tf.zeros([4, model.latent_dim]), labels),
                "scores": model.score(images, labels)}
    if "input" in batch:
        return {"images": model.translate(batch["input"]),
                "scores": model.discriminator([batch["input"], batch["target"]])}
    return {"a_to_b": model.a_to_b(batch["a"]), "b_to_a": model.b_to_a(batch["b"]),
            "scores_a": model.discriminator_a(batch["a"]),
            "scores_b": model.discriminator_b(batch["b"])}


@pytest.mark.parametrize("family", list(TINY))
def test_a_bfloat16_model_trains_keeps_its_outputs_float32_and_exports_float32(
        family, tmp_path):
    keras.utils.set_random_seed(0)
    entry = _entry(family)
    model = build_model(entry, dict(entry.model_config), steps_per_epoch=2, epochs=2,
                        jit_compile=False, seed=0, precision="mixed_bfloat16")
    batch = _batch(family)
    inputs = batch if isinstance(batch, tuple) else (batch,)  # (images, labels) for the GAN
    history = model.fit(*inputs, batch_size=2, epochs=2, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    assert {name: value.dtype for name, value in _outputs(model, batch).items()} == {
        name: tf.float32 for name in _outputs(model, batch)}

    loaded = zoo.load(export_model(model, entry, tmp_path))
    # The same weights run in float32: the model rebuilt under the process's float32 policy.
    assert keras.config.dtype_policy().name == "float32"
    float32 = loaded.keras_model()
    if family == "vae":
        latent = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
        served, exact = loaded.decode(latent=latent), float32.decode(latent)
    elif family == "gan":
        latent = np.random.default_rng(1).normal(size=(4, 100)).astype("float32")
        labels = np.arange(4, dtype="int32") % 3
        served = loaded.generate(latent=latent, labels=labels)
        exact = (float32.generate(latent, labels) + 1.0) / 2.0
    else:
        images = (batch["input"] if family == "pix2pix" else batch["a"]) / 2.0 + 0.5
        served = loaded.translate(images) if family == "pix2pix" else loaded.a_to_b(images)
        exact = (float32(images * 2.0 - 1.0) + 1.0) / 2.0
    assert served.dtype == np.float32
    # bfloat16 keeps 8 bits of mantissa: pixels agree to about 1%.
    np.testing.assert_allclose(served, np.asarray(exact), atol=0.02)
    assert np.abs(served - np.asarray(exact)).max() > 0  # the export did compute in bfloat16


# Settings that leave a tiny model no random state outside its variables (dropout masks differ by
# replica; CycleGAN's pools are training state), so a step can be repeated or split exactly.
DETERMINISTIC = {"gan": {"dropout": 0.0}, "pix2pix": {"dropout": 0.0},
                 "cyclegan": {"pool_size": 0}}


def _example_noise(mean: tf.Tensor) -> tf.Tensor:
    """The reparameterisation noise as a function of each example, whichever replica holds it."""
    return tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


def _sgd_model(family: str, config: dict, precision: str) -> keras.Model:
    with precision_policy(precision):
        model = get_family(family).model_class(**config, seed=0)
        model.compile(**loss_scaled({name: keras.optimizers.SGD(0.01)
                                     for name in get_family(family).optimizers}, precision))
    return model


def _one_step(family: str, config: dict, strategy: tf.distribute.Strategy, weights: list,
              batch, precision: str) -> list:
    with strategy.scope():
        model = _sgd_model(family, config, precision)
        model.set_weights(weights)
        if family == "vae":
            model.sampling.noise = _example_noise
    model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(8), epochs=1, verbose=0)
    return model.get_weights()


@pytest.mark.parametrize("family, precision", [("vae", "mixed_bfloat16"),
                                               ("pix2pix", "mixed_float16")])
def test_two_replicas_apply_the_single_device_mixed_precision_update(family, precision,
                                                                     mirrored):
    config = {**TINY[family], **DETERMINISTIC.get(family, {})}
    batch = _batch(family, count=8)
    initial = _sgd_model(family, config, "float32").get_weights()
    single = _one_step(family, config, tf.distribute.get_strategy(), initial, batch, precision)
    split = _one_step(family, config, mirrored, initial, batch, precision)
    for before, one, other in zip(initial, single, split):
        if before.dtype.kind != "f" or not np.abs(one - before).max():
            continue
        # The same update, up to the half type's rounding of each replica's share.
        step = np.abs(one - before).max()
        np.testing.assert_allclose(other - before, one - before, atol=0.1 * step)


@pytest.mark.parametrize("family", list(TINY))
def test_float16_steps_scale_each_networks_loss_and_unscale_its_gradients(family):
    config = {**TINY[family], **DETERMINISTIC.get(family, {})}
    model = _sgd_model(family, config, "mixed_float16")
    if family == "vae":
        model.sampling.noise = _example_noise
    targets = model.optimizer_targets()
    optimizers = [optimizer for optimizer, _ in targets.values()]
    assert all(isinstance(optimizer, LossScaleOptimizer) for optimizer in optimizers)
    assert len({id(optimizer) for optimizer in optimizers}) == len(targets)
    for optimizer, variables in targets.values():
        if not optimizer.built:
            optimizer.build(variables)
    initial = {name: [variable.numpy() for variable in variables]
               for name, (_, variables) in targets.items()}
    start = [variable.numpy() for variable in model.variables]  # the seed generators' too
    data = tf.data.Dataset.from_tensor_slices(_batch(family, count=8)).batch(8)
    updates = {}
    for scale in (256.0, 4096.0):
        for variable, value in zip(model.variables, start):
            variable.assign(value)
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
        largest = max(np.abs(update).max() for update in updates[256.0][name])
        assert largest > 0, name
        for low, high in zip(updates[256.0][name], updates[4096.0][name]):
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
    entry = _entry("pix2pix")
    model = build_model(entry, dict(entry.model_config), 1, 1, False, seed=0,
                        precision="mixed_float16")
    model.generator_optimizer.dynamic_scale.assign(1024.0)
    model.discriminator_optimizer.dynamic_scale.assign(64.0)
    path = tf.train.Checkpoint(**training_state(model)).save(str(tmp_path / "ckpt"))

    resumed = build_model(entry, dict(entry.model_config), 1, 1, False, seed=1,
                          precision="mixed_float16")
    tf.train.Checkpoint(**training_state(resumed)).restore(path).assert_consumed()
    assert float(resumed.generator_optimizer.dynamic_scale) == 1024.0
    assert float(resumed.discriminator_optimizer.dynamic_scale) == 64.0
