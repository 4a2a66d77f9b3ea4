"""Generator and discriminator networks of the GAN family.

- `dcgan28`: the 28x28 generator and discriminator of the TensorFlow DCGAN
  tutorial (5x5 kernels, generator 7x7x256 -> 7x7x128 -> 14x14x64 -> 28x28
  with batch norm and LeakyReLU, discriminator 64 -> 128 strided convolutions
  with dropout 0.3).
- `dcgan64`: the canonical 64x64 DCGAN of Radford et al. 2016 (4x4 kernels,
  generator 4x4x512 -> 64x64, discriminator 64 -> 512 with batch norm from the
  second layer on).
- `mlp`: fully connected networks for low-dimensional data (the 2-D mode
  coverage benchmarks).

Following Radford et al. 2016 throughout: weights drawn from N(0, 0.02),
LeakyReLU slope 0.2 (set explicitly: Keras' default is 0.3), tanh generator
output for images, so they are scaled to [-1, 1]. One exception: the mlp
discriminator's weights are He-normal (He et al. 2015), because N(0, 0.02)
shrinks each of its layers' outputs about fivefold, so on 2-D data it starts
as a near-constant function that stays at log 4 for thousands of steps. Batch
normalisation is synchronised across replicas, so a distributed step
normalises over the global batch like a single-device step. Under a mixed
precision policy (`zoo.precision`) each network's last layer, its output
activation and the discriminator's final reshape stay float32: the scores and
the generated data are float32.

A conditional network (num_classes > 0) takes integer labels as a second
input: the generator sees z concatenated with the one-hot label, the
discriminator its input concatenated with the one-hot label (broadcast over
height and width for images), as in Mirza & Osindero 2014.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import keras

from zoo.distributed import Dropout
from zoo.precision import FLOAT32

ARCHITECTURES = ("dcgan28", "dcgan64", "mlp")
NORMALIZATIONS = ("batch", "layer", "none")
LEAKY_SLOPE = 0.2
ARCHITECTURE_SETTINGS = {
    "dcgan28": ("dropout",),
    "dcgan64": ("discriminator_normalization",),
    "mlp": ("generator_units", "discriminator_units", "discriminator_normalization", "pack",
            "maxout_pieces"),
}
"""The GAN model settings that only some architectures' networks read (see `build_generator`
and `build_discriminator`); every other setting applies to all of them."""


def settings_in_use(model_config: Mapping[str, Any]) -> dict[str, Any]:
    """A GAN model config without the settings its architecture's networks ignore.

    Args:
        model_config: a GAN's `get_config()`, as an export's `zoo.json` records it.

    Returns:
        The config in its own order, less the `ARCHITECTURE_SETTINGS` of the other
        architectures (the mlp widths of a dcgan28 model, say); the whole config for an
        architecture this module does not know.

    Example:
        >>> settings_in_use({"architecture": "dcgan28", "latent_dim": 100, "dropout": 0.3,
        ...                  "pack": 1, "generator_units": [400]})
        {'architecture': 'dcgan28', 'latent_dim': 100, 'dropout': 0.3}
    """
    architecture = model_config.get("architecture")
    if architecture not in ARCHITECTURE_SETTINGS:
        return dict(model_config)  # not one this module builds: nothing known to drop
    ignored = ({key for keys in ARCHITECTURE_SETTINGS.values() for key in keys}
               - set(ARCHITECTURE_SETTINGS[architecture]))
    return {key: value for key, value in model_config.items() if key not in ignored}


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(0.0, 0.02)


def _batch_norm() -> keras.layers.Layer:
    return keras.layers.BatchNormalization(
        synchronized=True, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


def _normalize(x, kind: str):
    if kind == "batch":
        return _batch_norm()(x)
    if kind == "layer":
        return keras.layers.LayerNormalization()(x)
    return x


def _leaky(x):
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)


def _inputs(shape: Sequence[int], num_classes: int, name: str):
    data = keras.Input(tuple(shape), name=name)
    labels = keras.Input((), dtype="int32", name="labels") if num_classes else None
    return data, labels


def _with_labels(x, labels, num_classes: int):
    """Concatenates the one-hot label to x (broadcast over any spatial axes)."""
    if labels is None:
        return x
    one_hot = keras.ops.one_hot(labels, num_classes)
    if len(x.shape) == 4:
        one_hot = one_hot[:, None, None, :] * keras.ops.ones_like(x[..., :1])
    return keras.layers.Concatenate()([x, one_hot])


def _model(data, labels, outputs, name: str) -> keras.Model:
    return keras.Model([data, labels] if labels is not None else data, outputs, name=name)


def build_generator(architecture: str, latent_dim: int, data_shape: Sequence[int],
                    num_classes: int = 0, hidden_units: Sequence[int] = (400, 400, 400, 400)
                    ) -> keras.Model:
    """The generator: z (and labels) -> data in [-1, 1] (images) or unbounded (mlp)."""
    latent, labels = _inputs((latent_dim,), num_classes, "latent")
    x = _with_labels(latent, labels, num_classes)
    if architecture == "dcgan28":
        # The tutorial's generator uses LeakyReLU where Radford et al. use ReLU.
        x = keras.layers.Dense(7 * 7 * 256, use_bias=False, kernel_initializer=_init())(x)
        x = _leaky(_batch_norm()(x))
        x = keras.layers.Reshape((7, 7, 256))(x)
        for filters, stride in ((128, 1), (64, 2)):
            x = keras.layers.Conv2DTranspose(filters, 5, strides=stride, padding="same",
                                             use_bias=False, kernel_initializer=_init())(x)
            x = _leaky(_batch_norm()(x))
        x = keras.layers.Conv2DTranspose(data_shape[-1], 5, strides=2, padding="same",
                                         use_bias=False, activation="tanh",
                                         kernel_initializer=_init(), dtype=FLOAT32)(x)
    elif architecture == "dcgan64":
        x = keras.layers.Reshape((1, 1, x.shape[-1]))(x)
        x = keras.layers.Conv2DTranspose(512, 4, padding="valid", use_bias=False,
                                         kernel_initializer=_init())(x)
        x = keras.layers.ReLU()(_batch_norm()(x))
        for filters in (256, 128, 64):
            x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                             use_bias=False, kernel_initializer=_init())(x)
            x = keras.layers.ReLU()(_batch_norm()(x))
        x = keras.layers.Conv2DTranspose(data_shape[-1], 4, strides=2, padding="same",
                                         activation="tanh", kernel_initializer=_init(),
                                         dtype=FLOAT32)(x)
    else:
        for units in hidden_units:
            x = keras.layers.Dense(units, kernel_initializer=_init())(x)
            x = keras.layers.ReLU()(_batch_norm()(x))
        x = keras.layers.Dense(data_shape[-1], kernel_initializer=_init(), dtype=FLOAT32)(x)
    return _model(latent, labels, x, "generator")


def build_discriminator(architecture: str, data_shape: Sequence[int], num_classes: int = 0,
                        hidden_units: Sequence[int] = (200, 200, 200), pack: int = 1,
                        normalization: str = "batch", dropout: float = 0.3,
                        maxout_pieces: int = 0) -> keras.Model:
    """The discriminator: data (and labels) -> one unbounded score per example.

    `pack` > 1 (mlp only) scores groups of `pack` examples concatenated
    (PacGAN, Lin et al. 2018): the input is (batch, pack * features) and the
    caller packs. `normalization` applies to the dcgan64 and mlp hidden layers
    (the paper's batch norm; WGAN-GP's critic wants `layer` or `none`);
    `dropout` is the dcgan28 discriminator's. `maxout_pieces` > 1 (mlp only)
    makes each hidden unit the maximum of that many linear pieces (maxout,
    Goodfellow et al. 2013), as PacGAN's 2-D discriminator (5 pieces) does;
    0 keeps LeakyReLU units.
    """
    shape = tuple(data_shape[:-1]) + (data_shape[-1] * pack,)
    data, labels = _inputs(shape, num_classes, "data")
    x = _with_labels(data, labels, num_classes)
    if architecture == "dcgan28":
        for filters in (64, 128):
            x = keras.layers.Conv2D(filters, 5, strides=2, padding="same",
                                    kernel_initializer=_init())(x)
            x = _leaky(x)
            if dropout:
                x = Dropout(dropout)(x)
        x = keras.layers.Dense(1, kernel_initializer=_init(), dtype=FLOAT32)(
            keras.layers.Flatten()(x))
    elif architecture == "dcgan64":
        for index, filters in enumerate((64, 128, 256, 512)):
            x = keras.layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=index == 0,
                                    kernel_initializer=_init())(x)
            x = _leaky(_normalize(x, normalization) if index else x)
        x = keras.layers.Conv2D(1, 4, padding="valid", kernel_initializer=_init(),
                                dtype=FLOAT32)(x)
        x = keras.layers.Reshape((1,), dtype=FLOAT32)(x)
    else:
        pieces = max(maxout_pieces, 1)
        for units in hidden_units:
            x = keras.layers.Dense(units * pieces, kernel_initializer="he_normal")(x)
            x = _normalize(x, normalization)
            if pieces > 1:
                x = keras.ops.max(keras.layers.Reshape((units, pieces))(x), axis=-1)
            else:
                x = _leaky(x)
        x = keras.layers.Dense(1, kernel_initializer="he_normal", dtype=FLOAT32)(x)
    return _model(data, labels, keras.layers.Reshape((), dtype=FLOAT32)(x), "discriminator")
