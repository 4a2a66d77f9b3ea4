"""Convolutional autoencoder, optionally sparse and denoising.

The plain model is the deep autoencoder of Hinton & Salakhutdinov, "Reducing the
Dimensionality of Data with Neural Networks" (Science 2006): an encoder narrowing to a
code of linear units and a decoder back to the image, trained to reconstruct its input
(here with convolutions for the outer layers, and trained end to end with Adam rather than
pretrained layer by layer with RBMs). Two settings give its usual variants:

- `sparsity` > 0 adds an L1 penalty on the code activations, the sparse autoencoder:
  Olshausen & Field, "Emergence of simple-cell receptive field properties by learning a
  sparse code for natural images" (Nature 1996) penalise the code's activity with a
  sparseness cost, and Ng's "Sparse autoencoder" lecture notes (CS294A, 2011) train an
  autoencoder under such a penalty (theirs is a KL penalty on sigmoid units' mean
  activation; the L1 penalty on the activations is the common variant for linear units).
- `denoising` > 0 is the denoising autoencoder of Vincent et al., "Extracting and Composing
  Robust Features with Denoising Autoencoders" (ICML 2008): in training, each input is
  corrupted (here with additive Gaussian noise of that standard deviation, clipped to
  [0, 1]; the paper's own corruption zeroes a random fraction of the pixels) and the
  network is trained to reconstruct the clean image. Held-out figures (`test_step`) and
  every exported signature use the clean input.

Reconstruction losses, per example, summed over pixels:

- `bernoulli`: the binary cross-entropy of the clean pixel intensities under the decoder's
  logits, in nats. MNIST intensities in [0, 1] are the soft targets (the images are not
  binarised), so the loss of a perfect reconstruction is the targets' own entropy, not 0.
- `gaussian`: the squared error of the decoded intensities (the logits' sigmoid), the
  negative Gaussian log-likelihood up to its scale and constant.

Under a mixed precision policy (`zoo.precision`) the convolutions and hidden layers compute
in the half type while the code, the logits and the losses stay float32.
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_seed
from zoo.families.autoencoder.networks import build_decoder, build_encoder, check_image_shape
from zoo.families.metrics import PerExampleLossSteps

LOSSES = ("bernoulli", "gaussian")
"""The reconstruction losses: binary cross-entropy in nats, or summed squared error."""


@keras.saving.register_keras_serializable(package="zoo")
class Autoencoder(PerExampleLossSteps, keras.Model):
    """Convolutional autoencoder; `sparsity` > 0 makes it sparse, `denoising` > 0 denoising.

    The per-example loss is `reconstruction_loss + sparsity * sparsity_loss`:
    `reconstruction_loss` as `loss` says (nats for `bernoulli`, the summed squared error
    for `gaussian`) of the clean image reconstructed from the (corrupted, when denoising)
    input, and `sparsity_loss` the L1 norm of the code, sum_i |code_i|. Like the VAE's
    `kl_loss`, `sparsity_loss` is reported unweighted, so a run without the penalty still
    shows how large its codes are.

    Args:
        image_shape: (height, width, channels) of the images, intensities in [0, 1].
        code_dim: size of the code.
        filters: channels of the encoder's stride-2 convolutions (the decoder mirrors them);
            height and width must be divisible by 2**len(filters).
        hidden_units: width of a dense layer between the convolutions and the code, on
            both sides (0 for none).
        loss: `bernoulli` or `gaussian` (see `LOSSES`).
        sparsity: weight of the L1 penalty on the code; 0 for none.
        denoising: standard deviation of the Gaussian noise added to each training input
            (then clipped to [0, 1]); 0 for none.
        seed: seed of the corruption noise drawn in training.

    Example:
        >>> import numpy as np
        >>> model = Autoencoder(image_shape=(8, 8, 1), code_dim=2, filters=(4,),
        ...                     hidden_units=8, sparsity=0.01, denoising=0.2, seed=0)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> images = np.random.default_rng(0).uniform(size=(8, 8, 8, 1)).astype("float32")
        >>> history = model.fit(images, epochs=1, batch_size=4, verbose=0)
        >>> sorted(history.history)
        ['loss', 'reconstruction_loss', 'sparsity_loss']
        >>> model.encode(images).shape, model.reconstruct(images).shape
        (TensorShape([8, 2]), TensorShape([8, 8, 8, 1]))
        >>> model.reconstruction_error(images).shape  # nats per image, the clean input's
        TensorShape([8])
    """

    def __init__(self, image_shape: Sequence[int] = (28, 28, 1), code_dim: int = 16,
                 filters: Sequence[int] = (16, 32), hidden_units: int = 256,
                 loss: str = "bernoulli", sparsity: float = 0.0, denoising: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_shape = checks.integers("image_shape", image_shape, length=3)
        self.code_dim = checks.integer("code_dim", code_dim, minimum=1)
        self.filters = checks.integers("filters", filters)
        self.hidden_units = checks.integer("hidden_units", hidden_units, minimum=0)
        self.loss_name = checks.choice("loss", loss, LOSSES)
        self.sparsity = checks.number("sparsity", sparsity, minimum=0.0)
        self.denoising = checks.number("denoising", denoising, minimum=0.0)
        self.seed = checks.seed("seed", seed)
        check_image_shape(self.image_shape, self.filters)
        self.encoder = build_encoder(self.image_shape, self.code_dim, self.filters,
                                     self.hidden_units)
        self.decoder = build_decoder(self.image_shape, self.code_dim, self.filters,
                                     self.hidden_units)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.track(("loss", "reconstruction_loss", "sparsity_loss"))
        # The networks are functional models, so every weight exists already.
        self.built = True

    # The random draw of a step, each replica its own (`replica_seed`); tests of distribution
    # replace it with a function of the example, the same on any replica.

    def corruption_noise(self, images: tf.Tensor) -> tf.Tensor:
        """Standard normal noise the shape of `images`; a fresh draw per call."""
        return tf.random.stateless_normal(tf.shape(images), seed=replica_seed(self.seed_generator),
                                          dtype=images.dtype)

    def corrupt(self, images: tf.Tensor) -> tf.Tensor:
        """The denoising autoencoder's corrupted input: images + denoising * noise, clipped to
        [0, 1]; the images themselves when `denoising` is 0."""
        if not self.denoising:
            return images
        noisy = images + self.denoising * self.corruption_noise(images)
        return tf.clip_by_value(noisy, 0.0, 1.0)

    def _reconstruction_loss(self, images: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
        """Per-example reconstruction loss of `images` (the clean targets) under `logits`."""
        if self.loss_name == "bernoulli":
            per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
        else:
            per_pixel = tf.square(tf.sigmoid(logits) - images)
        return tf.reduce_sum(per_pixel, axis=[1, 2, 3])

    def per_example_losses(self, images: tf.Tensor, training: bool = False
                           ) -> dict[str, tf.Tensor]:
        """`loss`, `reconstruction_loss` and `sparsity_loss`, each of shape (batch,); in
        training, the input is corrupted (when `denoising`) and the clean image is the target."""
        images = tf.cast(images, tf.float32)
        inputs = self.corrupt(images) if training else images
        code = self.encoder(inputs, training=training)
        reconstruction = self._reconstruction_loss(images, self.decoder(code, training=training))
        sparsity = tf.reduce_sum(tf.abs(code), axis=1)
        return {"loss": reconstruction + self.sparsity * sparsity,
                "reconstruction_loss": reconstruction, "sparsity_loss": sparsity}

    # Inference used by the exported signatures and the plots: no corruption.

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Reconstructions in [0, 1]."""
        return tf.sigmoid(self.decoder(self.encoder(images, training=training),
                                       training=training))

    def encode(self, images: tf.Tensor) -> tf.Tensor:
        """Images in [0, 1] -> their codes, shape (batch, code_dim)."""
        return self.encoder(images)

    def decode(self, code: tf.Tensor) -> tf.Tensor:
        """Codes -> images in [0, 1] (the decoder's logits through a sigmoid)."""
        return tf.sigmoid(self.decoder(code))

    def reconstruct(self, images: tf.Tensor) -> tf.Tensor:
        """Images in [0, 1] -> their reconstructions in [0, 1], decoded from their codes."""
        return self.decode(self.encode(images))

    def reconstruction_error(self, images: tf.Tensor) -> tf.Tensor:
        """Per-example reconstruction loss of clean images, shape (batch,): nats for
        `bernoulli`, the summed squared error for `gaussian`; higher is more unusual."""
        images = tf.cast(images, tf.float32)
        return self._reconstruction_loss(images, self.decoder(self.encoder(images)))

    def squared_error(self, images: tf.Tensor) -> tf.Tensor:
        """Per-example squared error of the reconstruction in [0, 1], summed over pixels,
        shape (batch,): the reconstruction error of Ruff et al.'s deep convolutional
        autoencoder baseline ("Deep One-Class Classification", ICML 2018). Unlike the
        Bernoulli loss on intensities it holds no entropy of the image's own grey pixels."""
        images = tf.cast(images, tf.float32)
        return tf.reduce_sum(tf.square(self.reconstruct(images) - images), axis=[1, 2, 3])

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "image_shape": list(self.image_shape),
                "code_dim": self.code_dim, "filters": list(self.filters),
                "hidden_units": self.hidden_units, "loss": self.loss_name,
                "sparsity": self.sparsity, "denoising": self.denoising, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Autoencoder":
        return cls(**config)
