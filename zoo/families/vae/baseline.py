"""The VAE's float32 baseline for benchmarks/train_throughput.py: the family's update written
as a plain tutorial-style float32 `@tf.function` step with `tf.GradientTape` (the
reconstruction loss plus beta times the KL term, with one reparameterised draw, as
`train_step`), without the metrics, per-replica loss shares and loss scaling that the zoo
adds around it."""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf


def step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    """The family's update written as a plain tutorial step.

    Args:
        model: the float32-built model, for its networks and settings.
        optimizers: one Adam per network, by the family's optimizer names.

    Returns:
        The step as a function of a preprocessed batch (as `train_step` takes it).
    """
    optimizer, variables = optimizers["optimizer"], model.trainable_variables

    def step(images: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            mean, log_variance = model.encoder(images, training=True)
            latent = mean + tf.exp(0.5 * log_variance) * tf.random.normal(tf.shape(mean))
            logits = model.decoder(latent, training=True)
            reconstruction = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=images, logits=logits), axis=[1, 2, 3])
            kl = -0.5 * tf.reduce_sum(
                1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=1)
            loss = tf.reduce_mean(reconstruction + model.beta * kl)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
    return step
