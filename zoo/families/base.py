"""What a model family provides to the shared runtime, export and `zoo.load`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from zoo.signatures import Signature


@dataclasses.dataclass(frozen=True)
class Family:
    """A family of models (VAE, GAN, ...) as the runtime sees it.

    Attributes:
        name: short family name, recorded in exports.
        model_class: the subclassed `keras.Model`; built as `model_class(**model_config)`.
            It exposes `optimizer_targets()`: each optimizer with the variables it trains.
        optimizers: the keyword arguments of the model's `compile()` that take its
            optimizers, one per network; the runtime gives each an Adam optimizer with
            the entry's learning rate and settings.
        preprocess: `(images, labels, seed) -> what train_step receives`, per batch of
            uint8 images and integer labels; `seed` is a stateless-random seed of shape [2].
        signatures: model -> the exported serving signatures; the first is serving_default.
        preview: (model, count, seed) -> numpy images in [0, 1], the per-epoch sample grid.
        plots: (loaded export, held-out uint8 images, output folder) -> written PNG paths.
    """

    name: str
    model_class: type[keras.Model]
    optimizers: tuple[str, ...]
    preprocess: Callable[[tf.Tensor, tf.Tensor, tf.Tensor], Any]
    signatures: Callable[[keras.Model], list[Signature]]
    preview: Callable[[keras.Model, int, int], np.ndarray]
    plots: Callable[[Any, np.ndarray, Path], list[Path]]
