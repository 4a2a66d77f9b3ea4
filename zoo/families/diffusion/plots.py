"""Plots of a trained diffusion model, drawn from its exported signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from zoo.families.interpolation import slerp
from zoo.images import save_png, tile

STEP_COUNTS = (2, 5, 10, 20, 50)
"""The sampling steps of `steps.png`, one row each."""
NOISE_LEVELS = (0.35, 0.5, 0.65, 0.8, 0.95)
"""The noise rates of `denoising.png`, one pair of columns each: within both schedules'
trained range (the cosine schedule's least is 0.31), and clipped to an export's declared
range of `noise_level`."""
PIXEL_BUDGET = 64 * 28 * 28
"""The pixels of a grid of samples: 64 MNIST digits, 16 images of 56 px or more. Sampling
costs about the same per pixel, so larger images get fewer samples."""


def grid_count(shape, most: int = 64, fewest: int = 16) -> int:
    """How many samples a grid of images of `shape` (height, width, ...) shows: as many as
    fit `PIXEL_BUDGET`, between `fewest` and `most`, a square number.

    Example:
        >>> grid_count((28, 28, 1)), grid_count((64, 64, 3)), grid_count((28, 28, 1), most=10)
        (64, 16, 9)
    """
    fits = PIXEL_BUDGET // (int(shape[0]) * int(shape[1]))
    side = int(max(min(fits, most), min(fewest, most)) ** 0.5)
    return side * side


def plots(model: Any, held_out: Mapping[str, np.ndarray], folder: Path, seed: int = 0
          ) -> list[Path]:
    """Writes, each at native size (one pixel per image pixel):

    - `samples.png`: 64 samples (16 of images of 56 px or more, `grid_count`), 20 steps of
      deterministic DDIM;
    - `steps.png`: the same starting noises (10; 4 of large images) sampled in 2, 5, 10, 20
      and 50 steps, a row each (eta 0);
    - `interpolation.png`: 4 rows (2 of large images), each a spherical walk in 9 steps
      between two starting noises, through `generate`;
    - `denoising.png`: held-out images noised at noise rates 0.35 to 0.95, and the model's one
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
    count = grid_count(shape)
    written = [save_png(folder / "samples.png", tile(model.sample(count=count, seed=seed)))]
    per_row = 10 if count == 64 else 4
    rows = [model.sample(count=per_row, seed=seed, steps=steps) for steps in STEP_COUNTS]
    written.append(save_png(folder / "steps.png", tile(np.concatenate(rows), per_row)))

    rng = np.random.default_rng(seed)
    ends = rng.normal(size=(4 if count == 64 else 2, 2, int(np.prod(shape))))
    walks = np.concatenate([slerp(start, end, np.linspace(0.0, 1.0, 9)) for start, end in ends])
    walked = model.generate(noise=walks.reshape(-1, *shape).astype(np.float32))
    written.append(save_png(folder / "interpolation.png", tile(walked, 9)))

    images = held_out["image"][:8].astype(np.float32) / 255.0
    noise = rng.normal(size=images.shape).astype(np.float32)
    columns = [images]
    declared = model.signatures["denoise"].inputs[1]
    for level in np.clip(NOISE_LEVELS, declared.minimum or 0.0, declared.maximum or 1.0):
        noisy = np.sqrt(1.0 - level**2) * (2.0 * images - 1.0) + level * noise
        levels = np.full(len(images), level, np.float32)
        predicted = model.denoise(noisy_images=noisy.astype(np.float32),
                                  noise_level=levels)["images"]
        columns += [np.clip((noisy + 1.0) / 2.0, 0.0, 1.0), predicted]
    grid = np.stack(columns, axis=1).reshape(-1, *images.shape[1:])
    written.append(save_png(folder / "denoising.png", tile(grid, len(columns))))
    return written
