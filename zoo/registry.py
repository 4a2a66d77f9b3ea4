"""The zoo's entries: each one's family, architecture, data and training defaults, declared once.

The recipes, the command-line flags, `zoo.available`, `zoo.build`, `zoo.load`
and the tests all read entries from here.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any, Mapping

from zoo.errors import ConfigurationError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Where an entry's examples come from.

    Attributes:
        dataset: the tensorflow-datasets name (`mnist`); the runtime's loader for it
            also reads the data set's raw files from `--data-dir` (IDX files for MNIST).
        train_split: split the recipe trains on, in tensorflow-datasets syntax.
        validation_split: held-out split evaluated after each epoch; `none` for models
            without a held-out loss (GANs).
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
        optimizer: further Adam settings (e.g. `beta_1`), the same for every network.
    """

    name: str
    description: str
    family: str
    model_config: Mapping[str, Any]
    data: DataSpec
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_config", MappingProxyType(dict(self.model_config)))
        object.__setattr__(self, "optimizer", MappingProxyType(dict(self.optimizer)))


# Radford et al. 2016's settings, shared by the MNIST GANs.
_DCGAN_MNIST_MODEL = {"architecture": "dcgan28", "data_shape": (28, 28, 1), "latent_dim": 100,
                      "loss": "non_saturating"}
_DCGAN_MNIST_TRAINING = {"family": "gan", "data": DataSpec("mnist", validation_split="none"),
                         "epochs": 50, "batch_size": 256, "learning_rate": 2e-4,
                         "optimizer": {"beta_1": 0.5}}

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
    Entry(
        name="dcgan_mnist",
        description="DCGAN on MNIST digits (the 28x28 DCGAN tutorial networks, non-saturating "
                    "loss, Adam 2e-4 / beta_1 0.5).",
        model_config={**_DCGAN_MNIST_MODEL},
        **_DCGAN_MNIST_TRAINING,
    ),
    Entry(
        name="cgan_mnist",
        description="Class-conditional DCGAN on MNIST: pick the digit (labels condition both "
                    "networks).",
        model_config={**_DCGAN_MNIST_MODEL, "num_classes": 10},
        **_DCGAN_MNIST_TRAINING,
    ),
)

ENTRIES: Mapping[str, Entry] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def get_entry(name: str) -> Entry:
    """The entry called `name`, or a ValueError listing the known entries."""
    if name not in ENTRIES:
        raise ConfigurationError(f"Unknown zoo entry {name!r}; known entries: {', '.join(ENTRIES)}.")
    return ENTRIES[name]
