"""The autoencoder's plots of an export: reconstructions titled input | reconstruction, and
the codes of the held-out images given, titled with how many those are."""

from __future__ import annotations

import importlib

import numpy as np
import tensorflow as tf

module = importlib.import_module("zoo.families.autoencoder.plots")


class _Fake:
    """What the plots use of a loaded export: reconstruct and encode."""

    def reconstruct(self, images):
        return 1.0 - np.asarray(images)

    def encode(self, images):
        return np.asarray(images).reshape(len(images), -1)[:, :3]


def test_reconstructions_are_titled_and_codes_say_which_images(tmp_path, monkeypatch):
    titles = {}
    save = module.save_figure

    def recording(path, figure):
        titles[path.name] = [axis.get_title() for axis in figure.axes if axis.get_title()]
        return save(path, figure)

    monkeypatch.setattr(module, "save_figure", recording)
    images = np.random.default_rng(0).integers(0, 256, (16, 8, 8, 1)).astype(np.uint8)
    written = module.plots(_Fake(), {"image": images}, tmp_path)
    assert [path.name for path in written] == ["reconstructions.png", "codes.png"]
    assert titles["reconstructions.png"] == ["input", "reconstruction"]
    assert titles["codes.png"][0].startswith("codes of the 16 held-out images shown: ")
    for path in written:
        assert np.ptp(tf.io.decode_png(path.read_bytes()).numpy()) > 0
