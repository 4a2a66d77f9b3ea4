"""Each adversarial loss on known values, and the gradient penalty against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.losses import LOSSES, discriminator_loss, generator_loss, gradient_penalty

LOG2 = math.log(2.0)


@pytest.mark.parametrize("name, real, fake, expected", [
    ("minimax", [0.0], [0.0], [2 * LOG2]),
    ("non_saturating", [0.0, 100.0], [0.0, -100.0], [2 * LOG2, 0.0]),
    ("non_saturating", [math.log(3.0)], [0.0], [-math.log(0.75) + LOG2]),  # D(x) = 3/4
    ("least_squares", [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]),
    ("least_squares", [3.0], [-2.0], [0.5 * 4 + 0.5 * 4]),
    ("hinge", [2.0, 0.5], [-0.5, 0.5], [0.5, 2.0]),
    ("hinge", [1.0], [-1.0], [0.0]),
    ("wasserstein", [3.0, -1.0], [1.0, 1.0], [-2.0, 2.0]),
])
def test_discriminator_losses_on_known_values(name, real, fake, expected):
    np.testing.assert_allclose(discriminator_loss(name, real, fake), expected, atol=1e-6)


@pytest.mark.parametrize("name, fake, expected", [
    ("minimax", [0.0, math.log(3.0)], [-LOG2, math.log(0.25)]),  # log(1 - D(G(z)))
    ("non_saturating", [0.0, math.log(3.0)], [LOG2, -math.log(0.75)]),  # -log D(G(z))
    ("least_squares", [0.0, 1.0], [0.5, 0.0]),
    ("hinge", [2.0], [-2.0]),
    ("wasserstein", [-1.5], [1.5]),
])
def test_generator_losses_on_known_values(name, fake, expected):
    np.testing.assert_allclose(generator_loss(name, fake), expected, atol=1e-6)


@pytest.mark.parametrize("name", LOSSES)
def test_losses_are_finite_for_extreme_scores_and_average_maps_per_example(name):
    extreme = tf.constant([[-1e4], [1e4]])
    assert np.all(np.isfinite(discriminator_loss(name, extreme, -extreme)))
    assert np.all(np.isfinite(generator_loss(name, extreme)))
    # A PatchGAN-style map of scores counts as one example per row.
    maps = tf.reshape(tf.range(16, dtype=tf.float32) / 8.0 - 1.0, [2, 2, 2, 2])
    per_example = discriminator_loss(name, maps, -maps)
    assert per_example.shape == (2,)
    first = discriminator_loss(name, tf.reshape(maps[0], [-1]), -tf.reshape(maps[0], [-1]))
    assert float(per_example[0]) == pytest.approx(float(tf.reduce_mean(first)), rel=1e-6)


def test_unknown_loss_names_the_choices():
    with pytest.raises(ValueError, match="Unknown adversarial loss 'wgan'.*hinge"):
        generator_loss("wgan", [0.0])


def test_gradient_penalty_of_a_linear_critic_is_its_slope_norm():
    slope = tf.constant([[3.0], [4.0]])  # |slope| = 5 everywhere
    critic = lambda x: tf.matmul(x, slope)  # noqa: E731
    real, fake = tf.random.normal([4, 2]), tf.random.normal([4, 2])
    penalty = gradient_penalty(critic, real, fake, tf.constant([0.0, 0.3, 0.7, 1.0]))
    np.testing.assert_allclose(penalty, [16.0] * 4, rtol=1e-5)


def test_gradient_penalty_equals_a_hand_computation_on_a_tiny_network():
    # critic(x) = sum(tanh(W x)) for 2x2 images flattened; gradient W^T (1 - tanh^2(W x)).
    weights = np.array([[0.5, -1.0, 2.0, 0.1], [1.5, 0.2, -0.3, 0.8]], np.float32)
    critic = lambda x: tf.reduce_sum(  # noqa: E731
        tf.tanh(tf.matmul(tf.reshape(x, [-1, 4]), weights, transpose_b=True)), axis=1)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(3, 2, 2, 1)).astype(np.float32)
    fake = rng.normal(size=(3, 2, 2, 1)).astype(np.float32)
    mix = np.array([0.25, 0.5, 0.9], np.float32)

    expected = []
    for r, f, w in zip(real, fake, mix):
        x_hat = (w * r + (1 - w) * f).reshape(4)
        gradient = weights.T @ (1 - np.tanh(weights @ x_hat) ** 2)
        expected.append((np.linalg.norm(gradient) - 1.0) ** 2)
    np.testing.assert_allclose(gradient_penalty(critic, real, fake, mix), expected, rtol=1e-5)
