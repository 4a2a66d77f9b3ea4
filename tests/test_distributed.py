"""Loss shares and random draws under a two-replica MirroredStrategy."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
import tensorflow as tf

from zoo.distributed import Dropout, replica_mean
from zoo.families.gan import GAN
from zoo.families.vae import VAE

DRAWS = 8192


def _per_replica(strategy: tf.distribute.Strategy, draw: Callable[[], tf.Tensor]
                 ) -> list[np.ndarray]:
    @tf.function  # as inside fit()
    def run():
        return strategy.run(draw)
    return [value.numpy() for value in strategy.experimental_local_results(run())]


def test_replica_mean_shares_sum_to_the_global_mean_with_uneven_replicas(mirrored):
    values = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])

    def share(context):
        # Replica 0 holds 3 examples, replica 1 holds 2.
        return values[:3] if context.replica_id_in_sync_group == 0 else values[3:]

    per_replica = mirrored.experimental_distribute_values_from_function(share)

    @tf.function
    def total():
        shares = mirrored.run(replica_mean, args=(per_replica,))
        return mirrored.reduce(tf.distribute.ReduceOp.SUM, shares, axis=None)

    assert float(total()) == pytest.approx(3.0)


def _models(strategy: tf.distribute.Strategy, seed: int = 0) -> tuple[VAE, GAN]:
    with strategy.scope():
        vae = VAE(latent_dim=4, filters=(8,), image_shape=(8, 8, 1), seed=seed)
        gan = GAN(architecture="mlp", data_shape=(2,), latent_dim=4, loss="wasserstein",
                  gradient_penalty_weight=10.0, discriminator_normalization="layer",
                  generator_units=(8,), discriminator_units=(8,), seed=seed)
    return vae, gan


def _draws(vae: VAE, gan: GAN) -> dict[str, Callable[[], tf.Tensor]]:
    reference = tf.zeros([DRAWS // 4, 2])
    return {
        "vae epsilon": lambda: vae.sampling.noise(tf.zeros([DRAWS // 4, 4])),
        "gan latent": lambda: gan.draw_latent(reference),
        "gan interpolation weights": lambda: gan.draw_interpolation_weights(tf.zeros([DRAWS, 2])),
    }


@pytest.mark.parametrize("name", ["vae epsilon", "gan latent", "gan interpolation weights"])
def test_each_replica_draws_its_own_noise_from_the_right_distribution(name, mirrored):
    first, second = _per_replica(mirrored, _draws(*_models(mirrored))[name])
    assert first.shape == second.shape == ((DRAWS,) if "weights" in name else (DRAWS // 4, 4))
    # Independent draws: not the same numbers, and no correlation (its standard error is 0.011).
    assert (first == second).mean() < 0.01
    assert abs(np.corrcoef(first.ravel(), second.ravel())[0, 1]) < 0.05
    for values in (first.ravel(), second.ravel()):
        if "weights" in name:  # U[0, 1]
            assert values.min() >= 0.0 and values.max() < 1.0
            np.testing.assert_allclose(np.quantile(values, [0.1, 0.5, 0.9]), [0.1, 0.5, 0.9],
                                       atol=0.02)
        else:  # N(0, 1): the 10%, 50% and 90% quantiles
            np.testing.assert_allclose(np.quantile(values, [0.1, 0.5, 0.9]),
                                       [-1.2816, 0.0, 1.2816], atol=0.06)


@pytest.mark.parametrize("name", ["vae epsilon", "gan latent", "gan interpolation weights"])
def test_draws_are_reproducible_from_the_seed_and_fresh_at_every_call(name):
    default = tf.distribute.get_strategy()
    draw, again, other = (_draws(*_models(default, seed))[name] for seed in (5, 5, 6))
    values = draw().numpy()
    np.testing.assert_array_equal(again().numpy(), values)
    assert not np.array_equal(again().numpy(), values)  # the second call moves on
    assert not np.array_equal(other().numpy(), values)


def test_dropout_masks_differ_between_replicas(mirrored):
    with mirrored.scope():
        layer = Dropout(0.5, seed=0)
    first, second = _per_replica(mirrored, lambda: layer(tf.ones([64, 64]), training=True))
    for kept in (first != 0, second != 0):
        assert kept.mean() == pytest.approx(0.5, abs=0.03)
    assert set(np.unique(first)) == {0.0, 2.0}  # kept units are scaled by 1 / (1 - rate)
    assert (first != second).mean() == pytest.approx(0.5, abs=0.03)
    np.testing.assert_array_equal(layer(tf.ones([4, 4]), training=False), tf.ones([4, 4]))
