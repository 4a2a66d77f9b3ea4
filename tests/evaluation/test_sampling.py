"""`sample_images` on the tiny exports: a sampler's settings passed to every call, settings its
`sample` does not take refused, and a GAN's draws as they were."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from zoo.errors import ConfigurationError, InputError
from zoo.evaluation.sampling import sample_images, sample_settings
from serving_exports import tiny_exports


@pytest.fixture(scope="module")
def exports():
    return {name: zoo.load(tiny_exports()[name]) for name in ("diffusion", "gan", "cgan")}


def test_a_samplers_settings_reach_every_call(exports):
    diffusion = exports["diffusion"]
    assert sample_settings(diffusion) == ("steps", "eta")
    settings = {"steps": 2, "eta": 1.0}
    images, labels = sample_images(diffusion, 5, seed=7, chunk=2, settings=settings)
    assert images.shape == (5, 8, 8, 1) and images.dtype == np.float32 and labels is None
    for call, start in enumerate(range(0, 5, 2)):
        expected = diffusion.sample(count=min(2, 5 - start), seed=7 + call, steps=2, eta=1.0)
        np.testing.assert_array_equal(images[start:start + 2], expected)
    # The settings change the draw; left out, the signature's defaults are used.
    deterministic, _ = sample_images(diffusion, 2, seed=7, settings={"steps": 2, "eta": 0.0})
    assert not np.array_equal(deterministic, images[:2])
    defaults, _ = sample_images(diffusion, 2, seed=7)
    np.testing.assert_array_equal(defaults, diffusion.sample(count=2, seed=7, steps=20, eta=0.0))


def test_settings_the_sample_signature_does_not_take_are_refused(exports):
    with pytest.raises(ConfigurationError, match=r"takes the settings steps, eta .*'temperature'"):
        sample_images(exports["diffusion"], 2, seed=0, settings={"temperature": 1.0})
    with pytest.raises(ConfigurationError, match="'seed'"):
        sample_images(exports["diffusion"], 2, seed=0, settings={"seed": 3})
    with pytest.raises(ConfigurationError, match=r"takes no settings .*'steps'"):
        sample_images(exports["gan"], 2, seed=0, settings={"steps": 20})
    with pytest.raises(ConfigurationError, match=r"label per class\); got 'label'"):
        sample_images(exports["cgan"], 10, seed=0, settings={"label": 3})
    # A value out of the signature's range is the signature's own refusal.
    with pytest.raises(InputError, match="eta"):
        sample_images(exports["diffusion"], 2, seed=0, settings={"steps": 2, "eta": 2.0})


def test_a_gans_draws_are_unchanged(exports):
    gan, cgan = exports["gan"], exports["cgan"]
    assert sample_settings(gan) == () and sample_settings(cgan) == ()
    images, labels = sample_images(gan, 10, seed=3, chunk=4, settings={})
    assert labels is None
    for call, start in enumerate((0, 4, 8)):
        np.testing.assert_array_equal(images[start:start + 4], gan.sample(min(4, 10 - start),
                                                                          3 + call))
    classes = int(cgan.signatures["sample"].inputs[2].maximum) + 1
    # Three of each class (one more than asked for is left out), in calls of 2 and 1.
    images, labels = sample_images(cgan, 3 * classes + 1, seed=0, chunk=2)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(classes), 3))
    np.testing.assert_array_equal(images[0:2], cgan.sample(2, 0, 0))
    np.testing.assert_array_equal(images[2:3], cgan.sample(1, 1, 0))
    np.testing.assert_array_equal(images[3:5], cgan.sample(2, 2, 1))
