"""Plots of a trained image GAN, drawn from its exported signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.families.interpolation import slerp  # noqa: E402
from zoo.images import save_figure, save_png, tile  # noqa: E402


def plots(model: Any, held_out: Mapping[str, np.ndarray], folder: Path, seed: int = 0
          ) -> list[Path]:
    """Writes the sample grid, linear and spherical latent walks and, if conditional, a row per
    class.

    Args:
        model: a loaded GAN export (`zoo.load`) with generate and sample.
        held_out: held-out examples (unused: a GAN has no encoder), for a uniform interface.
        folder: where the PNGs go.
        seed: seed of the latent draws.

    Returns:
        The paths written.
    """
    del held_out
    folder = Path(folder)
    declaration = model.signatures["generate"]
    latent_dim = declaration.inputs[0].shape[1]
    conditional = len(declaration.inputs) == 2
    rng = np.random.default_rng(seed)
    written = []
    if conditional:
        classes = declaration.inputs[1].maximum + 1
        mixed = model.generate(latent=rng.normal(size=(64, latent_dim)).astype(np.float32),
                               labels=np.arange(64, dtype=np.int32) % classes)
        written.append(save_png(folder / "samples.png", tile(mixed, 8)))
        rows = [model.sample(count=10, seed=seed, label=label) for label in range(classes)]
        written.append(save_png(folder / "class_rows.png", tile(np.concatenate(rows), 10)))
        labels = np.repeat(np.arange(4, dtype=np.int32) % classes, 11)
    else:
        written.append(save_png(folder / "samples.png", tile(model.sample(count=64, seed=seed), 8)))
        labels = None

    steps = np.linspace(0.0, 1.0, 11)
    ends = rng.normal(size=(4, 2, latent_dim))
    figure, axes = plt.subplots(1, 2, figsize=(12, 5))
    for axis, (name, walk) in zip(axes, (("linear", lambda a, b: np.outer(1 - steps, a)
                                                   + np.outer(steps, b)),
                                          ("spherical", lambda a, b: slerp(a, b, steps)))):
        latents = np.concatenate([walk(start, end) for start, end in ends]).astype(np.float32)
        walked = (model.generate(latent=latents, labels=labels) if conditional
                  else model.generate(latent=latents))
        grid = tile(walked, len(steps))
        axis.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray",
                    vmin=0.0, vmax=1.0)
        axis.set_title(f"{name} interpolation between two latent points (rows)")
        axis.axis("off")
    written.append(save_figure(folder / "latent_walks.png", figure))
    return written
