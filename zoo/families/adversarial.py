"""What the adversarial families share: a generator and a discriminator, one optimizer each."""

from __future__ import annotations

from typing import Any

import keras

from zoo.errors import ConfigurationError
from zoo.families.metrics import MeanTrackers


class AdversarialModel(MeanTrackers, keras.Model):
    """Base of models with `self.generator`, `self.discriminator` and Mean trackers.

    `compile(generator_optimizer, discriminator_optimizer)` sets one optimizer per
    network and builds their slots at once, in the model's strategy scope: built
    inside the train step instead, they would be created in a replica context,
    which fails under a distribution strategy.

    Each network's update takes the gradient of `optimizer.scale_loss(loss)`: the
    loss itself, or under `mixed_float16` the loss times the optimizer's dynamic
    scale, which the optimizer divides out of the gradients again.
    """

    def compile(self, generator_optimizer: keras.optimizers.Optimizer,
                discriminator_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        if generator_optimizer is discriminator_optimizer:
            raise ConfigurationError("The generator and the discriminator need one optimizer "
                                     "each; pass two optimizer objects.")
        super().compile(**kwargs)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        with self.distribute_strategy.scope():
            for optimizer, variables in self.optimizer_targets().values():
                if not optimizer.built:
                    optimizer.build(variables)

    def optimizer_targets(self) -> dict[str, tuple[keras.optimizers.Optimizer, list]]:
        """Each optimizer with the variables it trains (the runtime builds and checkpoints them)."""
        return {"generator_optimizer": (self.generator_optimizer,
                                        self.generator.trainable_variables),
                "discriminator_optimizer": (self.discriminator_optimizer,
                                            self.discriminator.trainable_variables)}
