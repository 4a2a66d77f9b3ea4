"""Denoising diffusion: trained as DDPM, sampled with DDIM.

Training is the denoising objective of Ho et al., "Denoising Diffusion Probabilistic Models"
(NeurIPS 2020), their L_simple: for each image x (scaled to [-1, 1]) draw a diffusion time t
uniformly in [0, 1] and noise e ~ N(0, I), form the noisy image

    x_t = signal_rate(t) * x + noise_rate(t) * e

(`zoo.families.diffusion.schedules`), and train the network to predict e from x_t and the
noise level, with the mean squared error (`loss="mse"`, DDPM) or the mean absolute error
(`loss="mae"`, keras-io's DDIM example) over the pixels. DDPM draws t from its 1,000 discrete
steps; here, as in keras-io's example, t is continuous (the linear schedule interpolates
between DDPM's steps). The network is conditioned on the noise variance noise_rate(t)**2, as
in keras-io's example (`zoo.families.diffusion.networks`).

Sampling is DDIM, Song, Meng & Ermon, "Denoising Diffusion Implicit Models" (ICLR 2021),
their equation 12, over `steps` equally spaced times from 1 down to 1 / steps. At each time
the network's noise prediction gives the clean image's prediction
x0 = (x_t - noise_rate * e) / signal_rate, and the next, less noisy image is

    x_next = signal_next * x0 + sqrt(noise_next**2 - sigma**2) * e + sigma * z,
    sigma = eta * (noise_next / noise_rate) * sqrt(1 - signal_rate**2 / signal_next**2),

with fresh noise z ~ N(0, I). eta = 0 is DDIM's deterministic sampler (the same starting noise
always gives the same image), eta = 1 the DDPM-like stochastic one. As in keras-io's example,
the sample is the last step's prediction x0, clipped to [-1, 1] and mapped to [0, 1].

Data normalisation is the fixed map [0, 1] -> [-1, 1] (DDPM's), part of the model and of its
export: there is no adapted layer whose state could be lost (keras-io's example normalises
with an adapted `Normalization` layer, and users who reload its weights without re-adapting it
get noise: keras-team/keras#20147, keras-team/keras-io#1450).

An exponential moving average of the weights (decay 0.999, keras-io's) is what the exported
model samples with: the family declares it (`Family.ema_decay`) and the runtime keeps it,
checkpoints it and exports it (`zoo.optimizers.WeightAverage`).
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_seed
from zoo.families.diffusion.networks import build_unet, check_network
from zoo.families.diffusion.schedules import SCHEDULES, NoiseSchedule
from zoo.families.metrics import PerExampleLossSteps

LOSSES = ("mae", "mse")
"""The noise-prediction losses: mean absolute error (keras-io DDIM) or mean squared (DDPM)."""
EVALUATION_SEED = 1234
"""Seed of the noise and times of held-out figures (`test_step`): the same every epoch, so
held-out losses compare across epochs."""


@keras.saving.register_keras_serializable(package="zoo")
class Diffusion(PerExampleLossSteps, keras.Model):
    """A denoising diffusion model: a U-Net noise predictor, trained as DDPM, sampled with DDIM.

    `train_step` (`PerExampleLossSteps`) minimises the mean over the global batch of each
    image's `loss` (the noise prediction's error); `image_loss`, the mean absolute error of
    the predicted clean image in [-1, 1], is reported alongside (keras-io's `i_loss`).

    Args:
        image_shape: (height, width, channels) of the images.
        widths: the U-Net's widths, one level each; the images' height and width must be
            divisible by 2**(len(widths) - 1).
        block_depth: residual blocks per level.
        embedding_dims: size of the noise level's sinusoidal embedding (even).
        embedding_max_frequency: the embedding's highest frequency.
        norm_groups: groups of the group normalisations (every width divisible by it).
        attention_resolutions: feature map heights at which each residual block is followed
            by self-attention; empty for none.
        schedule: `cosine` (keras-io's DDIM) or `linear` (DDPM's betas); see `SCHEDULES`.
        loss: `mae` or `mse` (see `LOSSES`).
        seed: seed of the noise and times drawn in training.

    Example:
        >>> import numpy as np
        >>> model = Diffusion(image_shape=(8, 8, 1), widths=(8, 16), block_depth=1,
        ...                   embedding_dims=4, norm_groups=4, seed=0)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
        >>> sorted(model.fit(images, epochs=1, batch_size=4, verbose=0).history)
        ['image_loss', 'loss']
        >>> noise = tf.random.stateless_normal([2, 8, 8, 1], [0, 0])
        >>> model.generate(noise, steps=3).shape  # DDIM from the noise, in [-1, 1]
        TensorShape([2, 8, 8, 1])
    """

    def __init__(self, image_shape: Sequence[int] = (28, 28, 1),
                 widths: Sequence[int] = (32, 64, 96), block_depth: int = 2,
                 embedding_dims: int = 32, embedding_max_frequency: float = 1000.0,
                 norm_groups: int = 8, attention_resolutions: Sequence[int] = (),
                 schedule: str = "cosine", loss: str = "mae", seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_shape = checks.integers("image_shape", image_shape, length=3)
        self.widths = checks.integers("widths", widths)
        self.block_depth = checks.integer("block_depth", block_depth, minimum=1)
        self.embedding_dims = checks.integer("embedding_dims", embedding_dims, minimum=2)
        self.embedding_max_frequency = checks.number(
            "embedding_max_frequency", embedding_max_frequency, minimum=1.0)
        self.norm_groups = checks.integer("norm_groups", norm_groups, minimum=1)
        self.attention_resolutions = checks.integers("attention_resolutions",
                                                     attention_resolutions, allow_empty=True)
        self.schedule_name = checks.choice("schedule", schedule, SCHEDULES)
        self.loss_name = checks.choice("loss", loss, LOSSES)
        self.seed = checks.seed("seed", seed)
        check_network(self.image_shape, self.widths, self.norm_groups, self.embedding_dims,
                      self.attention_resolutions)
        self.schedule = NoiseSchedule.make(self.schedule_name)
        self.network = build_unet(self.image_shape, self.widths, self.block_depth,
                                  self.embedding_dims, self.embedding_max_frequency,
                                  self.norm_groups, self.attention_resolutions)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.track(("loss", "image_loss"))
        # The network is a functional model, so every weight exists already.
        self.built = True

    # The random draws of a training step, each replica its own (`replica_seed`); tests of
    # distribution replace `draw` with a function of the example, the same on any replica.

    def draw(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Noise the shape of `images` and one diffusion time in [0, 1) per image, drawn
        afresh at each call."""
        seed = replica_seed(self.seed_generator)
        noise = tf.random.stateless_normal(tf.shape(images), seed=seed)
        times = tf.random.stateless_uniform(tf.shape(images)[:1],
                                            seed=tf.random.experimental.stateless_fold_in(seed, 1))
        return noise, times

    @staticmethod
    def _evaluation_draw(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        noise = tf.random.stateless_normal(tf.shape(images), seed=[EVALUATION_SEED, 0])
        times = tf.random.stateless_uniform(tf.shape(images)[:1], seed=[EVALUATION_SEED, 1])
        return noise, times

    def rates(self, times: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(noise_rate, signal_rate) of each time, shaped (batch, 1, 1, 1) to scale images."""
        noise_rates, signal_rates = self.schedule.rates(tf.reshape(times, [-1, 1, 1, 1]))
        return noise_rates, signal_rates

    def denoise(self, noisy_images: tf.Tensor, noise_rates: tf.Tensor,
                training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """One prediction: noisy images in the model's range and their noise rates (any shape
        with one value per image) -> (predicted noise, predicted clean images in [-1, 1],
        not clipped), float32."""
        noisy_images = tf.cast(noisy_images, tf.float32)
        noise_rates = tf.reshape(tf.cast(noise_rates, tf.float32), [-1, 1, 1, 1])
        signal_rates = tf.sqrt(1.0 - tf.square(noise_rates))
        noise = self.network([noisy_images, tf.square(noise_rates)], training=training)
        return noise, (noisy_images - noise_rates * noise) / signal_rates

    def per_example_losses(self, images: tf.Tensor, training: bool = False
                           ) -> dict[str, tf.Tensor]:
        """`loss` (the noise prediction's error, mean over pixels) and `image_loss`, each of
        shape (batch,), for clean images in [-1, 1]; in training with fresh draws, otherwise
        with the fixed draws of `EVALUATION_SEED`."""
        images = tf.cast(images, tf.float32)
        noise, times = self.draw(images) if training else self._evaluation_draw(images)
        noise_rates, signal_rates = self.rates(times)
        noisy_images = signal_rates * images + noise_rates * noise
        predicted_noise, predicted_images = self.denoise(noisy_images, noise_rates, training)
        error = predicted_noise - noise
        error = tf.abs(error) if self.loss_name == "mae" else tf.square(error)
        return {"loss": tf.reduce_mean(error, axis=[1, 2, 3]),
                "image_loss": tf.reduce_mean(tf.abs(predicted_images - images), axis=[1, 2, 3])}

    def call(self, inputs: Sequence[tf.Tensor], training: bool = False) -> tf.Tensor:
        """[noisy images, noise rates] -> predicted noise."""
        return self.denoise(inputs[0], inputs[1], training)[0]

    def generate(self, noise: tf.Tensor, steps: Any, eta: Any = 0.0,
                 seed: Any = 0) -> tf.Tensor:
        """DDIM from starting noise, in `steps` steps with stochasticity `eta` (0:
        deterministic; the fresh noise of each step is drawn from `seed`) -> images in
        [-1, 1], clipped. With `eta` the number 0 (not a tensor), no fresh noise is drawn
        at all, so the graph holds no random op (LiteRT's builtin ops have none)."""
        # sigma is 0 then, and sigma * fresh adds exactly nothing: the same images either way.
        draws = not (isinstance(eta, (int, float)) and eta == 0)
        noise = tf.cast(noise, tf.float32)
        steps = tf.cast(steps, tf.int32)
        eta = tf.cast(eta, tf.float32)
        seed = tf.cast(seed, tf.int64)
        step_size = 1.0 / tf.cast(steps, tf.float32)
        count = tf.shape(noise)[0]

        def step(index: tf.Tensor, noisy: tf.Tensor, _: tf.Tensor
                 ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            times = tf.fill([count], 1.0 - tf.cast(index, tf.float32) * step_size)
            noise_rates, signal_rates = self.rates(times)
            predicted_noise, predicted = self.denoise(noisy, noise_rates)
            next_noise, next_signal = self.rates(times - step_size)
            sigma = eta * next_noise / noise_rates * tf.sqrt(tf.maximum(
                1.0 - tf.square(signal_rates / next_signal), 0.0))
            noisy = (next_signal * predicted
                     + tf.sqrt(tf.maximum(tf.square(next_noise) - tf.square(sigma), 0.0))
                     * predicted_noise)
            if draws:
                noisy += sigma * tf.random.stateless_normal(
                    tf.shape(noisy), seed=tf.stack([seed, tf.cast(index, tf.int64) + 1]))
            return index + 1, noisy, predicted

        _, _, images = tf.while_loop(lambda index, *_: index < steps, step,
                                     (tf.constant(0), noise, tf.zeros_like(noise)))
        return tf.clip_by_value(images, -1.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "image_shape": list(self.image_shape),
                "widths": list(self.widths), "block_depth": self.block_depth,
                "embedding_dims": self.embedding_dims,
                "embedding_max_frequency": self.embedding_max_frequency,
                "norm_groups": self.norm_groups,
                "attention_resolutions": list(self.attention_resolutions),
                "schedule": self.schedule_name, "loss": self.loss_name, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Diffusion":
        return cls(**config)
