"""Tiny exports of every family, made once per test process, for the tests of the serving
signatures and of the serving clients; and example inputs for any declared signature."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np

_SCRATCH: list[tempfile.TemporaryDirectory] = []


@functools.cache
def tiny_exports() -> dict[str, Path]:
    """Version folders of an untrained export of each family's test case, by the case's name
    (`zoo.families.testing`): `vae`, `gan`, `cgan` (the class-conditional GAN, whose
    signatures are the GAN's with labels), `pix2pix` (grey in, colour out), `cyclegan`, ...

    In a temporary folder removed when the process ends; tests only read them.
    """
    from zoo.export import export_model
    from zoo.families import get_family
    from zoo.families.testing import family_cases

    _SCRATCH.append(tempfile.TemporaryDirectory(prefix="serving-exports-"))
    root = Path(_SCRATCH[-1].name)
    return {case.name: export_model(get_family(case.family).model_class(**case.config, seed=0),
                                    case.entry(), root)
            for case in family_cases()}


@functools.cache
def scoring_cases() -> tuple[list, list]:
    """The family test cases whose export has a `score` signature (`zoo.outliers`), and the
    smallest of those without one (by its number of weights)."""
    from zoo.families import get_family
    from zoo.families.testing import family_cases
    from zoo.outliers import SCORE_SIGNATURE

    scoring, other = [], []
    for case in family_cases():
        family = get_family(case.family)
        model = family.model_class(**case.config, seed=0)
        names = [signature.name for signature in family.signatures(model)]
        (scoring if SCORE_SIGNATURE in names else other).append((model.count_params(), case))
    return [case for _, case in scoring], [min(other, key=lambda pair: pair[0])[1]]


def tiny_case(name: str):
    """The family test case called `name` (see `tiny_exports`)."""
    from zoo.families.testing import family_cases

    return next(case for case in family_cases() if case.name == name)


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
            # The largest value of other scalars, but a few sampling steps, not DDPM's 1,000.
            values[spec.name] = {"count": 3, "seed": 5, "steps": 2}.get(spec.name, spec.maximum)
        elif spec.dtype == "float32" and spec.maximum is not None:
            shape = [2] + [16 if dim is None else dim for dim in spec.shape[1:]]
            values[spec.name] = rng.uniform(spec.minimum, spec.maximum, shape).astype("float32")
        elif spec.dtype == "float32":
            values[spec.name] = rng.normal(size=(2, *spec.shape[1:])).astype("float32")
        else:
            values[spec.name] = rng.integers(spec.minimum, spec.maximum + 1, 2).astype(spec.dtype)
    return values
