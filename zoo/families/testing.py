"""Each family's tiny test case, and the shared suite's way to find them.

Every family folder holds a `case` module with `CASES`, one `FamilyCase` per configuration
the shared tests run (tests/families/test_conformance.py, tests/test_precision.py, the
serving exports of tests/serving_exports.py): it builds from its config and back, a few
steps train every network, it exports and loads back with the same weights, one step on two
replicas equals the single-device step, a checkpointed run resumes exactly, and under mixed
precision its outputs stay float32 and its export computes what the float32 model does.
A new family joins every one of those tests by writing its case; no test names a family.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from zoo.families import family_names, get_family
from zoo.registry import DataSpec, Entry, OptimizerSpec


def _no_control(model: keras.Model) -> None:
    """For a model whose training step draws nothing at random."""


@dataclasses.dataclass(frozen=True)
class FamilyCase:
    """A tiny configuration of a family and what the shared tests need to know of it.

    Attributes:
        name: the case's name in test ids and in `tests/serving_exports.py` (`vae`, `cgan`).
        family: the family's name.
        config: a tiny model config (a few filters, 8 to 28 px images) whose training step
            is deterministic but for the draws `control` fixes: dropout off, say.
        features: `count -> named features` as the data layer gives them to the family
            (`{"image": uint8 (count, H, W, C), "label": int64 (count,)}`, ...).
        control: makes the model's random draws in a training step functions of each
            example, so that an example draws the same on whichever replica holds it (the
            one-vs-two-replica test); leaves the model alone if it draws nothing per replica.
        float32_outputs: `(model, prepared batch) -> {name: tensor}`, what each network
            hands to the losses and to the export; all must be float32 under a mixed policy.
        served_and_exact: `(loaded export, float32 model rebuilt from it, prepared batch)
            -> (the export's output, the float32 model's)`, for one deterministic signature
            in [0, 1]: the export of a mixed-precision model must compute the same images.
    """

    name: str
    family: str
    config: Mapping[str, Any]
    features: Callable[[int], dict[str, np.ndarray]]
    float32_outputs: Callable[[keras.Model, Any], dict[str, tf.Tensor]]
    served_and_exact: Callable[[Any, keras.Model, Any], tuple[np.ndarray, np.ndarray]]
    control: Callable[[keras.Model], None] = _no_control

    def prepared(self, count: int) -> Any:
        """`count` examples as the family's `preprocess` hands them to `train_step`."""
        features = {name: tf.constant(value) for name, value in self.features(count).items()}
        return get_family(self.family).preprocess(features, tf.constant([0, 1], tf.int64))

    def batches(self, count: int = 8, batch_size: int = 8) -> tf.data.Dataset:
        """`count` prepared examples in batches of `batch_size`, in order."""
        return tf.data.Dataset.from_tensor_slices(self.prepared(count)).batch(batch_size)

    def entry(self, epochs: int = 1, batch_size: int = 8) -> Entry:
        """A zoo entry of the case's config (`tiny_<name>`), Adam 1e-3 for every network."""
        return Entry(name=f"tiny_{self.name}", description=f"tiny {self.name}",
                     family=self.family, model_config=dict(self.config), data=DataSpec("mnist"),
                     epochs=epochs, batch_size=batch_size,
                     optimizers={name: OptimizerSpec(1e-3)
                                 for name in get_family(self.family).optimizers})


def family_cases() -> list[FamilyCase]:
    """Every family's cases, family by family in name order."""
    return [case for name in family_names()
            for case in importlib.import_module(f"zoo.families.{name}.case").CASES]


def uint8_images(count: int, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """`count` random uint8 images of `shape` (height, width, channels)."""
    return np.random.default_rng(seed).integers(0, 256, (count, *shape), np.uint8)


def example_noise(values: tf.Tensor, width: int) -> tf.Tensor:
    """A fixed function of each example (`width` values in [-1, 1] per example): the same
    "draw" on whichever replica holds it, for `FamilyCase.control`."""
    features = int(np.prod(values.shape[1:]))
    flat = tf.reshape(tf.cast(values, tf.float32), [-1, features])
    projection = tf.sin(tf.reshape(tf.range(features * width, dtype=tf.float32),
                                   [features, width]))
    return tf.sin(tf.matmul(flat, projection) + 1.0)
