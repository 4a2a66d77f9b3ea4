"""`zoo demo`: the app over the newest version of every shipped export, launched once on a
free port and called through its API with `gradio_client`, good inputs and bad; the page it
serves fetches nothing from elsewhere; and the command's own errors are one line."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

import zoo
from zoo.command import main
from zoo.command.demo.app import build_app, check_address, serve
from zoo.command.demo.examples import rendered_digit
from zoo.errors import ConfigurationError
from zoo.images import tile, to_uint8
from helpers import REPO, newest_shipped

SHIPPED = sorted(path.name for path in (REPO / "exported").iterdir() if path.is_dir())
ENDPOINTS = {
    "ae_mnist": {"score"},
    "cgan_mnist": {"sample"},
    "cyclegan_horse2zebra": {"translate"},
    "cyclegan_mnist_restyle": {"translate"},
    "dcgan_mnist": {"sample"},
    "ddim_mnist": {"sample"},
    "pix2pix_facades": {"translate"},
    "pix2pix_mnist_inpaint": {"translate"},
    "vae_mnist": {"sample", "latent_from_seed", "latent_from_picture", "latent_decode",
                  "interpolate", "score"},
}
"""What each shipped export's tab offers, from its signatures."""
GENERATORS = sorted(entry for entry, offered in ENDPOINTS.items() if "sample" in offered)
TRANSLATIONS = [("pix2pix_facades", "translate"), ("pix2pix_mnist_inpaint", "translate"),
                ("cyclegan_horse2zebra", "a_to_b"), ("cyclegan_horse2zebra", "b_to_a"),
                ("cyclegan_mnist_restyle", "a_to_b"), ("cyclegan_mnist_restyle", "b_to_a")]
SIZES = {"pix2pix_facades": 128, "pix2pix_mnist_inpaint": 32, "cyclegan_horse2zebra": 128,
         "cyclegan_mnist_restyle": 28}
"""The size each translation model takes and gives, in pixels a side."""


@pytest.fixture(scope="module")
def models():
    return {entry: zoo.load(newest_shipped(entry)) for entry in SHIPPED}


@pytest.fixture(scope="module")
def client(models):
    app = build_app([models[entry] for entry in SHIPPED])
    url = serve(app, "127.0.0.1", check_address("127.0.0.1", 0))
    yield Client(url, verbose=False)
    app.close()


def pixels(path: str) -> np.ndarray:
    """An image the app returned, as uint8 (height, width, channels)."""
    image = np.asarray(Image.open(path))
    return image[..., None] if image.ndim == 2 else image


def png(folder: Path, name: str, image: np.ndarray) -> str:
    """Writes uint8 pixels as a PNG; its path."""
    path = folder / name
    Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(path)
    return str(path)


def refused(client, endpoint: str, *args) -> str:
    """The message the page shows for a call that fails; the call must fail."""
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name=f"/{endpoint}")
    return str(error.value)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    (folder / "notes.png").write_text("not a picture")
    rng = np.random.default_rng(0)
    return {"digit": png(folder, "three.png", rendered_digit(3)),
            "blank": png(folder, "blank.png", np.zeros((28, 28, 1), np.uint8)),
            "wide": png(folder, "wide.png", rng.integers(0, 256, (30, 50, 3), np.uint8)),
            "pair": png(folder, "pair.png", rng.integers(0, 256, (64, 128, 3), np.uint8)),
            "not_a_picture": str(folder / "notes.png")}


def test_every_shipped_export_has_a_tab_offering_what_its_signatures_allow(client):
    endpoints = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    expected = {f"/{entry}_{action}" for entry, offered in ENDPOINTS.items()
                for action in offered}
    assert set(ENDPOINTS) == set(SHIPPED)
    assert endpoints == expected


@pytest.mark.parametrize("entry", GENERATORS)
def test_a_generator_draws_the_grid_its_sample_signature_gives(client, models, entry):
    settings = {"cgan_mnist": (7,), "ddim_mnist": (2, 0.0)}.get(entry, ())
    grid = pixels(client.predict(4, 3, *settings, api_name=f"/{entry}_sample"))
    names = {"cgan_mnist": ("label",), "ddim_mnist": ("steps", "eta")}.get(entry, ())
    expected = to_uint8(tile(models[entry].sample(count=4, seed=3,
                                                  **dict(zip(names, settings)))))
    assert grid.shape == (57, 57, 1)
    np.testing.assert_array_equal(grid, expected)
    other = pixels(client.predict(4, 4, *settings, api_name=f"/{entry}_sample"))
    assert not np.array_equal(other, grid)


def test_a_conditional_generator_draws_a_row_per_class(client, models):
    grid = pixels(client.predict(2, 0, -1, api_name="/cgan_mnist_sample"))
    assert grid.shape == (10 * 29 - 1, 2 * 29 - 1, 1)
    sevens = to_uint8(tile(models["cgan_mnist"].sample(count=2, seed=0, label=7), 2))
    np.testing.assert_array_equal(grid[7 * 29:8 * 29 - 1], sevens)


def test_a_generator_refuses_settings_out_of_range_and_goes_on_serving(client):
    for endpoint, args, message in [
            ("dcgan_mnist_sample", (65, 0), "greater than maximum value 64"),
            ("dcgan_mnist_sample", (0, 0), "less than minimum value 1"),
            ("cgan_mnist_sample", (2, 0, 10), "not in the list of choices"),
            ("ddim_mnist_sample", (2, 0, 0, 0.0), "less than minimum value 1"),
            ("ddim_mnist_sample", (2, 0, 2, 1.5), "greater than maximum value 1")]:
        assert message in refused(client, endpoint, *args)
    assert pixels(client.predict(1, 0, api_name="/dcgan_mnist_sample")).shape == (28, 28, 1)


def test_the_latent_space_starts_from_a_seed_and_decodes_the_sliders(client, models):
    vae = models["vae_mnist"]
    start, current, *latent = client.predict(3, api_name="/vae_mnist_latent_from_seed")
    drawn = np.clip(np.random.default_rng(3).standard_normal(16), -4, 4)
    np.testing.assert_allclose(latent, drawn, rtol=1e-6)
    decoded = to_uint8(vae.decode(np.array([latent], np.float32))[0])
    np.testing.assert_array_equal(pixels(start), decoded)
    np.testing.assert_array_equal(pixels(current), decoded)
    same = pixels(client.predict(*latent, api_name="/vae_mnist_latent_decode"))
    np.testing.assert_array_equal(same, decoded)
    moved = latent.copy()
    moved[5] = 3.5 if latent[5] < 0 else -3.5
    changed = pixels(client.predict(*moved, api_name="/vae_mnist_latent_decode"))
    assert np.abs(changed.astype(int) - decoded).max() > 64


def test_the_latent_space_starts_from_an_encoded_picture_or_drawing(client, models, files):
    vae = models["vae_mnist"]
    start, current, *latent = client.predict(handle_file(files["digit"]), None,
                                             api_name="/vae_mnist_latent_from_picture")
    digit = rendered_digit(3)
    np.testing.assert_array_equal(pixels(start), digit)
    mean = vae.encode(digit[None].astype(np.float32) / 255.0)["mean"][0]
    np.testing.assert_allclose(latent, np.clip(mean, -4, 4), rtol=1e-4, atol=1e-5)
    assert pixels(current).shape == (28, 28, 1)
    # A drawing: dark strokes on a transparent canvas, read as white ink on black.
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[40:240, 120:160] = (0, 0, 0, 255)
    sketch = {"background": None, "layers": [],
              "composite": handle_file(png(Path(files["digit"]).parent, "stroke.png", canvas))}
    start, _, *latent = client.predict(None, sketch, api_name="/vae_mnist_latent_from_picture")
    stroke = pixels(start)[..., 0]
    assert stroke[14, 14] > 200 and stroke[14, 3] < 20  # the bar, white on black
    assert len(latent) == 16


def test_the_latent_space_walks_between_two_seeds(client, models):
    walk = pixels(client.predict(0, 1, 5, api_name="/vae_mnist_interpolate"))
    assert walk.shape == (28, 5 * 29 - 1, 1)
    ends = [np.clip(np.random.default_rng(seed).standard_normal(16), -4, 4) for seed in (0, 1)]
    decoded = to_uint8(models["vae_mnist"].decode(np.array(ends, np.float32)))
    np.testing.assert_array_equal(walk[:, :28], decoded[0])
    np.testing.assert_array_equal(walk[:, -28:], decoded[1])


@pytest.mark.parametrize("args, message", [
    (("not_a_picture", None), "notes.png is not a readable JPEG or PNG image; upload a JPEG"),
    ((None, None), "upload a picture (JPEG or PNG) or draw one first"),
])
def test_the_latent_space_refuses_what_is_no_picture(client, files, args, message):
    given = [handle_file(files[name]) if name else None for name in args]
    assert message in refused(client, "vae_mnist_latent_from_picture", *given)
    assert "less than minimum value 0" in refused(client, "vae_mnist_latent_from_seed", -1)


@pytest.mark.parametrize("entry, direction", TRANSLATIONS)
def test_a_translation_of_each_bundled_example_is_the_models_own(client, models, entry,
                                                                direction):
    from zoo.command.demo.examples import examples

    model = models[entry]
    name, image = examples(model.metadata)[direction][0]
    taken, output = client.predict(direction, name, None, "whole image",
                                   api_name=f"/{entry}_translate")
    channels = model.signatures[direction].inputs[0].shape[-1]
    size = SIZES[entry]
    assert pixels(taken).shape == pixels(output).shape == (size, size, channels)
    np.testing.assert_array_equal(pixels(taken), to_uint8(image))
    expected = to_uint8(model.call(direction, image[None])[0])
    np.testing.assert_array_equal(pixels(output), expected)


@pytest.mark.parametrize("entry", sorted(SIZES))
def test_an_uploaded_picture_is_resized_and_translated(client, entry, files):
    direction = "translate" if entry.startswith("pix2pix") else "b_to_a"
    taken, output = client.predict(direction, None, handle_file(files["wide"]), "whole image",
                                   api_name=f"/{entry}_translate")
    size = SIZES[entry]
    assert pixels(taken).shape[:2] == pixels(output).shape[:2] == (size, size)


def test_a_half_of_a_side_by_side_pair_is_translated(client, files):
    taken, _ = client.predict("translate", None, handle_file(files["pair"]), "right half",
                              api_name="/pix2pix_facades_translate")
    from zoo.command.translate import read_input

    right = read_input(Path(files["pair"]), 128, 128, 3, "right")
    np.testing.assert_array_equal(pixels(taken), to_uint8(right))


@pytest.mark.parametrize("args, message", [
    (("translate", None, "not_a_picture", "whole image"),
     "notes.png is not a readable JPEG or PNG image"),
    (("translate", "no such example", None, "whole image"),
     "upload a picture, or pick an example of translate"),
    (("translate", None, None, "top half"), "not in the list of choices"),
])
def test_a_translation_refuses_what_it_cannot_translate(client, files, args, message):
    given = [handle_file(files[value]) if value in files else value for value in args]
    assert message in refused(client, "pix2pix_facades_translate", *given)


def test_a_direction_refuses_the_examples_of_the_other(client):
    message = refused(client, "cyclegan_horse2zebra_translate", "b_to_a", "horse (drawn)", None,
                      "whole image")
    assert "pick an example of b_to_a: zebra (drawn)" in message


@pytest.mark.parametrize("entry", ["ae_mnist", "vae_mnist"])
def test_a_scorer_gives_the_score_its_percentile_and_the_verdict(client, models, entry, files):
    model = models[entry]
    for picture in ("digit", "blank"):
        taken, score, percentile, verdict = client.predict(
            handle_file(files[picture]), None, api_name=f"/{entry}_score")
        expected = model.outlier_scores(pixels(taken)[None] / np.float32(255))
        assert score == pytest.approx(float(expected["score"][0]), rel=1e-5)
        assert percentile == pytest.approx(float(expected["percentile"][0]), abs=0.1)
        assert verdict.startswith("OUTLIER" if expected["outlier"][0] else "typical")
        assert "held-out scores (mnist test[8000:])" in verdict
    # The blank page is the outlier the complexity-corrected score is there to flag.
    assert verdict.startswith("OUTLIER") and percentile == 100.0


def test_a_scorer_takes_a_drawing_and_refuses_an_empty_one(client, files):
    canvas = np.zeros((280, 280, 4), np.uint8)
    sketch = {"background": None, "layers": [],
              "composite": handle_file(png(Path(files["digit"]).parent, "empty.png", canvas))}
    assert "upload a picture (JPEG or PNG) or draw one first" in refused(
        client, "vae_mnist_score", None, sketch)
    canvas[60:220, 130:150] = (0, 0, 0, 255)
    sketch["composite"] = handle_file(png(Path(files["digit"]).parent, "one.png", canvas))
    taken, score, percentile, verdict = client.predict(None, sketch, api_name="/vae_mnist_score")
    assert pixels(taken)[14, 14, 0] > 200 and 0 <= percentile <= 100 and verdict
    assert "notes.png is not a readable JPEG or PNG image" in refused(
        client, "ae_mnist_score", handle_file(files["not_a_picture"]), None)


def test_the_page_and_its_stylesheets_name_no_other_host(client):
    """Offline: what the page loads (scripts, stylesheets, fonts, pictures) comes from the
    app itself; the browser test checks what a real browser requests."""
    base = client.src.rstrip("/")
    html = urllib.request.urlopen(base + "/", timeout=30).read().decode()
    loaded = re.findall(r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", html)
    stylesheets = [url for url in loaded if ".css" in url] + ["/theme.css"]
    for url in stylesheets:
        css = urllib.request.urlopen(base + "/" + url.lstrip("./"), timeout=30).read().decode()
        loaded += re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
        loaded += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    outside = [url for url in loaded if re.match(r"(https?:)?//", url)
               and not url.startswith(base)]
    assert loaded and not outside, outside


def test_without_gradio_the_command_names_the_extra():
    # In a fresh interpreter where Gradio cannot be imported, as without the extra.
    code = ("import sys; sys.modules['gradio'] = None; from zoo.command import main; "
            "sys.exit(main(['demo']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: `zoo demo` needs Gradio"), error
    assert error[0].endswith('pip install "zoo[demo]"')


def test_a_busy_port_is_one_error_line_naming_it(capsys):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    assert capsys.readouterr().err == (f"error: --port {port} is in use on 127.0.0.1; choose "
                                       "another port (e.g. --port 0 for any free one), or stop "
                                       "what listens there.\n")


def test_a_port_taken_while_the_exports_load_is_one_error_naming_it():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"--port {port} on 127.0.0.1 was taken"):
            serve(build_app([]), "127.0.0.1", port)


@pytest.mark.parametrize("argv, message", [
    (["--host", "no-such-host.invalid"], "error: --host 'no-such-host.invalid' is not a host "
                                         "name or address"),
    (["--host", "192.0.2.1"], "error: --host '192.0.2.1' is not an address of this machine"),
    (["--port", "70000"], "error: argument --port: --port must be 0 to 65535; got 70000"),
    (["no_such_entry"], "error: Unknown zoo entry 'no_such_entry'; known entries:"),
])
def test_a_bad_value_is_one_error_line_naming_it(argv, message, capsys):
    try:
        status = main(["demo", "--port", "0", *argv])
    except SystemExit as exit:  # argparse's usage errors
        status = exit.code
    assert status == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith(message), error


def test_a_refused_input_is_a_message_in_the_page_without_a_stack_trace_on_the_server(capsys):
    import gradio as gr

    from zoo.command.demo.panels import guarded
    from zoo.errors import InputError

    def bad(_):
        raise InputError("notes.txt is not a readable JPEG or PNG image.")

    def broken(_):
        raise RuntimeError("a fault of the model")

    with pytest.raises(gr.Error) as refused:
        guarded(bad)(None)
    assert refused.value.message == "notes.txt is not a readable JPEG or PNG image."
    assert not refused.value.print_exception  # Gradio would print it on stderr
    assert capsys.readouterr().err == ""
    with pytest.raises(gr.Error) as failed:
        guarded(broken)(None)
    assert "the model failed on these inputs (RuntimeError: a fault of the model)" in \
        failed.value.message
    # A fault, not the user's input: its stack trace goes to the server's stderr, once.
    assert capsys.readouterr().err.count("Traceback") == 1
