"""pix2pix: image-to-image translation with a conditional GAN (Isola et al., "Image-to-Image
Translation with Conditional Adversarial Networks", CVPR 2017).

A U-Net generator G maps an input image x to an output image; a PatchGAN
discriminator D scores patches of (x, y) pairs, real (the target y) against
generated (G(x)). The generator minimises

    lambda_gan * L_GAN(G, D) + lambda_l1 * L1(G),  L1(G) = mean |y - G(x)|,

with lambda_l1 = 100 as in the paper; the paper's noise is the generator's
dropout alone (no latent input).

One training step follows the authors' `Pix2PixModel.optimize_parameters`:
G(x) is computed once; the discriminator is updated first on (x, y) against
(x, G(x)) with G's output held fixed, its objective halved (the paper's
"divide the objective by 2 while optimizing D"); then the generator is updated
through the same G(x), scored by the updated discriminator.

Data cross into the model scaled to the generator's range, [-1, 1]; the
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
from zoo.families.patchgan import smallest_image
from zoo.families.pix2pix.networks import (DROPOUT_SEED_ARGUMENT, build_discriminator,
                                           build_generator, unet_depth)
from zoo.losses import check_loss, discriminator_loss, generator_loss

METRICS = ("d_loss", "g_loss", "g_gan", "g_l1")


@keras.saving.register_keras_serializable(package="zoo")
class Pix2Pix(AdversarialModel):
    """pix2pix with its own `train_step`: one optimizer per network, set in `compile`.

    Training data are dicts {"input": x, "target": y}: float32 images in
    [-1, 1], x of shape (batch, image_size, image_size, input_channels) and y
    of (batch, image_size, image_size, output_channels). The metrics are
    `d_loss` (the discriminator's halved loss), `g_loss` (the generator's
    objective), and its two terms unweighted: `g_gan` (adversarial) and `g_l1`
    (the mean absolute error per pixel, in the [-1, 1] range). The L1 term is
    the reference's `torch.nn.L1Loss()`, a mean over pixels and channels, not
    a sum. `fit(validation_data=...)` reports the same metrics on held-out
    pairs, computed by the deterministic inference generator.

    Inference (`translate`, `call`, the export) is deterministic by default:
    dropout off and batch norm with its moving statistics, so that an export
    gives the same answer twice. The paper instead keeps dropout on at test
    time as its only source of noise (and normalises with the test batch's
    statistics). `test_time_dropout=True` offers the dropout half of that
    choice: `translate` then takes a seed and applies dropout with masks drawn
    statelessly from it (the same seed gives the same output), batch norm
    still using its moving statistics.

    Args:
        image_size: height and width of the square images, a power of two >= 8; it
            sets the U-Net's depth (log2(image_size): 8 at 256 px, as the paper's).
        input_channels: channels of the input images.
        output_channels: channels of the output images.
        filters: base width of both networks (64 in the paper).
        patch_layers: the PatchGAN's stride-2 layers: 0 (1x1 PixelGAN), 1 (16x16
            patches), 3 (70x70, the paper's default), 5 (286x286).
        loss: the adversarial loss, one of `zoo.losses.LOSSES` but `wasserstein`
            (which needs a gradient penalty this model does not have):
            `non_saturating` (the paper's), `least_squares`, `hinge` or `minimax`.
        lambda_l1: weight of the L1 term (100 in the paper).
        lambda_gan: weight of the adversarial term; 0 is the paper's L1-only
            ablation, in which the discriminator is neither evaluated nor trained
            (its weights stay as built) and `d_loss` and `g_gan` report 0.
        dropout: dropout rate of the generator's first three decoder blocks (0.5
            in the paper); 0 removes dropout.
        test_time_dropout: whether `translate` and the export apply seeded dropout.
        seed: seed of the dropout masks drawn in training.

    Example:
        >>> import numpy as np
        >>> model = Pix2Pix(image_size=16, input_channels=1, output_channels=1, filters=4,
        ...                 patch_layers=1, seed=0)
        >>> model.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        ...               discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        >>> pairs = {"input": np.zeros((4, 16, 16, 1), "float32"),
        ...          "target": np.ones((4, 16, 16, 1), "float32")}
        >>> history = model.fit(pairs, batch_size=2, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['d_loss', 'g_gan', 'g_l1', 'g_loss']
        >>> model.translate(pairs["input"]).shape
        TensorShape([4, 16, 16, 1])
    """

    def __init__(self, image_size: int = 256, input_channels: int = 3, output_channels: int = 3,
                 filters: int = 64, patch_layers: int = 3, loss: str = "non_saturating",
                 lambda_l1: float = 100.0, lambda_gan: float = 1.0, dropout: float = 0.5,
                 test_time_dropout: bool = False, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        unet_depth(image_size)  # refuses sizes that are not powers of two >= 8
        self.image_size = int(image_size)
        self.input_channels = checks.integer("input_channels", input_channels, minimum=1)
        self.output_channels = checks.integer("output_channels", output_channels, minimum=1)
        self.filters = checks.integer("filters", filters, minimum=1)
        self.patch_layers = checks.integer("patch_layers", patch_layers, minimum=0)
        self.loss_name = check_loss(loss)
        self.lambda_l1 = checks.number("lambda_l1", lambda_l1, minimum=0.0)
        self.lambda_gan = checks.number("lambda_gan", lambda_gan, minimum=0.0)
        self.dropout = checks.number("dropout", dropout, minimum=0.0, below=1.0)
        if not isinstance(test_time_dropout, bool):
            raise ConfigurationError(f"test_time_dropout must be True or False; got "
                                     f"{test_time_dropout!r}.")
        self.test_time_dropout = test_time_dropout
        self.seed = checks.seed("seed", seed)
        self._check_combination()
        self.generator = build_generator(self.image_size, self.input_channels,
                                         self.output_channels, self.filters, self.dropout,
                                         self.seed)
        # Built even when lambda_gan is 0, so that the variables and optimizers do not
        # depend on it (the runtime builds and checkpoints both); the L1-only step then
        # never touches the discriminator.
        self.discriminator = build_discriminator(self.input_channels, self.output_channels,
                                                 self.filters, self.patch_layers,
                                                 self.image_size)
        self.track(METRICS)
        self.built = True

    def _check_combination(self) -> None:
        """Settings that are valid alone but not together."""
        if self.loss_name == "wasserstein":
            raise ConfigurationError(
                "loss='wasserstein' needs a gradient penalty (WGAN-GP), which pix2pix does not "
                "have; choose non_saturating, least_squares, hinge or minimax.")
        smallest = smallest_image(self.patch_layers)
        if self.image_size < smallest:
            raise ConfigurationError(
                f"patch_layers={self.patch_layers} needs image_size >= {smallest} (each "
                f"stride-2 layer halves the image); got image_size={self.image_size}.")
        if not self.lambda_l1 and not self.lambda_gan:
            raise ConfigurationError("lambda_l1 and lambda_gan are both 0, which leaves the "
                                     "generator nothing to learn; set at least one.")
        if self.test_time_dropout and not self.dropout:
            raise ConfigurationError("test_time_dropout=True needs dropout > 0; got "
                                     "dropout=0.0.")

    @property
    def adversarial(self) -> bool:
        """Whether the adversarial term is on (lambda_gan > 0), and so the discriminator trains."""
        return self.lambda_gan > 0

    def translate(self, images: tf.Tensor, seed: Any = None) -> tf.Tensor:
        """The generator's output at inference, for images in [-1, 1].

        Deterministic unless the model has `test_time_dropout`: then the dropout
        layers drop with masks drawn statelessly from `seed` (the same seed gives
        the same output). Batch norm uses its moving statistics either way.

        Args:
            images: (batch, image_size, image_size, input_channels) in [-1, 1].
            seed: an integer (a Python int or an int scalar tensor); required with
                `test_time_dropout`, refused without it.

        Returns:
            (batch, image_size, image_size, output_channels) in [-1, 1].

        Raises:
            ValueError: a seed without test_time_dropout, or none with it.

        Example:
            >>> model = Pix2Pix(image_size=8, filters=2, patch_layers=1,
            ...                 test_time_dropout=True)
            >>> images = tf.zeros([1, 8, 8, 3])
            >>> bool(tf.reduce_all(model.translate(images, seed=3)
            ...                    == model.translate(images, seed=3)))
            True
        """
        if self.test_time_dropout != (seed is not None):
            raise ValueError("translate() takes a seed exactly when the model has "
                             f"test_time_dropout (here {self.test_time_dropout}); got "
                             f"seed={seed!r}.")
        if seed is None:
            return self.generator(images, training=False)
        pair = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        return self.generator(images, training=False, **{DROPOUT_SEED_ARGUMENT: pair})

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator(images, training=training)

    def _split(self, data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        # Arrays reach the step as an (x,) or (x, None, None) tuple; a tf.data dataset's
        # elements, as they are.
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(data, dict) or not {"input", "target"} <= set(data):
            raise ValueError("pix2pix trains on dicts {'input': images, 'target': images}; got "
                             f"{type(data).__name__}.")
        # Eager steps (run_eagerly, train_on_batch) may get numpy arrays.
        return (tf.convert_to_tensor(data["input"], tf.float32),
                tf.convert_to_tensor(data["target"], tf.float32))

    def _generator_losses(self, source: tf.Tensor, target: tf.Tensor, fake: tf.Tensor,
                          training: bool) -> dict[str, tf.Tensor]:
        """The generator's per-example losses for G(x) = `fake`, scored by D as it is now."""
        l1 = tf.reduce_mean(tf.abs(tf.reshape(target - fake, [tf.shape(fake)[0], -1])), axis=1)
        if self.adversarial:
            adversarial = generator_loss(
                self.loss_name, self.discriminator([source, fake], training=training))
        else:
            adversarial = tf.zeros_like(l1)
        return {"g_loss": self.lambda_gan * adversarial + self.lambda_l1 * l1,
                "g_gan": adversarial, "g_l1": l1}

    def _discriminator_loss(self, source: tf.Tensor, target: tf.Tensor, fake: tf.Tensor,
                            training: bool) -> tf.Tensor:
        """D's per-example loss, halved as in the paper; zeros when it does not train."""
        if not self.adversarial:
            return tf.zeros([tf.shape(source)[0]])
        real_scores = self.discriminator([source, target], training=training)
        fake_scores = self.discriminator([source, fake], training=training)
        return 0.5 * discriminator_loss(self.loss_name, real_scores, fake_scores)

    def _discriminator_step(self, source: tf.Tensor, target: tf.Tensor,
                            fake: tf.Tensor) -> tf.Tensor:
        """One discriminator update against `fake` held fixed; its per-example loss."""
        if not self.adversarial:
            return self._discriminator_loss(source, target, fake, training=True)
        with tf.GradientTape() as tape:
            # G(x) held fixed, as the reference's fake_B.detach().
            per_example = self._discriminator_loss(source, target, tf.stop_gradient(fake),
                                                   training=True)
            loss = self.discriminator_optimizer.scale_loss(replica_mean(per_example))
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return per_example

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        source, target = self._split(data)
        with tf.GradientTape() as tape:
            fake = self.generator(source, training=True)
            with tape.stop_recording():
                d_loss = self._discriminator_step(source, target, fake)
            # The same G(x), now scored by the updated discriminator.
            losses = self._generator_losses(source, target, fake, training=True)
            loss = self.generator_optimizer.scale_loss(replica_mean(losses["g_loss"]))
        variables = self.generator.trainable_variables
        self.generator_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._report({"d_loss": d_loss, **losses})

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        source, target = self._split(data)
        fake = self.generator(source, training=False)
        return self._report({"d_loss": self._discriminator_loss(source, target, fake, False),
                             **self._generator_losses(source, target, fake, training=False)})

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "image_size": self.image_size,
                "input_channels": self.input_channels, "output_channels": self.output_channels,
                "filters": self.filters, "patch_layers": self.patch_layers,
                "loss": self.loss_name, "lambda_l1": self.lambda_l1,
                "lambda_gan": self.lambda_gan, "dropout": self.dropout,
                "test_time_dropout": self.test_time_dropout, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Pix2Pix":
        return cls(**config)
