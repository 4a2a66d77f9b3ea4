"""The image reader (zoo.images.read_image) and its in-graph twin (decode_image_tensor): the
same pixels for the same file, channels converted as documented, errors naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import DataError
from zoo.images import decode_image_tensor, read_image, read_image_bytes


def _write(path: Path, pixels: np.ndarray) -> Path:
    encode = tf.io.encode_jpeg if path.suffix == ".jpg" else tf.io.encode_png
    path.write_bytes(encode(pixels).numpy())
    return path


def _pattern(height: int, width: int, channels: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


@pytest.mark.parametrize("name", ["photo.png", "photo.jpg", "grey.png", "grey.jpg"])
@pytest.mark.parametrize("size", [12, 20])  # a resize, and the file's own size
def test_the_file_reader_and_the_graph_twin_give_the_same_pixels(name, size, tmp_path):
    path = _write(tmp_path / name, _pattern(20, 20, 1 if name.startswith("grey") else 3))
    for channels in (1, 3):
        twin = decode_image_tensor(tf.constant([path.read_bytes()]), size, channels, "images")
        np.testing.assert_array_equal(read_image(path, channels, (size, size)), twin[0].numpy())


def test_channels_are_converted_as_documented(tmp_path):
    rgb = _pattern(6, 5, 3)
    exact = read_image(_write(tmp_path / "rgb.png", rgb), 3)
    assert exact.dtype == np.float32 and exact.shape == (6, 5, 3)
    np.testing.assert_allclose(exact, rgb / 255.0, atol=1e-6)
    grey = read_image(tmp_path / "rgb.png", 1)  # colour made grey: about the luma
    np.testing.assert_allclose(grey[..., 0] * 255, rgb @ [0.299, 0.587, 0.114], atol=1.0)
    repeated = read_image(_write(tmp_path / "grey.png", rgb[..., :1]), 3)  # grey repeated
    np.testing.assert_array_equal(repeated, np.repeat(rgb[..., :1] / np.float32(255), 3, -1))
    alpha = np.concatenate([rgb, _pattern(6, 5, 1, seed=1)], axis=-1)  # alpha dropped
    np.testing.assert_array_equal(read_image(_write(tmp_path / "rgba.png", alpha), 3), exact)
    grey_alpha = np.concatenate([rgb[..., :1], rgb[..., 1:2]], axis=-1)
    np.testing.assert_array_equal(read_image(_write(tmp_path / "ga.png", grey_alpha), 1),
                                  rgb[..., :1] / np.float32(255))
    assert read_image(tmp_path / "rgb.png", 3, size=(3, 10)).shape == (3, 10, 3)


def test_reader_errors_name_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "missing.png"
    with pytest.raises(DataError, match=f"^{missing} does not exist; pass a JPEG or PNG file.$"):
        read_image(missing, 3)
    with pytest.raises(DataError, match=f"^cannot read {tmp_path}: .*; pass a JPEG or PNG file "
                                        "you can read.$"):
        read_image_bytes(tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(DataError, match=f"^{text} is not a readable JPEG or PNG image; pass a "
                                        "JPEG or PNG file.$"):
        read_image(text, 1)
    with pytest.raises(ValueError, match="1 \\(grey\\) or 3 \\(RGB\\) channels; got 4"):
        read_image(_write(tmp_path / "ok.png", _pattern(2, 2, 3)), 4)


@pytest.mark.parametrize("progressive", [False, True])
def test_a_cmyk_jpeg_is_refused_by_name_before_it_is_decoded(progressive, tmp_path, capfd,
                                                             monkeypatch):
    """Photoshop and print workflows write CMYK JPEGs, which TensorFlow's decoder cannot
    convert (libjpeg prints a stray line, then it fails): refused from the header, with the
    fix, and the decoder is never called."""
    from PIL import Image

    import zoo.images

    path = tmp_path / "print.jpg"
    Image.new("CMYK", (12, 10), (0, 128, 255, 0)).save(path, "JPEG", progressive=progressive)
    assert zoo.images.jpeg_components(path.read_bytes()) == 4
    capfd.readouterr()
    decoded = []
    monkeypatch.setattr(zoo.images, "decode_image", lambda *args: decoded.append(args))
    for channels in (1, 3):
        with pytest.raises(DataError, match=f"^{path} is a CMYK JPEG \\(4 colour components\\), "
                                            "which the zoo does not read; convert it to RGB "):
            read_image(path, channels)
    assert decoded == []
    assert capfd.readouterr().err == ""  # libjpeg's "Unsupported color conversion request"
    # An RGB or grey JPEG, and a PNG, still read.
    monkeypatch.undo()
    for mode, suffix in (("RGB", ".jpg"), ("L", ".jpg"), ("CMYK", ".png")):
        other = tmp_path / f"{mode}{suffix}"
        image = Image.new(mode, (12, 10))
        (image.convert("RGB") if suffix == ".png" else image).save(other)
        assert read_image(other, 3).shape == (10, 12, 3)


def test_a_one_epoch_history_plot_shows_its_point(tmp_path):
    """A line through one point draws nothing: the epochs are marked, so a one-epoch run's
    history.png shows its loss (pixels of the train line's colour, matplotlib's first)."""
    from zoo.images import save_history_plot

    csv_path = tmp_path / "history.csv"
    csv_path.write_text("epoch,loss,val_loss\n1,0.5,NA\n")
    picture = tf.io.decode_png(save_history_plot(csv_path, tmp_path / "history.png")
                               .read_bytes(), channels=3).numpy().astype(int)
    blue = np.abs(picture - [31, 119, 180]).sum(axis=-1) < 60  # tab:blue
    assert blue.sum() >= 10
