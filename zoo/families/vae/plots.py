"""Plots of a trained VAE, drawn from its exported signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.images import save_figure, save_png, tile  # noqa: E402


def _show(axis: Any, image: np.ndarray, title: str) -> None:
    axis.imshow(image.squeeze(-1) if image.shape[-1] == 1 else image, cmap="gray",
                vmin=0.0, vmax=1.0)
    axis.set_title(title)
    axis.axis("off")


def plots(model: Any, held_out: Mapping[str, np.ndarray], folder: Path, seed: int = 0
          ) -> list[Path]:
    """Writes the sample grid, reconstructions, latent traversals and, for a 2-D latent, the
    manifold.

    Args:
        model: a loaded VAE export (`zoo.load`), with encode/decode/reconstruct/sample.
        held_out: held-out named features; `image` holds uint8 images (n, H, W, C), at
            least 8.
        folder: where the PNGs go.
        seed: seed of the sample grid.

    Returns:
        The paths written.
    """
    folder = Path(folder)
    inputs = held_out["image"][:8].astype(np.float32) / 255.0
    written = [save_png(folder / "samples.png", tile(model.sample(count=64, seed=seed), 8))]

    reconstructions = model.reconstruct(inputs)
    figure, axes = plt.subplots(1, 2, figsize=(3, 8))
    _show(axes[0], tile(inputs, 1), "input")
    _show(axes[1], tile(reconstructions, 1), "reconstruction")
    written.append(save_figure(folder / "reconstructions.png", figure))

    mean = model.encode(inputs[:1])["mean"][0]
    dimensions = min(len(mean), 16)
    steps = np.linspace(-3.0, 3.0, 11, dtype=np.float32)
    latents = np.repeat(mean[None, None, :], dimensions, 0).repeat(len(steps), 1)
    for dimension in range(dimensions):
        latents[dimension, :, dimension] = steps
    decoded = model.decode(latents.reshape(-1, len(mean)))
    figure, axis = plt.subplots(figsize=(6, 0.6 * dimensions + 0.6))
    _show(axis, tile(decoded, len(steps)),
          "latent traversals: row i sets z_i to -3 ... 3, other coordinates at the input's mean")
    written.append(save_figure(folder / "latent_traversals.png", figure))

    if len(mean) == 2:
        # Quantiles of N(0, 1) so the grid covers the prior evenly.
        from statistics import NormalDist

        points = np.array([NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, 15)],
                          np.float32)
        grid = np.stack(np.meshgrid(points, points[::-1]), -1).reshape(-1, 2)
        figure, axis = plt.subplots(figsize=(7, 7))
        _show(axis, tile(model.decode(grid), len(points)), "2-D latent manifold")
        written.append(save_figure(folder / "latent_manifold.png", figure))
    return written
