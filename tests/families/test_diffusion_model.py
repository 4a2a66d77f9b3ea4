"""The diffusion model against its papers' definitions: the noise schedules (keras-io's cosine,
DDPM's linear betas), the training losses, and DDIM's update (Song et al. 2021, eq. 12), which
must give exactly the distribution its recursion predicts when the network is the exact
denoiser of Gaussian data."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families.diffusion.model import Diffusion
from zoo.families.diffusion.networks import SinusoidalEmbedding, build_unet
from zoo.families.diffusion.schedules import NoiseSchedule
from zoo.precision import precision_policy

TINY = {"image_shape": (8, 8, 1), "widths": (8, 16), "block_depth": 1, "embedding_dims": 4,
        "norm_groups": 4}


def test_the_cosine_schedule_is_keras_io_s():
    schedule = NoiseSchedule.make("cosine")
    times = np.linspace(0.0, 1.0, 11, dtype=np.float32)
    noise, signal = (np.asarray(rate, np.float64) for rate in schedule.rates(tf.constant(times)))
    angles = math.acos(0.95) + times.astype(np.float64) * (math.acos(0.02) - math.acos(0.95))
    np.testing.assert_allclose(signal, np.cos(angles), atol=2e-7)
    np.testing.assert_allclose(noise, np.sin(angles), atol=2e-7)


def test_the_linear_schedule_is_ddpm_s_at_its_steps_and_interpolates_between():
    schedule = NoiseSchedule.make("linear")
    steps = np.arange(1, 1001)
    alpha_bars = np.cumprod(1.0 - np.linspace(1e-4, 0.02, 1000))  # DDPM, float64
    times = tf.constant((steps - 1) / 999.0, tf.float32)
    noise, signal = (np.asarray(rate, np.float64) for rate in schedule.rates(times))
    # float32 round-off of log alpha_bar (up to 10 in magnitude) and of the time.
    np.testing.assert_allclose(signal**2, alpha_bars, rtol=2e-5)
    np.testing.assert_allclose(noise**2, 1.0 - alpha_bars, rtol=2e-5)
    # Between two steps: between their rates, and signal**2 + noise**2 = 1 everywhere.
    noise, signal = (np.asarray(rate, np.float64)
                     for rate in schedule.rates(tf.constant([0.5 / 999.0, 0.7])))
    assert 1.0 - alpha_bars[0] < noise[0] ** 2 < 1.0 - alpha_bars[1]
    np.testing.assert_allclose(signal**2 + noise**2, 1.0, atol=1e-6)


@pytest.mark.parametrize("loss", ["mae", "mse"])
def test_the_losses_are_the_noise_prediction_s_error_and_the_image_s_absolute_error(loss):
    model = Diffusion(**TINY, schedule="cosine", loss=loss, seed=0)
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (3, 8, 8, 1)).astype("float32")
    noise = rng.normal(size=images.shape).astype("float32")
    times = np.array([0.1, 0.5, 0.9], np.float32)
    model.draw = lambda batch: (tf.constant(noise), tf.constant(times))
    # A network that is not zero, so that the prediction is not trivially 0.
    model.network.get_layer("noise").kernel.assign(
        rng.normal(size=model.network.get_layer("noise").kernel.shape) * 0.1)
    losses = {name: value.numpy() for name, value in
              model.per_example_losses(tf.constant(images), training=True).items()}

    angles = math.acos(0.95) + times.astype(np.float64) * (math.acos(0.02) - math.acos(0.95))
    noise_rates = np.sin(angles)[:, None, None, None]
    signal_rates = np.cos(angles)[:, None, None, None]
    noisy = (signal_rates * images + noise_rates * noise).astype("float32")
    predicted = model.network([noisy, (noise_rates**2).astype("float32")]).numpy()
    error = np.abs(predicted - noise) if loss == "mae" else (predicted - noise) ** 2
    np.testing.assert_allclose(losses["loss"], error.mean(axis=(1, 2, 3)), rtol=1e-4)
    clean = (noisy - noise_rates * predicted) / signal_rates
    np.testing.assert_allclose(losses["image_loss"], np.abs(clean - images).mean(axis=(1, 2, 3)),
                               rtol=1e-4)


MU, TAU = 0.1, 0.3
"""Gaussian data: every pixel N(MU, TAU**2), far enough from the clipping at -1 and 1."""


def _gaussian_denoiser(inputs, training=False):
    """The exact noise prediction E[noise | noisy image] for the Gaussian data."""
    noisy, variance = inputs
    noise_rate, signal_rate = tf.sqrt(variance), tf.sqrt(1.0 - variance)
    return noise_rate * (noisy - signal_rate * MU) / (signal_rate**2 * TAU**2 + variance)


def _predicted_moments(model: Diffusion, steps: int, eta: float) -> tuple[float, float]:
    """Mean and variance of DDIM's output from N(0, 1) noise, by its recursion in float64:
    x_next = s' x0 + sqrt(n'^2 - sigma^2) e + sigma z is linear in x for Gaussian data."""
    times = 1.0 - np.arange(steps) / steps
    rates = model.schedule.rates(tf.constant(np.concatenate([times, times - 1.0 / steps]),
                                             tf.float32))
    noise, signal = (np.asarray(rate, np.float64).reshape(2, steps) for rate in rates)
    mean, variance = 0.0, 1.0
    for step in range(steps):
        n, s, n_next, s_next = noise[0, step], signal[0, step], noise[1, step], signal[1, step]
        marginal = s**2 * TAU**2 + n**2
        sigma = eta * n_next / n * math.sqrt(max(1.0 - (s / s_next) ** 2, 0.0))
        gain = (s_next * s * TAU**2 + math.sqrt(max(n_next**2 - sigma**2, 0.0)) * n) / marginal
        out_gain = s * TAU**2 / marginal  # the clean image's prediction at this step
        out_mean, out_variance = MU + out_gain * (mean - s * MU), out_gain**2 * variance
        mean, variance = s_next * MU + gain * (mean - s * MU), gain**2 * variance + sigma**2
    return out_mean, out_variance


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("steps", [5, 50])
def test_ddim_samples_the_distribution_its_update_defines(schedule, eta, steps):
    model = Diffusion(**TINY, schedule=schedule, seed=0)
    model.network = _gaussian_denoiser
    start = tf.random.stateless_normal([2000, 8, 8, 1], [1, 2])
    images = model.generate(start, steps, eta, seed=7).numpy().astype(np.float64)
    mean, variance = _predicted_moments(model, steps, eta)
    # 128,000 pixels: the sample variance's relative standard error is sqrt(2 / n) = 0.4%,
    # the mean's sqrt(variance / n). A wrong sigma (without its noise-rate ratio) is off by 6
    # to 98% at these settings but for the cosine schedule at 50 steps.
    assert images.var() == pytest.approx(variance, rel=0.03)
    assert abs(images.mean() - mean) < 5.0 * math.sqrt(variance / images.size)


def test_ddim_is_deterministic_at_eta_0_and_draws_from_its_seed_otherwise():
    model = Diffusion(**TINY, seed=0)
    model.network.get_layer("noise").kernel.assign(
        np.random.default_rng(0).normal(size=model.network.get_layer("noise").kernel.shape))
    start = tf.random.stateless_normal([2, 8, 8, 1], [0, 0])
    np.testing.assert_array_equal(model.generate(start, 4, 0.0, seed=1),
                                  model.generate(start, 4, 0.0, seed=2))
    # eta 0 as a number draws no noise at all (no random op for LiteRT); as a tensor, as
    # `sample` passes it, it draws noise it multiplies by 0: the same images.
    np.testing.assert_array_equal(model.generate(start, 4, 0.0),
                                  model.generate(start, 4, tf.constant(0.0), seed=3))
    graph = tf.function(lambda noise: model.generate(noise, 4)).get_concrete_function(
        tf.TensorSpec([None, 8, 8, 1])).graph.as_graph_def()
    ops = {node.op for node in graph.node} | {node.op for function in graph.library.function
                                              for node in function.node_def}
    assert not any(op.startswith("StatelessRandom") for op in ops), ops
    first, again, other = (model.generate(start, 4, 1.0, seed=seed) for seed in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_the_embedding_is_computed_in_float32_under_mixed_precision():
    variance = 0.7361
    frequencies = np.exp(np.linspace(0.0, math.log(1000.0), 16))
    expected = np.concatenate([np.sin(2 * np.pi * frequencies * variance),
                               np.cos(2 * np.pi * frequencies * variance)])
    with precision_policy("mixed_bfloat16"):
        unet = build_unet((8, 8, 1), (8, 16), 1, 32, 1000.0, 4)
        embedding = unet.get_layer("embedding")
        assert isinstance(embedding, SinusoidalEmbedding)
        assert embedding.compute_dtype == "float32"
        got = embedding(tf.fill([1, 1, 1, 1], variance)).numpy().ravel()
    # float32's round-off on arguments up to 2 pi 1000 x 0.74 = 4,600 is about 5e-4; bfloat16's
    # would be about 16, which scrambles the high frequencies.
    np.testing.assert_allclose(got, expected, atol=2e-3)


@pytest.mark.parametrize("config, message", [
    ({"widths": (8, 16, 24, 32, 40)},
     r"divisible by 2\*\*\(len\(widths\) - 1\) = 16.*Use at most 4 widths for this size"),
    ({"image_shape": (28, 28, 1), "widths": (8, 16, 24, 32)},
     r"got image_shape \(28, 28, 1\) with widths \(8, 16, 24, 32\)\. Use at most 3 widths"),
    ({"widths": (8,)}, r"widths must name at least 2 widths"),
    ({"norm_groups": 3}, r"every width must be divisible by norm_groups = 3"),
    ({"embedding_dims": 5}, r"embedding_dims must be even"),
    ({"attention_resolutions": (5,)}, r"its feature maps are 8, 4 px high"),
    ({"schedule": "sigmoid"}, r"Unknown schedule 'sigmoid'; choose one of cosine, linear"),
    ({"loss": "huber"}, r"Unknown loss 'huber'; choose one of mae, mse"),
])
def test_a_configuration_the_model_cannot_build_is_refused_by_name(config, message):
    with pytest.raises(ConfigurationError, match=message):
        Diffusion(**(TINY | config))


def test_the_config_names_every_setting():
    model = Diffusion(**TINY, attention_resolutions=(4,), schedule="linear", loss="mse", seed=3)
    config = model.get_config()
    assert {key: config[key] for key in ("schedule", "loss", "attention_resolutions", "seed")} == {
        "schedule": "linear", "loss": "mse", "attention_resolutions": [4], "seed": 3}
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model)
                                                 ).get_config() == config
