"""Distribution: one step on two replicas equals the same step on one device."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.families.vae import VAE
from zoo.runtime.distribute import replica_mean, resolve_strategy
from helpers import digit_like_images


def _fixed_noise(mean: tf.Tensor) -> tf.Tensor:
    # A deterministic function of each example's posterior mean: the same draw
    # for an example whichever replica it lands on.
    return tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


def _one_step(strategy: tf.distribute.Strategy, weights: list, images: np.ndarray,
              optimizer: str) -> tuple[list, dict]:
    with strategy.scope():
        vae = VAE(latent_dim=4, filters=(8, 16), hidden_units=16, seed=0)
        vae.set_weights(weights)
        vae.sampling.noise = _fixed_noise
        vae.compile(optimizer=keras.optimizers.get({"class_name": optimizer,
                                                     "config": {"learning_rate": 0.01}}))
    batches = tf.data.Dataset.from_tensor_slices(images).batch(len(images))
    history = vae.fit(batches, epochs=1, verbose=0)
    return vae.get_weights(), {key: values[-1] for key, values in history.history.items()}


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_two_replicas_apply_the_single_device_update(optimizer):
    images, _ = digit_like_images(8)
    images = (images[..., None] > 127).astype("float32")
    initial = VAE(latent_dim=4, filters=(8, 16), hidden_units=16, seed=0).get_weights()
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2

    single_weights, single_metrics = _one_step(tf.distribute.get_strategy(), initial, images,
                                               optimizer)
    split_weights, split_metrics = _one_step(mirrored, initial, images, optimizer)

    moved = max(np.abs(after - before).max() for after, before in zip(single_weights, initial))
    assert moved > 1e-4
    # SGD shows any error in the gradient's scale; Adam normalises the scale away but
    # divides by sqrt(v) + eps, which magnifies summation-order noise where a gradient
    # is near zero, so it is compared to 1% of its step size (the learning rate).
    atol = 1e-6 if optimizer == "SGD" else 1e-4
    for single, split in zip(single_weights, split_weights):
        np.testing.assert_allclose(split, single, rtol=1e-4, atol=atol)
    for key in single_metrics:
        assert split_metrics[key] == pytest.approx(single_metrics[key], rel=1e-5)


def test_replica_mean_shares_sum_to_the_global_mean_with_uneven_replicas():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    values = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])

    def share(context):
        # Replica 0 holds 3 examples, replica 1 holds 2.
        return values[:3] if context.replica_id_in_sync_group == 0 else values[3:]

    per_replica = strategy.experimental_distribute_values_from_function(share)

    @tf.function  # as inside fit()
    def total():
        shares = strategy.run(replica_mean, args=(per_replica,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, shares, axis=None)


    assert float(total()) == pytest.approx(3.0)


def test_auto_strategy_reads_tf_config(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        resolve_strategy("auto")
    monkeypatch.delenv("TF_CONFIG")
    assert resolve_strategy("auto").num_replicas_in_sync == 1
    assert resolve_strategy("mirrored").num_replicas_in_sync == 2
    with pytest.raises(ValueError, match="Unknown strategy 'tpu'"):
        resolve_strategy("tpu")
