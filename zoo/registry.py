"""The zoo's entries: each one's family, architecture, data and training defaults, declared once.

The recipes, the command-line flags, `zoo.available`, `zoo.build`, `zoo.load`
and the tests all read entries from here.
"""

from __future__ import annotations

import dataclasses
import math
import re
from types import MappingProxyType
from typing import Any, Mapping

from zoo.errors import ConfigurationError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
AUGMENTATIONS = ("none", "jitter")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Where an entry's examples come from.

    Attributes:
        dataset: a data set of `zoo.data.DATASETS` (`mnist`, `facades`, ...); its loader
            also reads a local copy from `--data-dir`.
        train_split: split the recipe trains on, in tensorflow-datasets syntax.
        validation_split: held-out split evaluated after each epoch and drawn on in the
            previews; `none` for none (GANs).
        augment: `jitter` for the random resize-crop-mirror of pix2pix and CycleGAN on
            training examples read from files; `none` for none.
    """

    dataset: str
    train_split: str = "train"
    validation_split: str = "test"
    augment: str = "none"


@dataclasses.dataclass(frozen=True, init=False)
class OptimizerSpec:
    """One network's optimizer: a `keras.optimizers` class by name, its initial learning rate
    and its other arguments.

    The runtime builds `keras.optimizers.<optimizer>(learning_rate=<the entry's schedule
    from learning_rate>, name=<the network's optimizer name>, **arguments)`
    (`zoo.optimizers.make_optimizers`), which is where the class and its arguments are
    checked against Keras: the registry is read without importing Keras (`import zoo`
    stays light), so a spec checks here only what needs no Keras.

    Attributes:
        learning_rate: the initial learning rate (the recipe's `--learning-rate` replaces
            it for every network).
        optimizer: the name of a class of `keras.optimizers` (`Adam`, `AdamW`, `SGD`, ...).
        arguments: the class's other keyword arguments (`beta_1`, `weight_decay`, ...),
            its own defaults for the rest. Not `name` (the runtime names each optimizer
            after its network) nor Keras' `use_ema` and `ema_*` (an entry averages its
            weights with `Entry.ema_decay` instead).

    Example:
        >>> OptimizerSpec(2e-4, beta_1=0.5)
        OptimizerSpec(0.0002, beta_1=0.5)
        >>> str(OptimizerSpec(1e-3, optimizer="AdamW", weight_decay=1e-4))
        'AdamW(learning_rate=0.001, weight_decay=0.0001)'
        >>> OptimizerSpec(1e-3, use_ema=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigurationError: OptimizerSpec(0.001, use_ema=True): an entry ...
    """

    learning_rate: float
    optimizer: str
    arguments: Mapping[str, Any]

    def __init__(self, learning_rate: float, *, optimizer: str = "Adam", **arguments: Any
                 ) -> None:
        object.__setattr__(self, "learning_rate", learning_rate)
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "arguments", MappingProxyType(dict(arguments)))
        if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float))
                or not math.isfinite(learning_rate) or learning_rate <= 0):
            raise ConfigurationError(f"{self!r}: the learning rate must be a positive number; "
                                     f"got {learning_rate!r}.")
        if not isinstance(optimizer, str) or not optimizer.isidentifier():
            raise ConfigurationError(f"{self!r}: optimizer must name a class of "
                                     f"keras.optimizers (e.g. 'AdamW'); got {optimizer!r}.")
        if "name" in arguments:
            raise ConfigurationError(f"{self!r}: leave out name; the runtime names each "
                                     "optimizer after its network.")
        averaging = sorted(key for key in arguments if key == "use_ema" or key.startswith("ema_"))
        if averaging:
            raise ConfigurationError(f"{self!r}: an entry averages its weights with "
                                     f"Entry.ema_decay (e.g. ema_decay=0.999), not with the "
                                     f"optimizer's {', '.join(averaging)}.")

    def config(self) -> dict[str, Any]:
        """The spec as JSON-ready values, as exports record it.

        Example:
            >>> OptimizerSpec(2e-4, beta_1=0.5).config()
            {'optimizer': 'Adam', 'learning_rate': 0.0002, 'beta_1': 0.5}
        """
        return {"optimizer": self.optimizer, "learning_rate": self.learning_rate,
                **self.arguments}

    def __repr__(self) -> str:
        words = [repr(self.learning_rate)]
        if self.optimizer != "Adam":
            words.append(f"optimizer={self.optimizer!r}")
        words += [f"{key}={value!r}" for key, value in self.arguments.items()]
        return f"OptimizerSpec({', '.join(words)})"

    def __str__(self) -> str:
        """The optimizer as its Keras call reads: `AdamW(learning_rate=0.001, ...)`."""
        values = {"learning_rate": self.learning_rate, **self.arguments}
        return f"{self.optimizer}({', '.join(f'{key}={value!r}' for key, value in values.items())})"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One zoo entry.

    Attributes:
        name: the entry's name (`vae_mnist`), also its recipe and export folder.
        description: one line for `zoo.available()`.
        family: the model family (`vae`).
        model_config: keyword arguments of the family's model class.
        data: the entry's data set, splits and augmentation.
        epochs, batch_size: training defaults of the recipe; `batch_size` is the
            global batch, split across replicas.
        optimizers: each network's optimizer (`OptimizerSpec`), by the family's optimizer
            names (`optimizer`, or `generator_optimizer` and `discriminator_optimizer`).
        schedule: every network's learning rate by optimizer step, a schedule of
            `zoo.optimizers.SCHEDULES`: `constant`; `linear_decay`, constant for the first
            half of the epochs, then linearly to zero over the second half (the pix2pix and
            CycleGAN schedule); or `cosine_decay`, half a cosine from the initial rate down
            to a floor over the whole run.
        schedule_options: the schedule's own settings, e.g. `{"floor": 0.01}` for
            `cosine_decay` (the last rate as a fraction of the initial one; default 0).
        warmup_steps: the learning rates rise linearly over the first `warmup_steps`
            optimizer steps (from 1/N of the schedule's rate to all of it) before following
            the schedule; 0 for none. Combines with any schedule.
        ema_decay: keep an exponential moving average of the model's weights, updated after
            every step with this decay (0.999 averages over about the last 1,000 steps),
            checkpointed with the run and exported instead of the trained weights
            (`zoo.optimizers.WeightAverage`); None for the family's choice
            (`Family.ema_decay`, by default none).
        flags: model config keys the recipe also takes as flags (`image_size` ->
            `--image-size`), for users who train a smaller model or an ablation; ints
            must be positive, floats non-negative, and strs one of the names the family
            lists for the key (`Family.choices`).

    Example:
        An entry like keras-io's DDIM: AdamW 1e-3 with weight decay 1e-4, a warm-up,
        a cosine decay and an average of the weights::

            Entry(..., optimizers={"optimizer": OptimizerSpec(1e-3, optimizer="AdamW",
                                                              weight_decay=1e-4)},
                  schedule="cosine_decay", warmup_steps=500, ema_decay=0.999)
    """

    name: str
    description: str
    family: str
    model_config: Mapping[str, Any]
    data: DataSpec
    epochs: int
    batch_size: int
    optimizers: Mapping[str, OptimizerSpec]
    schedule: str = "constant"
    schedule_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    warmup_steps: int = 0
    ema_decay: float | None = None
    flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field in ("model_config", "optimizers", "schedule_options"):
            object.__setattr__(self, field, MappingProxyType(dict(getattr(self, field))))
        if self.data.augment not in AUGMENTATIONS:
            raise ConfigurationError(f"Entry {self.name}: augment must be one of "
                                     f"{AUGMENTATIONS}; got {self.data.augment!r}.")
        if not isinstance(self.schedule, str) or not self.schedule.isidentifier():
            raise ConfigurationError(f"Entry {self.name}: schedule must name a schedule of "
                                     f"zoo.optimizers.SCHEDULES (e.g. 'cosine_decay'); got "
                                     f"{self.schedule!r}.")
        if type(self.warmup_steps) is not int or self.warmup_steps < 0:
            raise ConfigurationError(f"Entry {self.name}: warmup_steps must be a whole number "
                                     f"of steps, 0 for no warm-up; got {self.warmup_steps!r}.")
        if self.ema_decay is not None and not (isinstance(self.ema_decay, float)
                                               and 0 < self.ema_decay < 1):
            raise ConfigurationError(f"Entry {self.name}: ema_decay must be between 0 and 1 "
                                     f"(e.g. 0.999), or None for no average; got "
                                     f"{self.ema_decay!r}.")
        unknown = set(self.flags) - set(self.model_config)
        if unknown or not all(type(self.model_config[key]) in (int, float, str)
                              for key in self.flags):
            raise ConfigurationError(f"Entry {self.name}: flags must name int, float or str "
                                     f"model config keys; got {list(self.flags)}.")


_ADAM_GAN = OptimizerSpec(2e-4, beta_1=0.5)
"""Radford et al. 2016's Adam, also pix2pix's and CycleGAN's: 2e-4, beta_1 0.5."""
_TWO_NETWORKS = {"generator_optimizer": _ADAM_GAN, "discriminator_optimizer": _ADAM_GAN}

_DCGAN_MNIST_MODEL = {"architecture": "dcgan28", "data_shape": (28, 28, 1), "latent_dim": 100,
                      "loss": "non_saturating"}
_DCGAN_MNIST_TRAINING = {"family": "gan", "data": DataSpec("mnist", validation_split="none"),
                         "epochs": 50, "batch_size": 256, "optimizers": _TWO_NETWORKS}

# Isola et al. 2017: L1 x 100 plus the GAN loss, Adam 2e-4 / beta_1 0.5 for both networks,
# constant for half the epochs, then linearly to zero.
_PIX2PIX_LOSS = {"loss": "non_saturating", "lambda_l1": 100.0, "lambda_gan": 1.0}
_PIX2PIX_TRAINING = {"family": "pix2pix", "optimizers": _TWO_NETWORKS, "schedule": "linear_decay"}

# Zhu et al. 2017: LSGAN + cycle (lambda 10) + identity (0.5 x lambda), Adam 2e-4 / beta_1 0.5
# for the generators jointly and the discriminators jointly, constant for half the epochs,
# then linearly to zero.
_CYCLEGAN_TRAINING = {"family": "cyclegan", "optimizers": _TWO_NETWORKS,
                      "schedule": "linear_decay"}

# keras-io's "Denoising Diffusion Implicit Models" example (Beres 2022): AdamW 1e-3 with weight
# decay 1e-4, batch 64, the cosine schedule, the mean absolute error on the noise, and a moving
# average of the weights (decay 0.999, the family's) that samples and is exported.
_DDIM_TRAINING = {"family": "diffusion", "batch_size": 64,
                  "optimizers": {"optimizer": OptimizerSpec(1e-3, optimizer="AdamW",
                                                            weight_decay=1e-4)}}
_DDIM_MODEL = {"block_depth": 2, "embedding_dims": 32, "embedding_max_frequency": 1000.0,
               "norm_groups": 8, "attention_resolutions": (), "schedule": "cosine",
               "loss": "mae"}

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
        optimizers={"optimizer": OptimizerSpec(1e-3)},
        flags=("latent_dim",),
    ),
    Entry(
        name="ae_mnist",
        description="Convolutional autoencoder on MNIST digits, 16-D code (Bernoulli "
                    "cross-entropy; set sparsity for a sparse, denoising for a denoising "
                    "autoencoder).",
        family="autoencoder",
        model_config={"image_shape": (28, 28, 1), "code_dim": 16, "filters": (16, 32),
                      "hidden_units": 256, "loss": "bernoulli", "sparsity": 0.0,
                      "denoising": 0.0},
        data=DataSpec("mnist", train_split="test[:8000]", validation_split="test[8000:]"),
        epochs=30,
        batch_size=128,
        optimizers={"optimizer": OptimizerSpec(1e-3)},
        flags=("code_dim", "sparsity", "denoising"),
    ),
    Entry(
        name="dcgan_mnist",
        description="DCGAN on MNIST digits (the 28x28 DCGAN tutorial networks, non-saturating "
                    "loss, Adam 2e-4 / beta_1 0.5).",
        model_config={**_DCGAN_MNIST_MODEL},
        **_DCGAN_MNIST_TRAINING,
    ),
    Entry(
        name="pix2pix_facades",
        description="pix2pix on CMP Facades: label map -> photo (U-Net, 70x70 PatchGAN, "
                    "L1 x 100 + non-saturating GAN loss; 256 px, batch 1, 200 epochs).",
        model_config={"image_size": 256, "input_channels": 3, "output_channels": 3,
                      "filters": 64, "patch_layers": 3, **_PIX2PIX_LOSS},
        data=DataSpec("facades", train_split="train", validation_split="val", augment="jitter"),
        epochs=200,
        batch_size=1,
        flags=("image_size", "filters", "lambda_gan"),
        **_PIX2PIX_TRAINING,
    ),
    Entry(
        name="pix2pix_mnist_inpaint",
        description="pix2pix inpainting of MNIST digits: the lower half blanked, the whole "
                    "digit drawn back (32 px; lambda_gan=0 gives the L1-only ablation).",
        model_config={"image_size": 32, "input_channels": 1, "output_channels": 1,
                      "filters": 32, "patch_layers": 2, **_PIX2PIX_LOSS},
        data=DataSpec("mnist_inpaint"),
        epochs=20,
        batch_size=64,
        flags=("filters", "lambda_gan"),
        **_PIX2PIX_TRAINING,
    ),
    Entry(
        name="cyclegan_horse2zebra",
        description="CycleGAN horse <-> zebra (ResNet generators, 70x70 PatchGANs, LSGAN + "
                    "cycle + identity losses, image pools; 256 px, batch 1, 200 epochs).",
        model_config={"image_size": 256, "filters": 64, "residual_blocks": 9, "patch_layers": 3,
                      "loss": "least_squares", "lambda_cycle": 10.0, "lambda_identity": 0.5,
                      "pool_size": 50},
        data=DataSpec("horse2zebra", train_split="train", validation_split="test",
                      augment="jitter"),
        epochs=200,
        batch_size=1,
        flags=("image_size", "filters", "residual_blocks", "lambda_cycle"),
        **_CYCLEGAN_TRAINING,
    ),
    Entry(
        name="cyclegan_mnist_restyle",
        description="CycleGAN between plain MNIST digits and digits restyled by a fixed "
                    "transform (thickened, inverted, tinted) it never sees; lambda_cycle=0 "
                    "gives the paper's cycle-off ablation.",
        model_config={"image_size": 28, "filters": 16, "residual_blocks": 3, "patch_layers": 2,
                      "loss": "least_squares", "lambda_cycle": 10.0, "lambda_identity": 0.5,
                      "pool_size": 50},
        data=DataSpec("mnist_restyle", train_split="test[:8000]",
                      validation_split="test[8000:]"),
        epochs=6,
        batch_size=8,
        flags=("filters", "residual_blocks", "lambda_cycle"),
        **_CYCLEGAN_TRAINING,
    ),
    Entry(
        name="cgan_mnist",
        description="Class-conditional DCGAN on MNIST: pick the digit (labels condition both "
                    "networks).",
        model_config={**_DCGAN_MNIST_MODEL, "num_classes": 10},
        **_DCGAN_MNIST_TRAINING,
    ),
    Entry(
        name="ddim_mnist",
        description="Denoising diffusion on MNIST digits: a U-Net (widths 32, 64, 96) trained "
                    "with DDPM's objective, sampled with DDIM in any number of steps "
                    "(keras-io's DDIM setup).",
        model_config={"image_shape": (28, 28, 1), "widths": (32, 64, 96), **_DDIM_MODEL},
        data=DataSpec("mnist", train_split="test[:8000]", validation_split="test[8000:]"),
        epochs=80,
        flags=("block_depth", "loss"),
        **_DDIM_TRAINING,
    ),
    Entry(
        name="ddim_flowers",
        description="Denoising diffusion on Oxford Flowers 102 at 64 px (or on a folder of your "
                    "own pictures, --data-dir): a U-Net (widths 32, 64, 96, 128) trained with "
                    "DDPM's objective, sampled with DDIM (keras-io's DDIM setup).",
        model_config={"image_shape": (64, 64, 3), "widths": (32, 64, 96, 128), **_DDIM_MODEL},
        # keras-io trains on train[:80%]+validation[:80%]+test[:80%] of tensorflow-datasets'
        # oxford_flowers102 and validates on the rest of each; the zoo's splits have no union,
        # so the `flowers` source pools tfds' three splits in order as `all` (6,551 images in
        # all[:80%], as many as keras-io's). keras-io repeats the data 5 times an epoch
        # (dataset_repetitions): --steps-per-epoch 511 (5 x 6,551 // 64) gives its epochs;
        # the default epoch is one pass, 102 steps.
        data=DataSpec("flowers", train_split="all[:80%]", validation_split="all[80%:]"),
        epochs=50,
        flags=("block_depth", "loss"),
        **_DDIM_TRAINING,
    ),
)

ENTRIES: Mapping[str, Entry] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def get_entry(name: str) -> Entry:
    """The entry called `name`, or a ConfigurationError listing the known entries."""
    if name not in ENTRIES:
        raise ConfigurationError(f"Unknown zoo entry {name!r}; known entries: "
                                 f"{', '.join(ENTRIES)}.")
    return ENTRIES[name]
