"""The divergence guard: finite runs pass, a non-finite loss or weight stops them."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from zoo.errors import TrainingDivergedError
from zoo.runtime.callbacks import StopOnNonFinite


def _guard() -> tuple[StopOnNonFinite, object]:
    model = zoo.build("vae_mnist", latent_dim=2)
    guard = StopOnNonFinite(steps_per_epoch=5, advice="Lower --learning-rate.")
    guard.set_model(model)
    return guard, model


def test_finite_logs_and_weights_pass():
    guard, _ = _guard()
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(0, {"loss": 3.0, "kl_loss": np.float32(0.5)})
    guard.on_epoch_end(0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.float32("-inf")])
def test_a_non_finite_metric_names_the_epoch_the_step_and_the_metric(value):
    guard, _ = _guard()
    guard.on_epoch_begin(2)
    with pytest.raises(TrainingDivergedError, match=r"^Training diverged in epoch 3 at step 4 of "
                                                    r"5: kl_loss became -?(nan|inf); nothing of "
                                                    r"epoch 3 was saved\. Lower --learning-rate\.$"):
        guard.on_train_batch_end(3, {"loss": 1.0, "kl_loss": value})


def test_non_finite_weights_stop_the_epoch_before_its_checkpoint():
    guard, model = _guard()
    kernel = model.encoder.get_layer("mean").kernel
    kernel.assign(np.where(np.eye(*kernel.shape), np.inf, 0.0).astype("float32"))
    with pytest.raises(TrainingDivergedError, match=r"epoch 2: 1 weight\(s\) hold NaN or infinite "
                                                    r"values \(.*mean/kernel"):
        guard.on_epoch_end(1)
