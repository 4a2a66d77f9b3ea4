"""Plots of a trained diffusion model, drawn from its exported signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from zoo.families.interpolation import slerp
from zoo.images import save_png, tile

STEP_COUNTS = (2, 5, 10, 20, 50)
"""The sampling steps of `steps.png`, one row each."""
NOISE_LEVELS = (0.2, 0.4, 0.6, 0.8, 0.95)
"""The noise rates of `denoising.png`, one pair of columns each."""


def plots(model: Any, held_out: Mapping[str, np.ndarray], folder: Path, seed: int = 0
          ) -> list[Path]:
    """Writes, each at native size (one pixel per image pixel):

    - `samples.png`: 64 samples, 20 steps of deterministic DDIM;
    - `steps.png`: the same 10 starting noises sampled in 2, 5, 10, 20 and 50 steps, a row
      each (eta 0);
    - `interpolation.png`: 4 rows, each a spherical walk in 9 steps between two starting
      noises, through `generate`;
    - `denoising.png`: held-out images noised at noise rates 0.2 to 0.95, and the model's one
      step prediction of the clean image from each: for each image a row of (noisy,
      predicted) pairs, after the clean image.

    Args:
        model: a loaded diffusion export (`zoo.load`) with sample, generate and denoise.
        held_out: held-out named features; `image` holds uint8 images (n, H, W, C), at
            least 8.
        folder: where the PNGs go.
        seed: seed of the draws.

    Returns:
        The paths written.
    """
    folder = Path(folder)
    shape = model.signatures["generate"].inputs[0].shape[1:]
    written = [save_png(folder / "samples.png", tile(model.sample(count=64, seed=seed), 8))]
    rows = [model.sample(count=10, seed=seed, steps=steps) for steps in STEP_COUNTS]
    written.append(save_png(folder / "steps.png", tile(np.concatenate(rows), 10)))

    rng = np.random.default_rng(seed)
    ends = rng.normal(size=(4, 2, int(np.prod(shape))))
    walks = np.concatenate([slerp(start, end, np.linspace(0.0, 1.0, 9)) for start, end in ends])
    walked = model.generate(noise=walks.reshape(-1, *shape).astype(np.float32))
    written.append(save_png(folder / "interpolation.png", tile(walked, 9)))

    images = held_out["image"][:8].astype(np.float32) / 255.0
    noise = rng.normal(size=images.shape).astype(np.float32)
    columns = [images]
    for level in NOISE_LEVELS:
        noisy = np.sqrt(1.0 - level**2) * (2.0 * images - 1.0) + level * noise
        levels = np.full(len(images), level, np.float32)
        predicted = model.denoise(noisy_images=noisy.astype(np.float32),
                                  noise_level=levels)["images"]
        columns += [np.clip((noisy + 1.0) / 2.0, 0.0, 1.0), predicted]
    grid = np.stack(columns, axis=1).reshape(-1, *images.shape[1:])
    written.append(save_png(folder / "denoising.png", tile(grid, len(columns))))
    return written
