"""Pix2pix's float32 baseline for benchmarks/train_throughput.py: the family's update written
as a plain tutorial-style float32 `@tf.function` step with `tf.GradientTape` (the
discriminator's update, then the generator's adversarial and L1 loss, as `train_step`),
without the metrics, per-replica loss shares and loss scaling that the zoo adds around it."""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

from zoo.losses import discriminator_loss, generator_loss


def step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    """The family's update written as a plain tutorial step.

    Args:
        model: the float32-built model, for its networks and settings.
        optimizers: one Adam per network, by the family's optimizer names.

    Returns:
        The step as a function of a preprocessed batch (as `train_step` takes it).
    """
    generator, discriminator = model.generator, model.discriminator
    d_optimizer, g_optimizer = (optimizers["discriminator_optimizer"],
                                optimizers["generator_optimizer"])

    def step(batch: dict[str, tf.Tensor]) -> tf.Tensor:
        source, target = batch["input"], batch["target"]
        with tf.GradientTape() as g_tape:
            fake = generator(source, training=True)
            with tf.GradientTape() as d_tape:
                d_loss = 0.5 * tf.reduce_mean(discriminator_loss(
                    model.loss_name, discriminator([source, target], training=True),
                    discriminator([source, tf.stop_gradient(fake)], training=True)))
            variables = discriminator.trainable_variables
            d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, variables), variables))
            gan = tf.reduce_mean(generator_loss(
                model.loss_name, discriminator([source, fake], training=True)))
            g_loss = model.lambda_gan * gan + model.lambda_l1 * tf.reduce_mean(
                tf.abs(target - fake))
        variables = generator.trainable_variables
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, variables), variables))
        return g_loss
    return step
