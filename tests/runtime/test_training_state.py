"""State a family trains with but does not export (CycleGAN's image pools, a run's average of
the weights): the runtime checkpoints and restores it, and the export leaves it out."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import zoo
from zoo.export import export_model
from zoo.families.vae import VAE
from zoo.optimizers import WeightAverage
from zoo.registry import get_entry
from zoo.runtime.train import training_state


class _VAEWithPool(VAE):
    """A VAE holding a buffer it trains with, kept out of its Keras variables."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pool = {"images": tf.Variable(tf.zeros([3, 2]), trainable=False, name="pool")}

    def training_state(self) -> dict:
        return self._pool


def test_training_state_is_checkpointed_restored_and_not_exported(tmp_path):
    model = _VAEWithPool(latent_dim=2)
    model.compile(optimizer="adam")
    model._pool["images"].assign(tf.fill([3, 2], 7.0))
    state = training_state(model)
    assert state["training_state"].images is model._pool["images"]
    path = tf.train.Checkpoint(**state).save(str(tmp_path / "ckpt"))

    resumed = _VAEWithPool(latent_dim=2)
    resumed.compile(optimizer="adam")
    tf.train.Checkpoint(**training_state(resumed)).restore(path).assert_consumed()
    np.testing.assert_array_equal(resumed._pool["images"].numpy(), np.full((3, 2), 7.0))

    # A run's average of the weights is training state too: checkpointed, never exported.
    average = WeightAverage(model, decay=0.9)
    assert training_state(model, average)["weight_average"] is average.averages
    version = export_model(model, get_entry("vae_mnist"), tmp_path / "exported")
    exported = {variable.name for variable in tf.saved_model.load(str(version)).variables}
    assert not any("pool" in name or "average" in name for name in exported)
    assert len(exported) == len(zoo.load(version).metadata["weights"])
