"""Noise schedules: how much of the image and how much noise a noisy image holds at each
diffusion time.

A variance-preserving diffusion writes the noisy image at time t in [0, 1] as

    noisy = signal_rate(t) * image + noise_rate(t) * noise,    noise ~ N(0, I),

with signal_rate**2 + noise_rate**2 = 1 (DDPM's sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t)).
Time 0 is the least noisy level the model is trained on, time 1 the noisiest; sampling runs
from 1 down to 0. Two schedules:

- `cosine`: the continuous schedule of keras-io's "Denoising Diffusion Implicit Models"
  example (Beres 2022), after the cosine schedule of Nichol & Dhariwal, "Improved Denoising
  Diffusion Probabilistic Models" (ICML 2021): the angle arccos(signal_rate) moves linearly
  in t, so that the signal rate falls from `max_signal_rate` (0.95) at t = 0 to
  `min_signal_rate` (0.02) at t = 1.
- `linear`: DDPM's schedule (Ho et al., "Denoising Diffusion Probabilistic Models",
  NeurIPS 2020): T = 1,000 steps with betas rising linearly from 1e-4 to 0.02, and
  alpha_bar_k = prod_{s <= k} (1 - beta_s). Time t = (k - 1) / (T - 1) is DDPM's step k
  exactly (t = 0 its step 1, t = 1 its step T); between steps, log alpha_bar is interpolated
  linearly, so that training and samplers may use any time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.errors import ConfigurationError

SCHEDULES = ("cosine", "linear")
"""The noise schedules a diffusion model can train and sample with."""


class NoiseSchedule:
    """A schedule: diffusion times in [0, 1] -> (noise_rate, signal_rate), float32.

    Example:
        >>> schedule = NoiseSchedule.make("cosine")
        >>> noise, signal = schedule.rates(tf.constant([0.0, 1.0]))
        >>> [round(value, 4) for value in (*signal.numpy().tolist(), *noise.numpy().tolist())]
        [0.95, 0.02, 0.3122, 0.9998]
        >>> noise, signal = NoiseSchedule.make("linear").rates(tf.constant([0.0, 1.0]))
        >>> # DDPM's 1 - alpha_bar_1 and alpha_bar_T
        >>> round(float(noise[0] ** 2), 6), f"{float(signal[1] ** 2):.2e}"
        (0.0001, '4.04e-05')
    """

    name: str

    @staticmethod
    def make(name: str, **options: Any) -> "NoiseSchedule":
        """The schedule called `name` (see `SCHEDULES`) with its options."""
        checks.choice("schedule", name, SCHEDULES)
        return {"cosine": CosineSchedule, "linear": LinearSchedule}[name](**options)

    def rates(self, times: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(noise_rate, signal_rate) at each time, float32, the shape of `times`."""
        raise NotImplementedError

    @property
    def noise_rate_range(self) -> tuple[float, float]:
        """The smallest and the largest noise rate: at time 0 and at time 1."""
        low, high = self.rates(tf.constant([0.0, 1.0]))[0].numpy()
        return float(low), float(high)



class CosineSchedule(NoiseSchedule):
    """keras-io DDIM's continuous cosine schedule: signal_rate = cos(angle), noise_rate =
    sin(angle), with the angle moving linearly from arccos(max_signal_rate) at t = 0 to
    arccos(min_signal_rate) at t = 1."""

    name = "cosine"

    def __init__(self, min_signal_rate: float = 0.02, max_signal_rate: float = 0.95) -> None:
        self.min_signal_rate = checks.number("min_signal_rate", min_signal_rate, 0.0, 1.0)
        self.max_signal_rate = checks.number("max_signal_rate", max_signal_rate, 0.0, 1.0)
        if not 0.0 < self.min_signal_rate < self.max_signal_rate < 1.0:
            raise ConfigurationError(
                "the cosine schedule needs 0 < min_signal_rate < max_signal_rate < 1; got "
                f"min_signal_rate {min_signal_rate} and max_signal_rate {max_signal_rate}.")
        self.start_angle = math.acos(self.max_signal_rate)
        self.end_angle = math.acos(self.min_signal_rate)

    def rates(self, times: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        angles = self.start_angle + tf.cast(times, tf.float32) * (self.end_angle -
                                                                  self.start_angle)
        return tf.sin(angles), tf.cos(angles)



class LinearSchedule(NoiseSchedule):
    """DDPM's linear betas over `steps` steps, as a function of continuous time (see the
    module docstring): log alpha_bar interpolated between DDPM's steps."""

    name = "linear"

    def __init__(self, beta_start: float = 1e-4, beta_end: float = 0.02, steps: int = 1000
                 ) -> None:
        self.beta_start = checks.number("beta_start", beta_start, 0.0, 1.0)
        self.beta_end = checks.number("beta_end", beta_end, 0.0, 1.0)
        self.steps = checks.integer("steps", steps, minimum=2)
        if not 0.0 < self.beta_start <= self.beta_end < 1.0:
            raise ConfigurationError(
                "the linear schedule needs 0 < beta_start <= beta_end < 1; got beta_start "
                f"{beta_start} and beta_end {beta_end}.")
        betas = np.linspace(self.beta_start, self.beta_end, self.steps, dtype=np.float64)
        # log alpha_bar_k for k = 1 .. T, in float64 before the cast.
        self.log_alpha_bars = np.cumsum(np.log1p(-betas)).astype(np.float32)

    def _log_alpha_bar(self, times: tf.Tensor) -> tf.Tensor:
        table = tf.constant(self.log_alpha_bars)
        position = tf.clip_by_value(tf.cast(times, tf.float32), 0.0, 1.0) * (self.steps - 1)
        below = tf.minimum(tf.floor(position), self.steps - 2)
        fraction = position - below
        below = tf.cast(below, tf.int32)
        return ((1.0 - fraction) * tf.gather(table, below)
                + fraction * tf.gather(table, below + 1))

    def rates(self, times: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        log_alpha_bar = self._log_alpha_bar(times)
        # 1 - alpha_bar without cancellation near t = 0.
        return tf.sqrt(-tf.math.expm1(log_alpha_bar)), tf.exp(0.5 * log_alpha_bar)
