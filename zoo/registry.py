"""The zoo's entries: each one's family, architecture, data and training defaults, declared once.

The recipes, the command-line flags, `zoo.available`, `zoo.build`, `zoo.load`
and the tests all read entries from here.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any, Mapping

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Where an entry's examples come from.

    Attributes:
        dataset: the tensorflow-datasets name (`mnist`); the runtime's loader for it
            also reads the data set's raw files from `--data-dir` (IDX files for MNIST).
        train_split: split the recipe trains on, in tensorflow-datasets syntax.
        validation_split: held-out split evaluated after each epoch.
    """

    dataset: str
    train_split: str = "train"
    validation_split: str = "test"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One zoo entry.

    Attributes:
        name: the entry's name (`vae_mnist`), also its recipe and export folder.
        description: one line for `zoo.available()`.
        family: the model family (`vae`).
        model_config: keyword arguments of the family's model class.
        data: the entry's data set and splits.
        epochs, batch_size, learning_rate: training defaults of the recipe;
            `batch_size` is the global batch, split across replicas.
    """

    name: str
    description: str
    family: str
    model_config: Mapping[str, Any]
    data: DataSpec
    epochs: int
    batch_size: int
    learning_rate: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_config", MappingProxyType(dict(self.model_config)))


_ENTRIES = (
    Entry(
        name="vae_mnist",
        description="Convolutional VAE on dynamically binarised MNIST digits, 16-D latent "
                    "(Bernoulli likelihood; set beta for a beta-VAE).",
        family="vae",
        model_config={"image_shape": (28, 28, 1), "latent_dim": 16, "filters": (16, 32),
                      "hidden_units": 256, "beta": 1.0},
        data=DataSpec("mnist"),
        epochs=30,
        batch_size=128,
        learning_rate=1e-3,
    ),
)

ENTRIES: Mapping[str, Entry] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def get_entry(name: str) -> Entry:
    """The entry called `name`, or a ValueError listing the known entries."""
    if name not in ENTRIES:
        raise ValueError(f"Unknown zoo entry {name!r}; known entries: {', '.join(ENTRIES)}.")
    return ENTRIES[name]
