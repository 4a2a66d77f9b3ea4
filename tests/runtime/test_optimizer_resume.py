"""A run with AdamW, a warm-up, a cosine decay and a moving average of its weights, interrupted
and resumed, trains exactly what an uninterrupted run trains, and exports the average."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.registry import DataSpec, Entry, OptimizerSpec
from zoo.runtime.callbacks import SampleGrid
from zoo.runtime.cli import parse_args
from zoo.runtime.train import train

# keras-io's DDIM trains with AdamW (weight decay 1e-4) and an average of its weights; here a
# tiny VAE, a warm-up that crosses the first epoch's end, and a decay fast enough to show.
ENTRY = Entry(name="tiny_vae", description="A tiny VAE with AdamW, warm-up, cosine and EMA.",
              family="vae", model_config={"image_shape": (28, 28, 1), "latent_dim": 2,
                                          "filters": (4,), "hidden_units": 8},
              data=DataSpec("mnist"), epochs=2, batch_size=8,
              optimizers={"optimizer": OptimizerSpec(1e-2, optimizer="AdamW", weight_decay=1e-4)},
              schedule="cosine_decay", schedule_options={"floor": 0.1}, warmup_steps=3,
              ema_decay=0.5)


def _interrupted_after(epochs: int) -> type[SampleGrid]:
    """The run's last callback, which presses Ctrl-C once `epochs` epochs are checkpointed."""

    class Interrupted(SampleGrid):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            super().on_epoch_end(epoch, logs)
            if epoch + 1 == epochs:
                raise KeyboardInterrupt

    return Interrupted


def _interrupt(args, epochs: int, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr("zoo.runtime.train.SampleGrid", _interrupted_after(epochs))
        with pytest.raises(KeyboardInterrupt):
            train(ENTRY, args)


def _checkpoint_values(run: Path) -> dict[str, np.ndarray]:
    reader = tf.train.load_checkpoint(str(run / "checkpoints" / f"ckpt-{ENTRY.epochs}"))
    return {key: np.asarray(reader.get_tensor(key))
            for key in reader.get_variable_to_shape_map() if key != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def _saved(state: dict[str, np.ndarray], name: str) -> list[np.ndarray]:
    """The values of one list of the training state (`model`, `weight_average`), in order."""
    keys = sorted((key for key in state if key.startswith(f"{name}/")),
                  key=lambda key: int(key.split("/")[1]))
    return [state[key] for key in keys]


def test_an_interrupted_run_resumes_its_optimizer_schedule_and_average_exactly(
        tmp_path, mnist_idx_dir, monkeypatch, capsys):
    def args(run: str):
        return parse_args(ENTRY, ["--data-dir", str(mnist_idx_dir), "--out", str(tmp_path / run),
                                  "--export-dir", str(tmp_path / f"{run}-exported"),
                                  "--steps-per-epoch", "2", "--validation-split", "none",
                                  "--precision", "float32"])

    _interrupt(args("run"), 1, monkeypatch)
    export = train(ENTRY, args("run"))
    # Without a held-out split, a model that scores records no quantiles, and the run says so
    # (with one it does: tests/runtime/test_every_entry.py).
    assert (f"[zoo] warning: with --validation-split none, {export} records no score quantiles"
            in capsys.readouterr().err)
    assert zoo.load(export).score_quantiles is None
    # The uninterrupted run, stopped once its last epoch is checkpointed: one export is enough.
    _interrupt(args("straight"), ENTRY.epochs, monkeypatch)

    # Weights, AdamW's step, moments and velocities, and the average, bit for bit.
    resumed, straight = _checkpoint_values(tmp_path / "run"), _checkpoint_values(
        tmp_path / "straight")
    assert resumed.keys() == straight.keys()
    assert {key.split("/")[0] for key in straight} >= {"model", "optimizer", "weight_average"}
    for key, values in straight.items():
        if not key.startswith("seconds/"):  # the epochs' wall time
            np.testing.assert_array_equal(resumed[key], values, err_msg=key)

    # The export holds the average, not the trained weights.
    loaded = zoo.load(export)
    training = loaded.metadata["training"]
    assert training["optimizers"]["optimizer"] == {"optimizer": "AdamW", "learning_rate": 1e-2,
                                                   "weight_decay": 1e-4}
    assert (training["schedule"], training["schedule_options"], training["warmup_steps"],
            training["ema_decay"]) == ("cosine_decay", {"floor": 0.1}, 3, 0.5)
    exported = [weight.numpy() for weight in loaded.keras_model().weights]
    averages = _saved(straight, "weight_average")
    assert len(exported) == len(averages) > 4
    for mine, average in zip(exported, averages):
        np.testing.assert_array_equal(mine, average)
    trained = [values for values in _saved(straight, "model") if values.dtype.kind == "f"]
    assert [values.shape for values in trained] == [values.shape for values in averages]
    assert any(not np.array_equal(average, weight)
               for average, weight in zip(averages, trained))
