"""A split of a data set as the pipeline reads it: named features, and how to read them."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import numpy as np

Read = Callable[[Mapping[str, Any]], dict]
"""Per example: named features (file paths) -> named features (decoded images, float32 [0, 1])."""

Transform = Callable[[Mapping[str, Any]], dict]
"""Per batch, deterministic: named features -> the data set's own features (e.g. masked inputs)."""


@dataclasses.dataclass(frozen=True)
class Examples:
    """One split of a data set.

    Attributes:
        features: named equal-length arrays, the same length: the data themselves
            (MNIST's `image` and `label`, held in memory), or file paths that `read`
            decodes as the stream runs.
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
        """The first `count` examples (all of them if fewer), e.g. a fixed preview batch."""
        return dataclasses.replace(
            self, features={name: array[:count] for name, array in self.features.items()})
