"""Generative adversarial network (Goodfellow et al. 2014), optionally class-conditional.

One model class covers the zoo's GANs: DCGAN (Radford et al. 2016) with any
loss of `zoo.losses`, WGAN-GP (Gulrajani et al. 2017) through
`loss="wasserstein"` with the gradient penalty, the class-conditional GAN
(Mirza & Osindero 2014) through `num_classes`, and PacGAN's packed
discriminator (Lin et al. 2018) through `pack`.

One training step follows Algorithm 1 of Gulrajani et al. (of which the
original GAN algorithm is the case of one discriminator step): the step's
real batch is dealt into `discriminator_steps` minibatches (example i goes to
minibatch i mod steps, so the split is the same whether one device or several
hold the batch); each minibatch updates the discriminator once against fresh
generated samples; then the generator is updated once on a fresh latent batch
of the same size.

Data cross into the model scaled to the generator's range, [-1, 1] for
images; the family's preprocessing and signatures convert from and to [0, 1].
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_mean, replica_seed
from zoo.errors import ConfigurationError
from zoo.families.adversarial import AdversarialModel
from zoo.families.gan.networks import (ARCHITECTURES, NORMALIZATIONS, build_discriminator,
                                       build_generator)
from zoo.losses import check_loss, discriminator_loss, generator_loss, gradient_penalty


@keras.saving.register_keras_serializable(package="zoo")
class GAN(AdversarialModel):
    """A GAN with its own `train_step`: one optimizer per network, set in `compile`.

    Args:
        architecture: `dcgan28`, `dcgan64` or `mlp` (see `networks`).
        data_shape: shape of one example, (28, 28, 1) or (64, 64, 3) for images, (2,) for points.
        latent_dim: size of z ~ N(0, I).
        num_classes: number of classes for a conditional GAN; 0 for unconditional.
        loss: an adversarial loss of `zoo.losses.LOSSES`; `non_saturating` by default.
        discriminator_steps: discriminator updates per generator update (5 for WGAN-GP).
        gradient_penalty_weight: lambda of WGAN-GP (10 in the paper); only with `wasserstein`.
        pack: examples per discriminator input (PacGAN); 1 is a plain discriminator.
        generator_units, discriminator_units: hidden layer widths of the `mlp` networks.
        discriminator_normalization: `batch`, `layer` or `none` in the dcgan64/mlp
            discriminator; WGAN-GP's per-example penalty needs `layer` or `none`.
        dropout: dropout of the dcgan28 discriminator.
        maxout_pieces: linear pieces per maxout unit in the `mlp` discriminator (PacGAN's
            uses 5); 0 keeps LeakyReLU units.
        seed: seed of the noise drawn in training.

    Example:
        >>> import numpy as np
        >>> gan = GAN(architecture="mlp", data_shape=(2,), latent_dim=2)
        >>> gan.compile(generator_optimizer=keras.optimizers.Adam(1e-3),
        ...             discriminator_optimizer=keras.optimizers.Adam(1e-3))
        >>> history = gan.fit(np.random.normal(size=(64, 2)).astype("float32"),
        ...                   batch_size=32, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['d_fake', 'd_loss', 'd_real', 'g_loss']
    """

    def __init__(self, architecture: str = "dcgan28", data_shape: Sequence[int] = (28, 28, 1),
                 latent_dim: int = 100, num_classes: int = 0, loss: str = "non_saturating",
                 discriminator_steps: int = 1, gradient_penalty_weight: float = 0.0,
                 pack: int = 1, generator_units: Sequence[int] = (400, 400, 400, 400),
                 discriminator_units: Sequence[int] = (200, 200, 200),
                 discriminator_normalization: str = "batch", dropout: float = 0.3,
                 maxout_pieces: int = 0, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.architecture = checks.choice("architecture", architecture, ARCHITECTURES)
        self.data_shape = checks.integers("data_shape", data_shape)
        self.latent_dim = checks.integer("latent_dim", latent_dim, minimum=1)
        self.num_classes = checks.integer("num_classes", num_classes, minimum=0)
        self.loss_name = check_loss(loss)
        self.discriminator_steps = checks.integer("discriminator_steps", discriminator_steps,
                                                  minimum=1)
        self.gradient_penalty_weight = checks.number("gradient_penalty_weight",
                                                     gradient_penalty_weight, minimum=0.0)
        self.pack = checks.integer("pack", pack, minimum=1)
        self.generator_units = checks.integers("generator_units", generator_units,
                                               allow_empty=True)
        self.discriminator_units = checks.integers("discriminator_units", discriminator_units,
                                                   allow_empty=True)
        self.discriminator_normalization = checks.choice(
            "discriminator_normalization", discriminator_normalization, NORMALIZATIONS)
        self.dropout = checks.number("dropout", dropout, minimum=0.0, below=1.0)
        self.maxout_pieces = checks.integer("maxout_pieces", maxout_pieces, minimum=0)
        self.seed = checks.seed("seed", seed)
        self._check_combination()
        self.generator = build_generator(self.architecture, self.latent_dim, self.data_shape,
                                         self.num_classes, self.generator_units)
        self.discriminator = build_discriminator(
            self.architecture, self.data_shape, self.num_classes, self.discriminator_units,
            self.pack, self.discriminator_normalization, self.dropout, self.maxout_pieces)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.track(("d_loss", "g_loss", "d_real", "d_fake"))
        self.built = True

    def _check_combination(self) -> None:
        """Settings that are valid alone but not together."""
        architecture, data_shape = self.architecture, self.data_shape
        expected = {"dcgan28": (28, 28), "dcgan64": (64, 64)}.get(architecture)
        if expected and (len(data_shape) != 3 or data_shape[:2] != expected) \
                or not expected and len(data_shape) != 1:
            raise ConfigurationError(
                f"data_shape {data_shape} does not fit the {architecture} networks (dcgan28: "
                "(28, 28, C), dcgan64: (64, 64, C), mlp: (features,)).")
        if self.gradient_penalty_weight and self.loss_name != "wasserstein":
            raise ConfigurationError("gradient_penalty_weight applies to loss='wasserstein' "
                                     f"(WGAN-GP); got loss={self.loss_name!r}.")
        if self.gradient_penalty_weight and architecture != "dcgan28" \
                and self.discriminator_normalization == "batch":
            raise ConfigurationError(
                "The gradient penalty is per example, which batch norm in the critic breaks; "
                "use discriminator_normalization='layer' (as WGAN-GP does).")
        if self.pack > 1 and architecture != "mlp":
            raise ConfigurationError(f"pack={self.pack} is supported by the mlp networks only.")
        if self.maxout_pieces and architecture != "mlp":
            raise ConfigurationError(f"maxout_pieces={self.maxout_pieces} is supported by the "
                                     "mlp networks only.")

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    # Random draws of a step, each replica its own (`replica_seed`); tests of distribution
    # replace them with functions of the example, the same on any replica.

    def draw_latent(self, reference: tf.Tensor) -> tf.Tensor:
        """z ~ N(0, I) for each example of `reference` (a batch of real data)."""
        return tf.random.stateless_normal((tf.shape(reference)[0], self.latent_dim),
                                          seed=replica_seed(self.seed_generator))

    def draw_interpolation_weights(self, reference: tf.Tensor) -> tf.Tensor:
        """WGAN-GP's w ~ U[0, 1], one per example of `reference`."""
        return tf.random.stateless_uniform((tf.shape(reference)[0],),
                                           seed=replica_seed(self.seed_generator))

    def generate(self, latent: tf.Tensor, labels: tf.Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """Data in the generator's range for latent vectors (and labels when conditional)."""
        inputs = [latent, labels] if self.conditional else latent
        return self.generator(inputs, training=training)

    def _pack(self, data: tf.Tensor) -> tf.Tensor:
        if self.pack == 1:
            return data
        return tf.reshape(data, [-1, self.pack * self.data_shape[-1]])

    def _critic(self, labels: tf.Tensor | None, training: bool):
        """The discriminator as a function of packed data, its labels bound."""
        def critic(packed: tf.Tensor) -> tf.Tensor:
            inputs = [packed, labels[::self.pack]] if self.conditional else packed
            return self.discriminator(inputs, training=training)
        return critic

    def score(self, data: tf.Tensor, labels: tf.Tensor | None = None,
              training: bool = False) -> tf.Tensor:
        """Discriminator scores, one per example (one per pack of examples with `pack` > 1)."""
        return self._critic(labels, training)(self._pack(data))

    def call(self, latent: tf.Tensor, labels: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        return self.generate(latent, labels, training=training)

    def _split(self, data: Any) -> tuple[tf.Tensor, tf.Tensor | None]:
        if isinstance(data, (tuple, list)):
            return data[0], data[1] if self.conditional else None
        if self.conditional:
            raise ValueError("A conditional GAN trains on (data, labels) batches.")
        return data, None

    def _discriminator_step(self, real: tf.Tensor, labels: tf.Tensor | None
                            ) -> dict[str, tf.Tensor]:
        latent = self.draw_latent(real)
        with tf.GradientTape() as tape:
            fake = self.generate(latent, labels, training=True)
            real_scores = self.score(real, labels, training=True)
            fake_scores = self.score(fake, labels, training=True)
            per_example = discriminator_loss(self.loss_name, real_scores, fake_scores)
            if self.gradient_penalty_weight:
                packed_real, packed_fake = self._pack(real), self._pack(fake)
                penalty = gradient_penalty(self._critic(labels, training=True), packed_real,
                                           packed_fake,
                                           self.draw_interpolation_weights(packed_real))
                per_example += self.gradient_penalty_weight * penalty
            loss = self.discriminator_optimizer.scale_loss(replica_mean(per_example))
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"d_loss": per_example, "d_real": real_scores, "d_fake": fake_scores}

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        real, labels = self._split(data)
        steps = self.discriminator_steps
        for step in range(steps):
            discriminator = self._discriminator_step(
                real[step::steps], None if labels is None else labels[step::steps])
        last_real = real[steps - 1::steps]
        last_labels = None if labels is None else labels[steps - 1::steps]
        latent = self.draw_latent(last_real)
        with tf.GradientTape() as tape:
            fake_scores = self.score(self.generate(latent, last_labels, training=True),
                                     last_labels, training=True)
            per_example = generator_loss(self.loss_name, fake_scores)
            loss = self.generator_optimizer.scale_loss(replica_mean(per_example))
        variables = self.generator.trainable_variables
        self.generator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._report({**discriminator, "g_loss": per_example})

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        """The step's losses and scores on held-out data, with no update.

        The discriminator scores held-out real examples against fresh samples:
        `d_real` falling on held-out data while it holds on the training data
        shows a discriminator that memorises its training set (Karras et al. 2020
        watch the same gap). WGAN-GP's gradient penalty is a training device and
        is left out of the held-out `d_loss`.
        """
        real, labels = self._split(data)
        fake = self.generate(self.draw_latent(real), labels)
        real_scores, fake_scores = self.score(real, labels), self.score(fake, labels)
        return self._report({
            "d_loss": discriminator_loss(self.loss_name, real_scores, fake_scores),
            "g_loss": generator_loss(self.loss_name, fake_scores),
            "d_real": real_scores, "d_fake": fake_scores})

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "architecture": self.architecture,
                "data_shape": list(self.data_shape), "latent_dim": self.latent_dim,
                "num_classes": self.num_classes, "loss": self.loss_name,
                "discriminator_steps": self.discriminator_steps,
                "gradient_penalty_weight": self.gradient_penalty_weight, "pack": self.pack,
                "generator_units": list(self.generator_units),
                "discriminator_units": list(self.discriminator_units),
                "discriminator_normalization": self.discriminator_normalization,
                "dropout": self.dropout, "maxout_pieces": self.maxout_pieces, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "GAN":
        return cls(**config)
