"""Tiny exports of every family, made once per test process, for the tests of the serving
signatures and of the serving clients; and example inputs for any declared signature."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np

TINY_PIX2PIX = {"image_size": 16, "input_channels": 1, "output_channels": 3, "filters": 4,
                "patch_layers": 1, "seed": 0}
TINY_CYCLEGAN = {"image_size": 16, "filters": 4, "residual_blocks": 1, "patch_layers": 1,
                 "pool_size": 3, "seed": 0}

_SCRATCH: list[tempfile.TemporaryDirectory] = []


@functools.cache
def tiny_exports() -> dict[str, Path]:
    """Version folders of an untrained export of each family, by a short name: `vae`,
    `cgan` (the class-conditional GAN, whose signatures are the GAN's with labels),
    `pix2pix` (grey in, colour out), `cyclegan`.

    In a temporary folder removed when the process ends; tests only read them.
    """
    import zoo
    from zoo.export import export_model
    from zoo.families.cyclegan import CycleGAN
    from zoo.families.pix2pix import Pix2Pix
    from zoo.registry import get_entry

    _SCRATCH.append(tempfile.TemporaryDirectory(prefix="serving-exports-"))
    root = Path(_SCRATCH[-1].name)
    models = {"vae": ("vae_mnist", zoo.build("vae_mnist", latent_dim=2)),
              "cgan": ("cgan_mnist", zoo.build("cgan_mnist")),
              "pix2pix": ("pix2pix_facades", Pix2Pix(**TINY_PIX2PIX)),
              "cyclegan": ("cyclegan_horse2zebra", CycleGAN(**TINY_CYCLEGAN))}
    return {short: export_model(model, get_entry(entry), root)
            for short, (entry, model) in models.items()}


def png(image: np.ndarray) -> bytes:
    """An (H, W, C) uint8 image as PNG bytes."""
    import tensorflow as tf

    return tf.io.encode_png(image).numpy()


def example_values(signature, seed: int = 0) -> dict:
    """Valid inputs for any declared signature: two examples per batch, 16 px for images of
    free size, PNGs of colour images for string inputs."""
    rng = np.random.default_rng(seed)
    values = {}
    for spec in signature.inputs:
        if spec.dtype == "string":
            values[spec.name] = [png(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
                                 for _ in range(2)]
        elif not spec.shape:
            values[spec.name] = {"count": 3, "seed": 5}.get(spec.name, spec.maximum)
        elif spec.dtype == "float32" and spec.maximum is not None:
            shape = [2] + [16 if dim is None else dim for dim in spec.shape[1:]]
            values[spec.name] = rng.uniform(spec.minimum, spec.maximum, shape).astype("float32")
        elif spec.dtype == "float32":
            values[spec.name] = rng.normal(size=(2, *spec.shape[1:])).astype("float32")
        else:
            values[spec.name] = rng.integers(spec.minimum, spec.maximum + 1, 2).astype(spec.dtype)
    return values
