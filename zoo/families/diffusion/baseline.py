"""The diffusion model's float32 baseline for benchmarks/train_throughput.py: keras-io's DDIM
training step ("Denoising Diffusion Implicit Models", Beres 2022) written plainly as a float32
`@tf.function` with `tf.GradientTape`: noise and times drawn with `tf.random`, the noisy
images, the network's noise prediction, the loss on the noise, the update, and the moving
average of the weights assigned in the step as keras-io does. Without the metrics,
per-replica loss shares, per-replica seeds and loss scaling that the zoo adds around it."""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

EMA = 0.999
"""keras-io's decay of the moving average, updated inside its step."""


def step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    """keras-io's DDIM update on the model's network.

    Args:
        model: the float32-built model, for its network, schedule and loss.
        optimizers: the entry's optimizer, by the family's optimizer name.

    Returns:
        The step as a function of a preprocessed batch (images in [-1, 1]).
    """
    network, optimizer = model.network, optimizers["optimizer"]
    variables = network.trainable_weights
    averages = [tf.Variable(weight.value, trainable=False) for weight in network.weights]

    def step(images: tf.Tensor) -> tf.Tensor:
        noises = tf.random.normal(tf.shape(images))
        times = tf.random.uniform([tf.shape(images)[0], 1, 1, 1])
        noise_rates, signal_rates = model.schedule.rates(times)
        noisy_images = signal_rates * images + noise_rates * noises
        with tf.GradientTape() as tape:
            predicted = network([noisy_images, noise_rates**2], training=True)
            error = predicted - noises
            loss = tf.reduce_mean(tf.abs(error) if model.loss_name == "mae"
                                  else tf.square(error))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        for average, weight in zip(averages, network.weights):
            average.assign(EMA * average + (1.0 - EMA) * weight)
        return loss
    return step
