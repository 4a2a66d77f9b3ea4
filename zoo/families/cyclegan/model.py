"""CycleGAN: unpaired image-to-image translation (Zhu et al., "Unpaired Image-to-Image
Translation using Cycle-Consistent Adversarial Networks", ICCV 2017).

Two generators translate between domains A and B, G_AB: A -> B and G_BA: B -> A,
and two discriminators judge each domain: D_A real A images against G_BA(b),
D_B real B images against G_AB(a). The generators minimise, jointly,

    L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A)
    + lambda_cycle * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|)
    + lambda_cycle * lambda_identity * (|G_BA(a) - a| + |G_AB(b) - b|),

with lambda_cycle = 10 and lambda_identity = 0.5 (the identity loss of section
5.2, whose weight is the reference's `lambda_identity` times lambda_A or
lambda_B). Each L1 term is a mean over pixels and channels, as the reference's
`torch.nn.L1Loss()`.

The adversarial terms are the reference's `GANLoss`: `lsgan` (the paper's
least-squares loss, the default) is an `MSELoss`, (score - target)^2, which is
twice `zoo.losses`' least_squares terms (Mao et al.'s eq. 2 carries a 1/2); so
the generators' term is 2 x `generator_loss` and a discriminator's, halved as
in the reference, 0.5 x 2 x `discriminator_loss`. `vanilla` is
`BCEWithLogitsLoss`, `zoo.losses`' non_saturating terms as they are. This keeps
the reference's balance between the adversarial and the cycle terms.

One training step follows the authors' `CycleGANModel.optimize_parameters`:
G_AB(a) and G_BA(b) are computed once; both generators are updated first
through their joint objective, the discriminators held fixed; then both
discriminators, each against generated images drawn through its image pool
(`zoo.families.cyclegan.pool`) from the images of this step's generators
before their update (the reference's `fake.detach()`). Under a distribution
strategy there is one pool per discriminator for the global batch, queried
alike on every replica, so a distributed step equals the single-device step.

Names: the reference calls G_AB `netG_A` and G_BA `netG_B`, and names each
discriminator after the generator it opposes: its `netD_A` judges domain B
(our `discriminator_b`) and its `netD_B` judges domain A (our
`discriminator_a`). Here every discriminator, pool and loss is named after the
domain of the images it concerns.

Data cross into the model scaled to the generators' range, [-1, 1]; the
family's preprocessing and signatures convert from and to [0, 1].
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_mean
from zoo.errors import ConfigurationError
from zoo.families.adversarial import AdversarialModel
from zoo.families.cyclegan.networks import (SIZE_MULTIPLE, SMALLEST_SIZE, build_discriminator,
                                            build_generator, patch_map_size)
from zoo.families.cyclegan.pool import ImagePool, draw, gather_replicas
from zoo.losses import discriminator_loss, generator_loss

CHANNELS = 3
LOSSES = ("least_squares", "non_saturating")
REFERENCE_SCALE = {"least_squares": 2.0, "non_saturating": 1.0}
"""The reference's `GANLoss` terms as multiples of `zoo.losses`' (MSELoss has no 1/2)."""
METRICS = ("g_loss", "g_ab", "g_ba", "cycle_a", "cycle_b", "identity_a", "identity_b",
           "d_a", "d_b")


def _l1(images: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference per example, over pixels and channels."""
    difference = tf.reshape(images - reference, [tf.shape(images)[0], -1])
    return tf.reduce_mean(tf.abs(difference), axis=1)


@keras.saving.register_keras_serializable(package="zoo")
class CycleGAN(AdversarialModel):
    """CycleGAN with its own `train_step`: one optimizer for both generators, one for both
    discriminators, set in `compile`.

    Two optimizers, as the reference's `optimizer_G` over G_AB and G_BA and
    `optimizer_D` over D_A and D_B: the generators share one objective (the
    cycle terms couple them), so one optimizer steps both on its gradient; the
    discriminators' objectives are independent, and one optimizer over both
    updates each as its own would (Adam's moments are per variable).

    Training data are dicts {"a": images, "b": images}: float32 in [-1, 1] of
    shape (batch, image_size, image_size, 3), the same number of each; the
    two need not be pairs. The metrics, per-example means over the epoch:

    - `g_loss`: the generators' joint objective;
    - `g_ab`, `g_ba`: the adversarial terms of G_AB (judged by D_B) and G_BA
      (judged by D_A), as the reference's `loss_G_A` and `loss_G_B`;
    - `cycle_a`, `cycle_b`: |G_BA(G_AB(a)) - a| and |G_AB(G_BA(b)) - b|,
      unweighted (pixels in [-1, 1]);
    - `identity_a`, `identity_b`: |G_BA(a) - a| and |G_AB(b) - b|, unweighted;
      0 when lambda_identity is 0 (then not computed);
    - `d_a`, `d_b`: the halved losses of D_A and D_B (the reference's `loss_D_B`
      and `loss_D_A`), on images from the pools.

    `fit(validation_data=...)` reports the same on held-out images, the
    discriminators judging the generators' current images (no pool).

    Inference (`a_to_b`, `b_to_a`, `call`, the export) is what training
    computes: instance norm uses each image's own statistics either way and
    there is no dropout. The generators take any height and width divisible by
    4 (at least 8), so a model trained on 256 px crops translates whole photos.

    Args:
        image_size: height and width of the square training images, a multiple of 4
            and at least 8 (256 in the paper); the size of the pools' images.
        filters: base width of all four networks (64 in the paper).
        residual_blocks: residual blocks of each generator (9 at 256 px, 6 at 128 px).
        patch_layers: the discriminators' stride-2 layers: 3 for the paper's 70x70
            patches, fewer for small images (1: 16x16).
        loss: the adversarial loss: `least_squares` (the paper's) or `non_saturating`
            (the reference's `vanilla`).
        lambda_cycle: weight of the cycle-consistency terms (10 in the paper).
        lambda_identity: weight of the identity terms relative to lambda_cycle (0.5 in
            the paper's photo <-> painting experiments; 0 turns them off).
        pool_size: generated images each discriminator's pool keeps (50 in the
            paper); 0 shows the discriminators only the step's own images.
        seed: seed of the pools' draws.

    Example:
        >>> import numpy as np
        >>> model = CycleGAN(image_size=16, filters=4, residual_blocks=1, patch_layers=1,
        ...                  pool_size=2, seed=0)
        >>> model.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        ...               discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        >>> images = {"a": np.zeros((4, 16, 16, 3), "float32"),
        ...           "b": np.ones((4, 16, 16, 3), "float32")}
        >>> history = model.fit(images, batch_size=2, epochs=1, verbose=0)
        >>> sorted(history.history)  # doctest: +NORMALIZE_WHITESPACE
        ['cycle_a', 'cycle_b', 'd_a', 'd_b', 'g_ab', 'g_ba', 'g_loss', 'identity_a',
         'identity_b']
        >>> model.a_to_b(tf.zeros([1, 24, 20, 3])).shape
        TensorShape([1, 24, 20, 3])
    """

    def __init__(self, image_size: int = 256, filters: int = 64, residual_blocks: int = 9,
                 patch_layers: int = 3, loss: str = "least_squares", lambda_cycle: float = 10.0,
                 lambda_identity: float = 0.5, pool_size: int = 50, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_size = checks.integer("image_size", image_size, minimum=SMALLEST_SIZE)
        if self.image_size % SIZE_MULTIPLE:
            raise ConfigurationError(
                f"image_size must be a multiple of {SIZE_MULTIPLE} (the generators halve the "
                f"image twice and double it back); got {image_size!r}.")
        self.filters = checks.integer("filters", filters, minimum=1)
        self.residual_blocks = checks.integer("residual_blocks", residual_blocks, minimum=0)
        self.patch_layers = checks.integer("patch_layers", patch_layers, minimum=0)
        self.loss_name = checks.choice("loss", loss, LOSSES)
        self.lambda_cycle = checks.number("lambda_cycle", lambda_cycle, minimum=0.0)
        self.lambda_identity = checks.number("lambda_identity", lambda_identity, minimum=0.0)
        self.pool_size = checks.integer("pool_size", pool_size, minimum=0)
        self.seed = checks.seed("seed", seed)
        if patch_map_size(self.image_size, self.patch_layers) < 1:
            raise ConfigurationError(
                f"patch_layers={self.patch_layers} leaves no patch to score in images of "
                f"{self.image_size}x{self.image_size}; use fewer patch_layers or larger images.")
        self.generator_ab = build_generator(CHANNELS, self.filters, self.residual_blocks,
                                            name="generator_ab")
        self.generator_ba = build_generator(CHANNELS, self.filters, self.residual_blocks,
                                            name="generator_ba")
        self.discriminator_a = build_discriminator(CHANNELS, self.filters, self.patch_layers,
                                                   name="discriminator_a")
        self.discriminator_b = build_discriminator(CHANNELS, self.filters, self.patch_layers,
                                                   name="discriminator_b")
        self.seed_generator = keras.random.SeedGenerator(seed)
        shape = (self.image_size, self.image_size, CHANNELS)
        # Generated A images for D_A, generated B images for D_B.
        self.pool_a = ImagePool(self.pool_size, shape, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, shape, name="pool_b")
        self.track(METRICS)
        self.built = True

    def optimizer_targets(self) -> dict[str, tuple[keras.optimizers.Optimizer, list]]:
        """Each optimizer with the variables it trains: both generators, both discriminators."""
        return {"generator_optimizer": (
                    self.generator_optimizer, self.generator_ab.trainable_variables
                    + self.generator_ba.trainable_variables),
                "discriminator_optimizer": (
                    self.discriminator_optimizer, self.discriminator_a.trainable_variables
                    + self.discriminator_b.trainable_variables)}

    def training_state(self) -> dict[str, tf.Module]:
        """The image pools: checkpointed with a run, left out of the model's variables and
        of the export."""
        return {"pool_a": self.pool_a, "pool_b": self.pool_b}

    def a_to_b(self, images: tf.Tensor) -> tf.Tensor:
        """G_AB: domain A images in [-1, 1] -> domain B images in [-1, 1], the same size.

        Example:
            >>> model = CycleGAN(image_size=8, filters=2, residual_blocks=1, patch_layers=0)
            >>> model.a_to_b(tf.zeros([2, 12, 8, 3])).shape
            TensorShape([2, 12, 8, 3])
        """
        return self.generator_ab(images, training=False)

    def b_to_a(self, images: tf.Tensor) -> tf.Tensor:
        """G_BA: domain B images in [-1, 1] -> domain A images in [-1, 1], the same size."""
        return self.generator_ba(images, training=False)

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator_ab(images, training=training)

    # The pools' random draws, the same on every replica (one pool for the global batch);
    # tests replace them to choose which images are swapped.

    def draw_pool_choices(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The pool's (swap, slot) draws for each image of a global batch (see `pool.draw`)."""
        return draw(tf.shape(images)[0], self.pool_size, self.seed_generator.next())

    def _pooled(self, pool: ImagePool, generated: tf.Tensor) -> tf.Tensor:
        """What the discriminator sees for this replica's generated images, through `pool`."""
        if not self.pool_size:
            return tf.stop_gradient(generated)
        everyone, start = gather_replicas(generated)
        swap, slot = self.draw_pool_choices(everyone)
        return pool.query(everyone, swap, slot)[start:start + tf.shape(generated)[0]]

    def _split(self, data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        # Arrays reach the step as an (x,) or (x, None, None) tuple; a tf.data dataset's
        # elements, as they are.
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(data, dict) or not {"a", "b"} <= set(data):
            raise ValueError("CycleGAN trains on dicts {'a': images, 'b': images}; got "
                             f"{type(data).__name__}.")
        # Eager steps (run_eagerly, train_on_batch) may get numpy arrays.
        images = [tf.convert_to_tensor(data[domain], tf.float32) for domain in ("a", "b")]
        expected = (self.image_size, self.image_size, CHANNELS)
        for domain, batch in zip("ab", images):
            # The pools hold images of image_size; the generators alone would take any size.
            if self.pool_size and not batch.shape[1:].is_compatible_with(expected):
                raise ValueError(f"CycleGAN(image_size={self.image_size}) trains on images of "
                                 f"shape {expected}, the size its image pools hold; got "
                                 f"{domain!r} images of shape {tuple(batch.shape[1:])}.")
        return images[0], images[1]

    def _generator_losses(self, real_a: tf.Tensor, real_b: tf.Tensor, training: bool
                          ) -> tuple[dict[str, tf.Tensor], tf.Tensor, tf.Tensor]:
        """The generators' per-example losses, and G_BA(b) and G_AB(a)."""
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        # Each generator's second pass reconstructs and, with the identity loss, maps its own
        # target domain, in one batch: instance norm keeps every image's output its own.
        second_a = [fake_b, real_a] if self.lambda_identity else [fake_b]
        second_b = [fake_a, real_b] if self.lambda_identity else [fake_a]
        cycled_a = tf.split(self.generator_ba(tf.concat(second_a, 0), training=training),
                            len(second_a))
        cycled_b = tf.split(self.generator_ab(tf.concat(second_b, 0), training=training),
                            len(second_b))
        scale = REFERENCE_SCALE[self.loss_name]
        losses = {
            "g_ab": scale * generator_loss(self.loss_name,
                                           self.discriminator_b(fake_b, training=training)),
            "g_ba": scale * generator_loss(self.loss_name,
                                           self.discriminator_a(fake_a, training=training)),
            "cycle_a": _l1(cycled_a[0], real_a),
            "cycle_b": _l1(cycled_b[0], real_b),
        }
        if self.lambda_identity:
            losses["identity_a"] = _l1(cycled_a[1], real_a)
            losses["identity_b"] = _l1(cycled_b[1], real_b)
        else:
            losses["identity_a"] = losses["identity_b"] = tf.zeros_like(losses["cycle_a"])
        losses["g_loss"] = (losses["g_ab"] + losses["g_ba"]
                            + self.lambda_cycle * (losses["cycle_a"] + losses["cycle_b"])
                            + self.lambda_cycle * self.lambda_identity
                            * (losses["identity_a"] + losses["identity_b"]))
        return losses, fake_a, fake_b

    def _discriminator_losses(self, real_a: tf.Tensor, real_b: tf.Tensor, fake_a: tf.Tensor,
                              fake_b: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        """Each discriminator's per-example loss, halved as the reference's."""
        scale = 0.5 * REFERENCE_SCALE[self.loss_name]
        losses = {}
        for name, discriminator, real, fake in (("d_a", self.discriminator_a, real_a, fake_a),
                                                ("d_b", self.discriminator_b, real_b, fake_b)):
            # Real and generated images in one batch, each normalised on its own.
            real_scores, fake_scores = tf.split(
                discriminator(tf.concat([real, fake], 0), training=training), 2)
            losses[name] = scale * discriminator_loss(self.loss_name, real_scores, fake_scores)
        return losses

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        real_a, real_b = self._split(data)
        generator_optimizer, variables = self.optimizer_targets()["generator_optimizer"]
        with tf.GradientTape() as tape:
            losses, fake_a, fake_b = self._generator_losses(real_a, real_b, training=True)
            loss = generator_optimizer.scale_loss(replica_mean(losses["g_loss"]))
        generator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

        # The reference queries the pool of B images first (for its netD_A).
        pooled_b = self._pooled(self.pool_b, fake_b)
        pooled_a = self._pooled(self.pool_a, fake_a)
        discriminator_optimizer, variables = self.optimizer_targets()["discriminator_optimizer"]
        with tf.GradientTape() as tape:
            discriminators = self._discriminator_losses(real_a, real_b, pooled_a, pooled_b,
                                                        training=True)
            loss = discriminator_optimizer.scale_loss(
                replica_mean(discriminators["d_a"] + discriminators["d_b"]))
        discriminator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._report({**losses, **discriminators})

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        real_a, real_b = self._split(data)
        losses, fake_a, fake_b = self._generator_losses(real_a, real_b, training=False)
        return self._report({**losses, **self._discriminator_losses(real_a, real_b, fake_a,
                                                                    fake_b, training=False)})

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "image_size": self.image_size, "filters": self.filters,
                "residual_blocks": self.residual_blocks, "patch_layers": self.patch_layers,
                "loss": self.loss_name, "lambda_cycle": self.lambda_cycle,
                "lambda_identity": self.lambda_identity, "pool_size": self.pool_size,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "CycleGAN":
        return cls(**config)
