"""The VAE plots are drawn from an export, and the manifold only for a 2-D latent."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import export_model
from zoo.families.vae.plots import plots
from zoo.registry import get_entry
from helpers import digit_like_images


@pytest.mark.parametrize("latent_dim, manifold", [(2, True), (5, False)])
def test_plots_are_readable_pngs(tmp_path, latent_dim, manifold):
    version = export_model(zoo.build("vae_mnist", latent_dim=latent_dim),
                           get_entry("vae_mnist"), tmp_path / "exported")
    images, _ = digit_like_images(8)
    written = plots(zoo.load(version), {"image": images[..., None]}, tmp_path / "plots")
    names = {path.name for path in written}
    assert {"samples.png", "reconstructions.png", "latent_traversals.png"} <= names
    assert ("latent_manifold.png" in names) == manifold
    for path in written:
        decoded = tf.io.decode_png(path.read_bytes()).numpy()
        assert decoded.shape[0] > 28 and decoded.shape[1] > 28 and np.ptp(decoded) > 0
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left
