"""The GAN's float32 baseline for benchmarks/train_throughput.py: the family's update written
as a plain tutorial-style float32 `@tf.function` step with `tf.GradientTape` (the
discriminator's update, then the generator's, with the entry's losses, as `train_step`),
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

    def step(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        def inputs(data):
            return [data, labels] if model.conditional else data

        noise = tf.random.normal([tf.shape(images)[0], model.latent_dim])
        with tf.GradientTape() as tape:
            fake = generator(inputs(noise), training=True)
            d_loss = tf.reduce_mean(discriminator_loss(
                model.loss_name, discriminator(inputs(images), training=True),
                discriminator(inputs(fake), training=True)))
        variables = discriminator.trainable_variables
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        noise = tf.random.normal([tf.shape(images)[0], model.latent_dim])
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(generator_loss(model.loss_name, discriminator(
                inputs(generator(inputs(noise), training=True)), training=True)))
        variables = generator.trainable_variables
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return g_loss
    return step
