"""Convolutional variational autoencoder with a Bernoulli likelihood.

Follows Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014) with
the beta weight on the KL term of Higgins et al., "beta-VAE" (ICLR 2017), and
evaluates the importance-weighted bound of Burda et al., "Importance Weighted
Autoencoders" (ICLR 2016, eq. 8), so held-out figures compare with that
paper's MNIST table.

Pixels are modelled as independent Bernoulli variables, so the model trains on
binarised images. The zoo's MNIST recipe binarises dynamically: every pass over
the data draws each pixel anew as Bernoulli(intensity), seeded from `--seed`,
the pass and the batch (see `binarize`); held-out sets use one fixed draw.

Under a mixed precision policy (`zoo.precision`) the convolutions and hidden
layers compute in the half type while the posterior's mean and log-variance,
the sampling, the decoder's logits and the ELBO stay float32.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_seed
from zoo.families.metrics import PerExampleLossSteps
from zoo.families.vae.networks import build_decoder, build_encoder, check_image_shape
from zoo.precision import FLOAT32


def binarize(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Draws a binary image with pixel probabilities `image / 255`.

    Args:
        image: uint8 image (any shape).
        seed: int64 tensor of shape [2] for the stateless draw.

    Returns:
        float32 tensor of zeros and ones, the shape of `image`.
    """
    probabilities = tf.cast(image, tf.float32) / 255.0
    return tf.cast(tf.random.stateless_uniform(tf.shape(image), seed) < probabilities, tf.float32)


@keras.saving.register_keras_serializable(package="zoo")
class Sampling(keras.layers.Layer):
    """Reparameterised draw z = mean + exp(log_variance / 2) * epsilon, epsilon ~ N(0, I).

    Example:
        >>> z = Sampling(seed=1)(np.zeros((4, 2), "float32"), np.zeros((4, 2), "float32"))
        >>> tuple(z.shape)
        (4, 2)
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def noise(self, mean: tf.Tensor) -> tf.Tensor:
        """epsilon for each entry of `mean`; one fresh draw per call, its own on each replica."""
        return tf.random.stateless_normal(tf.shape(mean), seed=replica_seed(self.seed_generator),
                                          dtype=mean.dtype)

    def call(self, mean: tf.Tensor, log_variance: tf.Tensor) -> tf.Tensor:
        return mean + keras.ops.exp(0.5 * log_variance) * self.noise(mean)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"seed": self.seed}


@keras.saving.register_keras_serializable(package="zoo")
class VAE(PerExampleLossSteps, keras.Model):
    """Variational autoencoder; `beta` != 1 gives the beta-VAE.

    The per-example loss is the negative ELBO with a weighted KL term,
    `reconstruction_loss + beta * kl_loss`, in nats:
    `reconstruction_loss = -log p(x | z)` (Bernoulli, summed over pixels, one
    reparameterised draw of z) and `kl_loss = KL(q(z | x) || N(0, I))`
    (closed form, summed over latent dimensions).

    Args:
        image_shape: (height, width, channels) of the binarised images.
        latent_dim: size of z.
        filters: channels of the encoder's stride-2 convolutions (the decoder
            mirrors them); height and width must be divisible by 2**len(filters).
        hidden_units: width of a dense layer between the convolutions and z
            (0 for none).
        beta: weight of the KL term; 1 is the plain VAE.
        seed: seed of the sampling noise drawn in training.

    Example:
        >>> vae = VAE(image_shape=(28, 28, 1), latent_dim=2)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> images = np.random.default_rng(0).integers(0, 2, (8, 28, 28, 1)).astype("float32")
        >>> history = vae.fit(images, epochs=1, batch_size=4, verbose=0)
        >>> sorted(history.history)
        ['kl_loss', 'loss', 'reconstruction_loss']
    """

    def __init__(self, image_shape: Sequence[int] = (28, 28, 1), latent_dim: int = 16,
                 filters: Sequence[int] = (32, 64), hidden_units: int = 0, beta: float = 1.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_shape = checks.integers("image_shape", image_shape, length=3)
        self.latent_dim = checks.integer("latent_dim", latent_dim, minimum=1)
        self.filters = checks.integers("filters", filters)
        self.hidden_units = checks.integer("hidden_units", hidden_units, minimum=0)
        self.beta = checks.number("beta", beta, minimum=0.0)
        self.seed = checks.seed("seed", seed)
        check_image_shape(self.image_shape, self.filters)
        self.encoder = build_encoder(self.image_shape, self.latent_dim, self.filters,
                                     self.hidden_units)
        self.decoder = build_decoder(self.image_shape, self.latent_dim, self.filters,
                                     self.hidden_units)
        self.sampling = Sampling(seed=seed, name="sampling", dtype=FLOAT32)
        self.track(("loss", "reconstruction_loss", "kl_loss"))
        # The networks are functional models, so every weight exists already.
        self.built = True

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Reconstruction probabilities from a sampled z."""
        mean, log_variance = self.encoder(images, training=training)
        return tf.sigmoid(self.decoder(self.sampling(mean, log_variance), training=training))

    def per_example_losses(self, images: tf.Tensor, training: bool = False
                           ) -> dict[str, tf.Tensor]:
        """`loss`, `reconstruction_loss` and `kl_loss`, each of shape (batch,), in nats."""
        mean, log_variance = self.encoder(images, training=training)
        logits = self.decoder(self.sampling(mean, log_variance), training=training)
        reconstruction = tf.reduce_sum(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits), axis=[1, 2, 3])
        kl = -0.5 * tf.reduce_sum(
            1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=1)
        return {"loss": reconstruction + self.beta * kl, "reconstruction_loss": reconstruction,
                "kl_loss": kl}

    # Inference used by the exported signatures, the plots and the benchmarks.

    def decode(self, latent: tf.Tensor) -> tf.Tensor:
        """Pixel probabilities p(x = 1 | z)."""
        return tf.sigmoid(self.decoder(latent))

    def reconstruct(self, images: tf.Tensor) -> tf.Tensor:
        """Pixel probabilities decoded from the posterior mean."""
        mean, _ = self.encoder(images)
        return self.decode(mean)

    def sample(self, count: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """`count` images decoded from z ~ N(0, I); the same seed gives the same images."""
        latent = tf.random.stateless_normal(
            tf.stack([count, self.latent_dim]), tf.stack([tf.cast(seed, tf.int64), 0]))
        return self.decode(latent)

    def _log_likelihood(self, images: tf.Tensor, latent: tf.Tensor) -> tf.Tensor:
        """log p(x | z) for latents of shape (draws, batch, latent_dim) -> (draws, batch)."""
        draws, batch = tf.shape(latent)[0], tf.shape(latent)[1]
        logits = self.decoder(tf.reshape(latent, [-1, self.latent_dim]))
        logits = tf.reshape(logits, tf.concat([[draws, batch], tf.shape(logits)[1:]], 0))
        return -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.broadcast_to(images, tf.shape(logits)), logits=logits), axis=[2, 3, 4])

    def _posterior_draws(self, mean: tf.Tensor, draws: int, seed: tf.Tensor) -> tf.Tensor:
        return tf.random.stateless_normal(tf.stack([draws, tf.shape(mean)[0], self.latent_dim]),
                                          seed)

    def negative_elbo(self, images: tf.Tensor, draws: int = 16, seed: int = 0) -> tf.Tensor:
        """Per-example negative ELBO (beta = 1) in nats, averaged over `draws` samples of z.

        The KL term is in closed form; the draws are stateless, so a given
        input always gets the same score.
        """
        mean, log_variance = self.encoder(images)
        # The same `draws` standard normal vectors for every example, so an input's score
        # does not depend on the batch it comes in, nor on its place in it.
        epsilon = tf.random.stateless_normal([draws, 1, self.latent_dim], [seed, 1])
        latent = mean + tf.exp(0.5 * log_variance) * epsilon
        reconstruction = -tf.reduce_mean(self._log_likelihood(images, latent), axis=0)
        kl = -0.5 * tf.reduce_sum(1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), 1)
        return reconstruction + kl

    def importance_weighted_nll(self, images: tf.Tensor, k: int = 5000, chunk: int = 500,
                                seed: int = 0) -> tf.Tensor:
        """Per-example -log p(x) estimated with k importance samples (Burda et al. 2016, eq. 8).

        -log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x), evaluated in
        chunks of `chunk` draws with a running log-sum-exp so memory stays
        bounded for large k.
        """
        if k < 1 or chunk < 1:
            raise ValueError(f"k and chunk must be positive; got k={k}, chunk={chunk}.")
        mean, log_variance = self.encoder(images)
        total = tf.fill([tf.shape(mean)[0]], -np.inf)
        for start in range(0, k, chunk):
            draws = min(chunk, k - start)
            epsilon = self._posterior_draws(mean, draws, [seed, start + 2])
            latent = mean + tf.exp(0.5 * log_variance) * epsilon
            # log p(x, z) - log q(z | x); the 2*pi terms of prior and posterior cancel.
            log_weights = (self._log_likelihood(images, latent)
                           - 0.5 * tf.reduce_sum(tf.square(latent), axis=2)
                           + 0.5 * tf.reduce_sum(tf.square(epsilon) + log_variance, axis=2))
            total = tf.reduce_logsumexp(
                tf.stack([total, tf.reduce_logsumexp(log_weights, axis=0)]), axis=0)
        return -(total - math.log(k))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim, "filters": list(self.filters),
                "hidden_units": self.hidden_units, "beta": self.beta, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "VAE":
        return cls(**config)
