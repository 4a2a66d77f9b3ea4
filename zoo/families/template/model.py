"""The template family's model: the smallest complete family, to copy when adding one.

It learns a paired image-to-image mapping by regression: each input image to its target, with
a per-example mean absolute error (the L1 term of pix2pix, Isola et al. 2017, without the
adversarial one). What a family's model provides to the shared runtime:

- a subclassed `keras.Model` built from keyword arguments, with `get_config` returning them
  (the export records them; `zoo.load(...).keras_model()` rebuilds the model from them);
- `optimizer_targets()`: each optimizer (by its `compile` keyword) with the variables it
  trains; the runtime builds, schedules and checkpoints them;
- `train_step` that is right under any `tf.distribute` strategy: each replica's loss is its
  share of the global batch's mean (`zoo.distributed.replica_mean`), random draws come from
  `zoo.distributed.replica_seed` (none here), and the gradient is of
  `optimizer.scale_loss(loss)` (float16 loss scaling);
- `test_step` reporting the same figures on held-out data, and Mean trackers for both.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from zoo import checks
from zoo.distributed import replica_mean
from zoo.families.metrics import MeanTrackers
from zoo.families.template.networks import build_network


@keras.saving.register_keras_serializable(package="zoo")
class Template(MeanTrackers, keras.Model):
    """Paired image-to-image regression with an L1 loss.

    Args:
        input_channels, output_channels: channels of the input and the target images.
        filters: filters of each hidden convolution.
        layers: hidden 3x3 convolutions.
        seed: seed of the weights' initialisation, or None.

    Example:
        >>> model = Template(input_channels=1, output_channels=3, filters=4, layers=1)
        >>> model.translate(tf.zeros([2, 8, 8, 1])).shape
        TensorShape([2, 8, 8, 3])
    """

    def __init__(self, input_channels: int = 1, output_channels: int = 1, filters: int = 16,
                 layers: int = 2, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Settings are checked where they are given, with the name of the bad value.
        self.input_channels = checks.integer("input_channels", input_channels, minimum=1)
        self.output_channels = checks.integer("output_channels", output_channels, minimum=1)
        self.filters = checks.integer("filters", filters, minimum=1)
        self.layers_count = checks.integer("layers", layers, minimum=0)
        self.seed = checks.seed("seed", seed)
        self.network = build_network(self.input_channels, self.output_channels, self.filters,
                                     self.layers_count, self.seed)
        self.track(("loss",))
        self.built = True

    def optimizer_targets(self) -> dict[str, tuple[keras.optimizers.Optimizer, list]]:
        """Each optimizer with the variables it trains (the runtime builds and checkpoints them)."""
        return {"optimizer": (self.optimizer, self.trainable_variables)}

    def translate(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Images in [0, 1] -> their translations in [0, 1]."""
        return self.network(images, training=training)

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.translate(images, training=training)

    def per_example_loss(self, data: dict[str, tf.Tensor], training: bool = False
                         ) -> tf.Tensor:
        """The mean absolute error of each example's translation, shape (batch,)."""
        error = tf.abs(self.translate(data["input"], training=training) - data["target"])
        return tf.reduce_mean(error, axis=[1, 2, 3])

    def train_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            losses = self.per_example_loss(data, training=True)
            loss = self.optimizer.scale_loss(replica_mean(losses))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return self._report({"loss": losses})

    def test_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return self._report({"loss": self.per_example_loss(data)})

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "input_channels": self.input_channels,
                "output_channels": self.output_channels, "filters": self.filters,
                "layers": self.layers_count, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Template":
        return cls(**config)
