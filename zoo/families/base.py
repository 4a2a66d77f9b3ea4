"""What a model family provides to the shared runtime, export and `zoo.load`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from zoo.signatures import Signature


@dataclasses.dataclass(frozen=True)
class Family:
    """A family of models (VAE, GAN, pix2pix, ...) as the runtime sees it.

    Examples reach a family as named features (`{"image": ..., "label": ...}`,
    `{"input": ..., "target": ...}`), images as uint8 or as float32 in [0, 1].

    Attributes:
        name: short family name, recorded in exports.
        model_class: the subclassed `keras.Model`; built as `model_class(**model_config)`.
            It exposes `optimizer_targets()`: each optimizer with the variables it
            trains; optionally `training_state()`: trackables the runtime checkpoints
            but that are not exported (CycleGAN's image pools).
        optimizers: the keyword arguments of the model's `compile()` that take its
            optimizers, one per network; the entry declares each one's settings.
        preprocess: `(batch, seed) -> what train_step receives`, per batch of named
            features; `seed` is a stateless-random seed of shape [2].
        signatures: model -> the exported serving signatures; the first is serving_default.
        preview: `(model, held_out, seed) -> (H, W, C) grid in [0, 1]`, the per-epoch
            picture, from a fixed held-out batch of named numpy features (samples for
            generative models, input | output | target rows for translation models).
        plots: `(loaded export, held_out, output folder) -> written PNG paths`.
        settings_in_use: `model config -> the settings the model's networks read`, for
            `zoo info`; None when every setting applies.
        ema_decay: the decay of a moving average of the weights that the family's entries
            keep and export (`zoo.optimizers.WeightAverage`; 0.999 for keras-io's DDIM),
            unless an entry sets its own (`Entry.ema_decay`); None for no average.
        choices: the model config values that are one of a set of names (the diffusion
            family's `loss` and `schedule`), each with its names; an entry's flag for such a
            value offers these as its choices.
    """

    name: str
    model_class: type[keras.Model]
    optimizers: tuple[str, ...]
    preprocess: Callable[[Mapping[str, tf.Tensor], tf.Tensor], Any]
    signatures: Callable[[keras.Model], list[Signature]]
    preview: Callable[[keras.Model, Mapping[str, np.ndarray], int], np.ndarray]
    plots: Callable[[Any, Mapping[str, np.ndarray], Path], list[Path]]
    settings_in_use: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    ema_decay: float | None = None
    choices: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
