"""CycleGAN's float32 baseline for benchmarks/train_throughput.py: the family's update written
as a plain tutorial-style float32 `@tf.function` step with `tf.GradientTape` (both
generators' update, then both discriminators', with the entry's losses, as `train_step`),
without the metrics, per-replica loss shares, image pools and loss scaling that the zoo
adds around it."""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

from zoo.families.cyclegan.model import REFERENCE_SCALE
from zoo.losses import discriminator_loss, generator_loss


def step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    """The family's update written as a plain tutorial step.

    Args:
        model: the float32-built model, for its networks and settings.
        optimizers: one Adam per network, by the family's optimizer names.

    Returns:
        The step as a function of a preprocessed batch (as `train_step` takes it).
    """
    g_ab, g_ba = model.generator_ab, model.generator_ba
    d_a, d_b = model.discriminator_a, model.discriminator_b
    scale = REFERENCE_SCALE[model.loss_name]
    identity_weight = model.lambda_cycle * model.lambda_identity

    def step(batch: dict[str, tf.Tensor]) -> tf.Tensor:
        real_a, real_b = batch["a"], batch["b"]
        with tf.GradientTape() as tape:
            fake_b, fake_a = g_ab(real_a, training=True), g_ba(real_b, training=True)
            cycled_a, same_a = tf.split(g_ba(tf.concat([fake_b, real_a], 0), training=True), 2)
            cycled_b, same_b = tf.split(g_ab(tf.concat([fake_a, real_b], 0), training=True), 2)
            g_loss = (scale * tf.reduce_mean(generator_loss(model.loss_name,
                                                            d_b(fake_b, training=True)))
                      + scale * tf.reduce_mean(generator_loss(model.loss_name,
                                                              d_a(fake_a, training=True)))
                      + model.lambda_cycle * (tf.reduce_mean(tf.abs(cycled_a - real_a))
                                              + tf.reduce_mean(tf.abs(cycled_b - real_b)))
                      + identity_weight * (tf.reduce_mean(tf.abs(same_a - real_a))
                                           + tf.reduce_mean(tf.abs(same_b - real_b))))
        variables = g_ab.trainable_variables + g_ba.trainable_variables
        optimizers["generator_optimizer"].apply_gradients(
            zip(tape.gradient(g_loss, variables), variables))
        with tf.GradientTape() as tape:
            d_loss = 0.0
            for discriminator, real, fake in ((d_a, real_a, fake_a), (d_b, real_b, fake_b)):
                real_scores, fake_scores = tf.split(
                    discriminator(tf.concat([real, tf.stop_gradient(fake)], 0), training=True), 2)
                d_loss += 0.5 * scale * tf.reduce_mean(
                    discriminator_loss(model.loss_name, real_scores, fake_scores))
        variables = d_a.trainable_variables + d_b.trainable_variables
        optimizers["discriminator_optimizer"].apply_gradients(
            zip(tape.gradient(d_loss, variables), variables))
        return g_loss
    return step
