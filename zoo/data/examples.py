"""A split of a data set as the pipeline reads it, and the streams made from it.

`Examples` is one table of named features (MNIST's images and labels, a paired
folder's files); `UnpairedExamples` is two domains of their own lengths
(CycleGAN's A and B). Both give the runtime the same three things: the
training stream, the held-out dataset and a fixed held-out batch, so a family
of either kind plugs into the runtime without special cases.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import numpy as np
import tensorflow as tf

from zoo.data.augment import jitter, resize
from zoo.data.pipeline import evaluation_dataset, training_stream

Read = Callable[[Mapping[str, Any]], dict]
"""Per example: named features (file paths) -> named features (decoded images, float32 [0, 1])."""

Transform = Callable[[Mapping[str, Any]], dict]
"""Per batch, deterministic: named features -> the data set's own features (e.g. masked inputs)."""

Preprocess = Callable[[Mapping[str, Any], tf.Tensor], Any]
"""Per batch: the family's step from named features to what `train_step` receives."""


def _numpy(batch: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {name: np.asarray(value) for name, value in batch.items()}


@dataclasses.dataclass(frozen=True)
class Examples:
    """One split of a data set.

    Attributes:
        features: named equal-length arrays: the data themselves (MNIST's `image`
            and `label`, held in memory), or file paths that `read` decodes as the
            stream runs.
        description: what was loaded, for the log (e.g. "155 pairs from facades/train").
        read: per example, file paths -> decoded images (float32 in [0, 1], any size);
            None when `features` are the data.
        transform: per batch, after `read` and any augmentation: the data set's own
            deterministic transformation (the inpainting task's masked input, say);
            None for none.
        image_keys: the features that are images after `read` (what augmentation
            resizes, crops and flips together).
    """

    features: Mapping[str, np.ndarray]
    description: str
    read: Read | None = None
    transform: Transform | None = None
    image_keys: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(next(iter(self.features.values())))

    def head(self, count: int) -> "Examples":
        """The first `count` examples (all of them if fewer)."""
        return dataclasses.replace(
            self, features={name: array[:count] for name, array in self.features.items()})

    def of_class(self, label: int) -> "Examples":
        """The examples whose `label` feature is `label`, in their order: one class of a
        labelled data set, as one-class training takes it (`--normal-class`). May be empty.

        Example:
            >>> digits = Examples({"image": np.zeros((4, 2, 2), "uint8"),
            ...                    "label": np.array([3, 1, 3, 0])}, "4 digits")
            >>> ones = digits.of_class(3)
            >>> len(ones), ones.description
            (2, 'the 2 examples labelled 3 of 4 digits')
        """
        if "label" not in self.features:
            raise ValueError(f"{self.description} have no label feature to filter on.")
        keep = np.asarray(self.features["label"]) == label
        return dataclasses.replace(
            self, features={name: np.asarray(array)[keep] for name, array in self.features.items()},
            description=f"the {int(keep.sum())} examples labelled {label} of {self.description}")

    def reader(self, image_size: int | None, augment: str
               ) -> Callable[[Mapping[str, Any], Any], dict] | None:
        """The per-example step: read, then `jitter` (training) or resize; None in memory."""
        if self.read is None:
            return None
        if image_size is None:
            raise ValueError("Data read from files need the model's image_size.")

        def read(example: Mapping[str, Any], seed: Any) -> dict:
            decoded = self.read(example)
            if augment == "jitter":
                return jitter(decoded, self.image_keys, image_size, seed)
            return resize(decoded, self.image_keys, image_size)

        return read

    def prepared(self, preprocess: Preprocess) -> Preprocess:
        """The per-batch step: the data set's own transform, then `preprocess`."""
        if self.transform is None:
            return preprocess
        return lambda batch, seed: preprocess(self.transform(batch), seed)

    def stream(self, *, batch_size: int, seed: int, preprocess: Preprocess,
               image_size: int | None = None, augment: str = "none",
               steps_per_epoch: int | None = None, start_epoch: int = 0
               ) -> tuple[tf.data.Dataset, int]:
        """The resumable training stream (`zoo.data.pipeline.training_stream`)."""
        return training_stream(self.features, batch_size=batch_size, seed=seed,
                               preprocess=self.prepared(preprocess),
                               read=self.reader(image_size, augment),
                               steps_per_epoch=steps_per_epoch, start_epoch=start_epoch)

    def evaluation(self, *, batch_size: int, seed: int, preprocess: Preprocess,
                   image_size: int | None = None) -> tf.data.Dataset:
        """One pass for held-out losses, never augmented."""
        return evaluation_dataset(self.features, batch_size=batch_size, seed=seed,
                                  preprocess=self.prepared(preprocess),
                                  read=self.reader(image_size, "none"))

    def held_out(self, count: int, image_size: int | None = None) -> dict[str, np.ndarray]:
        """The first `count` examples as numpy arrays, as the model's data layer gives them
        (decoded, resized, transformed, not augmented): the batch previews draw on."""
        head = self.head(count)
        batch = next(iter(head.evaluation(batch_size=len(head), seed=0, image_size=image_size,
                                          preprocess=lambda batch, seed: dict(batch))))
        return _numpy(batch)


@dataclasses.dataclass(frozen=True)
class UnpairedExamples:
    """Two domains of unpaired examples, `{"a": Examples, "b": Examples}`, each with `image`.

    An epoch is as long as the larger domain; the smaller one is reshuffled
    whenever it runs out (each domain is its own endless stream of passes), and
    each domain's images are jittered on their own. Batches are
    `{"a": images, "b": images}`.
    """

    domains: Mapping[str, Examples]
    description: str

    def __len__(self) -> int:
        return max(len(examples) for examples in self.domains.values())

    @staticmethod
    def _zip(datasets: dict[str, tf.data.Dataset], preprocess: Preprocess, seed: int,
             first_batch: int = 0) -> tf.data.Dataset:
        """Batches of every domain side by side; the per-batch seed counts from `first_batch`,
        so a resumed stream continues the uninterrupted one's seeds."""
        key = tf.constant([seed, 0], tf.int64)
        return tf.data.Dataset.zip(datasets).enumerate(start=first_batch).map(
            lambda index, batches: preprocess(
                {name: batch["image"] for name, batch in batches.items()},
                tf.random.experimental.stateless_fold_in(key, index)),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)

    def stream(self, *, batch_size: int, seed: int, preprocess: Preprocess,
               image_size: int | None = None, augment: str = "none",
               steps_per_epoch: int | None = None, start_epoch: int = 0
               ) -> tuple[tf.data.Dataset, int]:
        """Both domains' resumable streams, zipped; epochs as long as the larger domain."""
        steps = steps_per_epoch or len(self) // batch_size
        streams = {}
        for index, (name, examples) in enumerate(sorted(self.domains.items())):
            # Each domain its own seed, so their orders and crops are independent.
            streams[name], _ = examples.stream(
                batch_size=batch_size, seed=2 * seed + index,
                preprocess=lambda batch, seed: dict(batch), image_size=image_size,
                augment=augment, steps_per_epoch=steps, start_epoch=start_epoch)
        return self._zip(streams, preprocess, seed, start_epoch * steps), steps

    def evaluation(self, *, batch_size: int, seed: int, preprocess: Preprocess,
                   image_size: int | None = None) -> tf.data.Dataset:
        """Held-out batches of both domains side by side, as long as the smaller domain."""
        datasets = {name: examples.evaluation(batch_size=batch_size, seed=seed,
                                              preprocess=lambda batch, seed: dict(batch),
                                              image_size=image_size)
                    for name, examples in self.domains.items()}
        return self._zip(datasets, preprocess, seed)

    def held_out(self, count: int, image_size: int | None = None) -> dict[str, np.ndarray]:
        """The first `count` images of each domain: `{"a": ..., "b": ...}`."""
        return {name: examples.held_out(count, image_size)["image"]
                for name, examples in self.domains.items()}
