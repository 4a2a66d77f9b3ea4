"""The panels of an export's tab in `zoo demo`, each chosen by the export's signatures:

- samples, for a `sample` signature taking a count and a seed (and a class, steps or eta,
  when it declares them): a grid of its images;
- latent space, for an export with `encode`, `decode` and `sample` (a VAE: `sample` decodes
  latent vectors drawn from N(0, I)): a start drawn from a seed or encoded from a picture,
  one slider per latent dimension, and a walk between the latent vectors of two seeds;
- translate, for each signature that takes a batch of images and returns images
  (`zoo.command.translate.translation_signatures`): an upload or a drawn example in, the
  input as the model takes it and the output side by side at their own size;
- outlier score, for a `score` signature (`zoo.outliers`): an upload or a drawing in, its
  score, the score's percentile among held-out data and the verdict.

Every handler turns a problem with its inputs into a message on the page (`gradio.Error`),
never a stack trace; the server goes on serving.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np

from zoo.command.score import percentile_text
from zoo.command.translate import TAKE_PARTS, read_input, translation_signatures
from zoo.command.common import at_own_size, model_image_size
from zoo.command.demo.examples import examples as drawn_examples
from zoo.errors import ZooError
from zoo.images import ImageFileError, read_image, resize_image, tile, to_uint8
from zoo.outliers import (SCORE_SIGNATURE, THRESHOLD_PERCENTILE, record_source,
                          scoring_signature)

MAX_COUNT = 64
"""The most images one press of a sample button draws (per class, for one row per class)."""
DEFAULT_COUNT = 16
LATENT_RANGE = 4.0
"""The latent sliders' range, +-: a N(0, I) prior puts 99.99% of each coordinate within it."""
SETTINGS = ("label", "steps", "eta")
"""The inputs of a `sample` signature, besides count and seed, that the samples panel sets."""
EVERY_CLASS = -1
"""The class choice that draws one row of each class."""
PARTS = {"whole image": "whole", "left half": "left", "right half": "right"}
"""What the translate panel takes of a picture (`zoo translate --take`'s choices)."""
assert set(PARTS.values()) == set(TAKE_PARTS)
FRAME_MARGIN = 100
"""Pixels of an image frame's height beyond the image it shows at its own size: the label
above it and room below."""
ZOOMED_HEIGHT = 196
"""Pixels of height a single small image (a 28 px digit) is shown at, its pixels enlarged."""


def refusal(message: str) -> gr.Error:
    """The error a handler raises for what the user can fix: shown in the page, and not
    printed as a stack trace on the server's stderr (Gradio prints one by default)."""
    return gr.Error(message, print_exception=False)


def guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A handler whose ZooErrors (bad inputs, as `zoo.load` and the image reader word them)
    are shown in the page as they are, and whose other errors are shown as one line (the
    stack trace goes to the server's stderr), so that the page never shows a stack trace."""
    @functools.wraps(function)
    def handler(*args: Any) -> Any:
        try:
            return function(*args)
        except gr.Error:
            raise
        except ZooError as error:
            raise refusal(str(error)) from None
        except Exception as error:  # noqa: BLE001 - the page shows one line, stderr the rest
            traceback.print_exc(file=sys.stderr)
            raise refusal(f"the model failed on these inputs ({type(error).__name__}: "
                           f"{error}); the server's log has the details.") from None
    return handler


def named(handler: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """A handler taking its inputs by position (`*values`) given the inputs' names, which
    the app's API page and `gradio_client` show."""
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in names])
    return handler


def shown(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] as Gradio shows it: uint8, grey as (height, width)."""
    pixels = to_uint8(image)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def _whole_number(value: Any, what: str, minimum: int | None = None) -> int:
    """A whole number from a number field, else a message naming the field."""
    if value is None or (isinstance(value, float) and not value.is_integer()):
        raise refusal(f"{what} must be a whole number; got {value!r}.")
    if minimum is not None and value < minimum:
        raise refusal(f"{what} must be at least {minimum}; got {int(value)}.")
    return int(value)


# Pictures in: an upload, or a drawing.

def uploaded(path: str | None, channels: int, size: tuple[int | None, int | None],
             multiple: int | None = None, take: str = "whole") -> np.ndarray:
    """An uploaded file as a model takes it (float32 (height, width, channels) in [0, 1]):
    read by `zoo.command.translate.read_input`, resized to `size`, or at its own size (a
    multiple of `multiple`) where the model takes any; a message names the file by the name
    it was uploaded with when it does not read as an image."""
    height, width = size
    try:
        image = read_input(Path(path), height, width, channels, take)
    except ImageFileError as error:
        raise refusal(str(error).replace(str(path), Path(path).name)
                       .replace("pass a JPEG", "upload a JPEG")) from None
    return image if height is not None else at_own_size(image, multiple)


def drawn(sketch: dict | None, channels: int, size: tuple[int, int]) -> np.ndarray | None:
    """A sketchpad's drawing read as ink (dark strokes, on paper that is white or not drawn
    on) and made an image of the kind MNIST's digits are, white ink on black: converted to
    `channels` and resized to `size`; None when nothing is drawn."""
    composite = None if sketch is None else sketch.get("composite")
    if composite is None:
        return None
    pixels = np.asarray(composite, np.float32) / 255.0
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    colour, alpha = ((pixels[..., :-1], pixels[..., -1:]) if pixels.shape[-1] in (2, 4)
                     else (pixels, np.ones_like(pixels[..., :1])))
    ink = alpha * (1.0 - colour.mean(axis=-1, keepdims=True))
    if not (ink > 0.05).any():
        return None
    image = ink if channels == 1 else np.repeat(ink, 3, axis=-1)
    return resize_image(image, *size).numpy()


def picture(upload: str | None, sketch: dict | None, channels: int,
            size: tuple[int, int]) -> np.ndarray:
    """The uploaded file if there is one, else the drawing, else a message asking for one."""
    if upload:
        return uploaded(upload, channels, size)
    image = drawn(sketch, channels, size)
    if image is None:
        raise refusal("upload a picture (JPEG or PNG) or draw one first.")
    return image


def picture_inputs(key: str) -> tuple[gr.File, gr.Sketchpad]:
    """An upload field and a sketchpad, side by side."""
    with gr.Row():
        upload = gr.File(label="upload a picture (JPEG or PNG; it is used if given)",
                         type="filepath", elem_id=f"{key}-upload")
        sketch = gr.Sketchpad(label="or draw one (read as MNIST's digits are: the ink white "
                                    "on black)", type="numpy", image_mode="RGBA",
                              canvas_size=(280, 280), layers=False,
                              brush=gr.Brush(colors=["#000000"], color_mode="fixed",
                                             default_size=22),
                              elem_id=f"{key}-sketch")
    return upload, sketch


# The panels.

@dataclasses.dataclass(frozen=True)
class Panel:
    """One panel: its title, whether an export offers it, and what lays it out."""

    title: str
    offered: Callable[[Any], bool]
    build: Callable[[Any, str], None]


def _samples_offered(model: Any) -> bool:
    declaration = model.signatures.get("sample")
    if declaration is None or len(declaration.outputs) != 1:
        return False
    names = {spec.name for spec in declaration.inputs}
    needed = {spec.name for spec in declaration.inputs if spec.default is None}
    return {"count", "seed"} <= names and needed <= {"count", "seed", "label"} and \
        names <= {"count", "seed", *SETTINGS}


def draw_samples(model: Any, count: Any, seed: Any, settings: dict[str, Any]) -> np.ndarray:
    """The grid of `count` images the export's `sample` draws from `seed` with `settings`
    (a `label` of `EVERY_CLASS` draws `count` of each class, one row each)."""
    count = _whole_number(count, "count", 1)
    if count > MAX_COUNT:
        raise refusal(f"count must be at most {MAX_COUNT} here; got {count}.")
    seed = _whole_number(seed, "seed")
    settings = dict(settings)
    for name in ("label", "steps"):
        if name in settings:
            settings[name] = _whole_number(settings[name], name)
    if settings.get("label") != EVERY_CLASS:
        return tile(model.sample(count=count, seed=seed, **settings))
    spec = next(spec for spec in model.signatures["sample"].inputs if spec.name == "label")
    rows = [model.sample(count=count, seed=seed, **(settings | {"label": label}))
            for label in range(int(spec.minimum), int(spec.maximum) + 1)]
    return tile(np.concatenate(rows), count)


def _build_samples(model: Any, key: str) -> None:
    declaration = model.signatures["sample"]
    inputs = {spec.name: spec for spec in declaration.inputs}
    gr.Markdown(f"`sample`: {declaration.description}.")
    with gr.Row():
        with gr.Column(scale=1):
            controls = [gr.Slider(1, min(MAX_COUNT, int(inputs["count"].maximum or MAX_COUNT)),
                                  value=DEFAULT_COUNT, step=1, label="count",
                                  elem_id=f"{key}-count"),
                        gr.Number(0, precision=0, label="seed (the same seed, the same images)",
                                  elem_id=f"{key}-seed")]
            names = [name for name in SETTINGS if name in inputs]
            for name in names:
                spec = inputs[name]
                if name == "label":
                    classes = range(int(spec.minimum), int(spec.maximum) + 1)
                    controls.append(gr.Dropdown(
                        [("every class, one row each", EVERY_CLASS)]
                        + [(str(label), label) for label in classes], value=EVERY_CLASS,
                        label="class (count is per class for every class)"))
                elif name == "steps":
                    controls.append(gr.Slider(int(spec.minimum), int(spec.maximum),
                                              value=int(spec.default), step=1,
                                              label="sampling steps (more: slower, finer)"))
                else:
                    controls.append(gr.Slider(spec.minimum, spec.maximum, value=spec.default,
                                              step=0.05, label=f"{name}: {spec.description}"))
            button = gr.Button("Draw samples", variant="primary", elem_id=f"{key}-sample")
        grid = gr.Image(label="samples", type="numpy", format="png", interactive=False,
                        height=360, elem_classes=["pixels"], elem_id=f"{key}-samples")

    @guarded
    def sample(count: Any, seed: Any, *values: Any) -> np.ndarray:
        return shown(draw_samples(model, count, seed, dict(zip(names, values))))

    button.click(named(sample, ["count", "seed", *names]), controls, grid,
                 api_name=f"{key}_sample")


def _latent_offered(model: Any) -> bool:
    signatures = model.signatures
    if not {"encode", "decode", "sample"} <= set(signatures):
        return False
    decode = signatures["decode"].inputs
    return len(decode) == 1 and len(decode[0].shape) == 2 and decode[0].shape[1] is not None


def latent_of_seed(dimensions: int, seed: Any) -> np.ndarray:
    """The latent vector drawn from N(0, I) with a seed (numpy's generator), clipped to the
    sliders' range."""
    seed = _whole_number(seed, "seed", 0)
    return np.clip(np.random.default_rng(seed).standard_normal(dimensions),
                   -LATENT_RANGE, LATENT_RANGE).astype(np.float32)


def _build_latent(model: Any, key: str) -> None:
    encode, decode = model.signatures["encode"], model.signatures["decode"]
    dimensions = decode.inputs[0].shape[1]
    code = encode.output_names[0]
    height, width, channels = model_image_size(model, "encode")
    gr.Markdown(f"Start from a digit drawn from a seed (its latent vector drawn from N(0, I)) "
                f"or from a picture (`encode`'s {code}), then move one of the {dimensions} "
                f"latent dimensions at a time: `decode` draws the result (sliders span "
                f"+-{LATENT_RANGE:g}; values beyond are clipped).")
    with gr.Row():
        with gr.Column():
            seed = gr.Number(0, precision=0, minimum=0, label="seed")
            from_seed = gr.Button("Start from the seed's digit", variant="primary",
                                  elem_id=f"{key}-latent-seed")
            upload, sketch = picture_inputs(f"{key}-latent")
            from_picture = gr.Button("Start from the picture (encoded)",
                                     elem_id=f"{key}-latent-encode")
        start = gr.Image(label="start", type="numpy", format="png", interactive=False,
                         height=ZOOMED_HEIGHT, elem_classes=["pixels"])
        current = gr.Image(label="decoded from the sliders", type="numpy", format="png",
                           interactive=False, height=ZOOMED_HEIGHT, elem_classes=["pixels"],
                           elem_id=f"{key}-decoded")
    sliders = []
    columns = 4
    for first in range(0, dimensions, columns):
        with gr.Row():
            sliders += [gr.Slider(-LATENT_RANGE, LATENT_RANGE, value=0.0, step=0.05,
                                  label=f"z[{index}]")
                        for index in range(first, min(first + columns, dimensions))]

    def decoded(latent: np.ndarray) -> np.ndarray:
        return model.decode(np.asarray(latent, np.float32)[None])[0]

    @guarded
    def start_from_seed(seed: Any) -> list:
        latent = latent_of_seed(dimensions, seed)
        image = shown(decoded(latent))
        return [image, image, *latent.tolist()]

    @guarded
    def start_from_picture(upload: str | None, sketch: dict | None) -> list:
        image = picture(upload, sketch, channels, (height, width))
        latent = model.encode(image[None])
        latent = latent[code] if isinstance(latent, dict) else latent
        latent = np.clip(latent[0], -LATENT_RANGE, LATENT_RANGE)
        return [shown(image), shown(decoded(latent)), *latent.tolist()]

    @guarded
    def decode_sliders(*values: float) -> np.ndarray:
        return shown(decoded(np.array(values, np.float32)))

    from_seed.click(start_from_seed, seed, [start, current, *sliders],
                    api_name=f"{key}_latent_from_seed")
    from_picture.click(start_from_picture, [upload, sketch], [start, current, *sliders],
                       api_name=f"{key}_latent_from_picture")
    gr.on([slider.release for slider in sliders],
          named(decode_sliders, [f"z{index}" for index in range(dimensions)]), sliders, current,
          api_name=f"{key}_latent_decode")

    gr.Markdown("Walk between two seeds' latent vectors (spherical interpolation).")
    with gr.Row():
        with gr.Column(scale=1):
            walk_inputs = [gr.Number(0, precision=0, minimum=0, label="from seed"),
                           gr.Number(1, precision=0, minimum=0, label="to seed"),
                           gr.Slider(3, 16, value=9, step=1, label="images along the walk")]
            walk_button = gr.Button("Walk", elem_id=f"{key}-walk")
        walk = gr.Image(label="walk", type="numpy", format="png", interactive=False,
                        height=ZOOMED_HEIGHT // 2, elem_classes=["pixels"], scale=3)

    @guarded
    def interpolate(seed_from: Any, seed_to: Any, count: Any) -> np.ndarray:
        from zoo.families.interpolation import slerp  # zoo.families imports TensorFlow

        count = _whole_number(count, "images along the walk", 2)
        if count > MAX_COUNT:
            raise refusal(f"images along the walk must be at most {MAX_COUNT}; got {count}.")
        latents = slerp(latent_of_seed(dimensions, seed_from),
                        latent_of_seed(dimensions, seed_to), np.linspace(0.0, 1.0, count))
        return shown(tile(model.decode(latents.astype(np.float32)), count))

    walk_button.click(interpolate, walk_inputs, walk, api_name=f"{key}_interpolate")


def _build_translate(model: Any, key: str) -> None:
    directions = translation_signatures(model)
    default = model.metadata.get("serving_default")
    default = default if default in directions else directions[0]
    shown_examples = drawn_examples(model.metadata)
    names = {direction: [name for name, _ in shown_examples.get(direction, [])]
             for direction in directions}
    gr.Markdown("Upload a picture or pick an example (drawn when the app starts, not taken "
                "from a data set); it is converted to the model's channels and resized to "
                "its image size, then translated. Both are shown at their own size.")
    with gr.Row():
        with gr.Column(scale=1):
            direction = gr.Radio(
                [(f"{name}: {model.signatures[name].description}", name)
                 for name in directions], value=default, label="direction",
                visible=len(directions) > 1)
            # The page offers the examples of the direction chosen; the handler checks the
            # name it is given against them (a choice of another direction is refused there).
            example = gr.Dropdown(names[default], value=(names[default] or [None])[0],
                                  allow_custom_value=True,
                                  label="example (used when no picture is uploaded)")
            upload = gr.File(label="upload a picture (JPEG or PNG)", type="filepath",
                             elem_id=f"{key}-upload")
            part = gr.Radio(list(PARTS), value="whole image",
                            label="part of the picture (a side-by-side pair: left or right)")
            button = gr.Button("Translate", variant="primary", elem_id=f"{key}-translate")
        # A frame that holds the image at its own size below the label.
        side = model_image_size(model, default)[0]
        frame = None if side is None else side + FRAME_MARGIN
        taken = gr.Image(label="input, as the model takes it", type="numpy", format="png",
                         interactive=False, height=frame, elem_classes=["native"],
                         elem_id=f"{key}-input")
        result = gr.Image(label="output", type="numpy", format="png", interactive=False,
                          height=frame, elem_classes=["native"], elem_id=f"{key}-translated")

    def switch(chosen: str) -> Any:
        return gr.update(choices=names.get(chosen, []), value=(names.get(chosen) or [None])[0])

    direction.change(switch, direction, example, api_visibility="private")

    @guarded
    def translate(chosen: str, example_name: str | None, path: str | None,
                  part_name: str) -> list:
        if chosen not in directions:
            raise refusal(f"direction must be one of {', '.join(directions)}; got {chosen!r}.")
        if part_name not in PARTS:
            raise refusal(f"part must be one of {', '.join(PARTS)}; got {part_name!r}.")
        height, width, channels = model_image_size(model, chosen)
        multiple = model.signatures[chosen].inputs[0].multiple_of
        if path:
            image = uploaded(path, channels, (height, width), multiple, PARTS[part_name])
            found = read_image(path, 1).shape[:2]
            if PARTS[part_name] != "whole":
                found = (found[0], found[1] // 2)
            elif height == width and found[1] == 2 * found[0]:
                gr.Warning(f"{Path(path).name} is twice as wide as high, like a side-by-side "
                           "pair (the pix2pix layout); to translate one half, choose it under "
                           "'part'.")
            if height is not None and found[0] * width != found[1] * height:
                gr.Warning(f"{Path(path).name} is {found[1]}x{found[0]}; resized to "
                           f"{width}x{height}, which changes its aspect ratio.")
        else:
            pictures = dict(shown_examples.get(chosen, []))
            if not pictures:
                raise refusal(f"{model.name} has no example pictures for {chosen}; upload a "
                               "picture (JPEG or PNG).")
            if example_name not in pictures:
                raise refusal(f"upload a picture, or pick an example of {chosen}: "
                               f"{', '.join(pictures)}; got {example_name!r}.")
            image = pictures[example_name]
            image = image[..., :1] if channels == 1 else (
                np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image)
            if height is not None and image.shape[:2] != (height, width):
                image = resize_image(image, height, width).numpy()
        output = model.call(chosen, image[None])[0]
        return [shown(image), shown(output)]

    button.click(translate, [direction, example, upload, part], [taken, result],
                 api_name=f"{key}_translate")


def _score_offered(model: Any) -> bool:
    return SCORE_SIGNATURE in model.signatures


def verdict_words(model: Any, verdict: dict[str, np.ndarray]) -> str:
    """The verdict on one scored picture, with where the typical data comes from."""
    record = model.score_quantiles
    outlier = bool(verdict["outlier"][0])
    return (f"{'OUTLIER' if outlier else 'typical'}: "
            f"{'above' if outlier else 'at or below'} the {THRESHOLD_PERCENTILE:g}th "
            f"percentile of {record['examples']} held-out scores ({record_source(record)}); "
            f"about 1% of typical pictures are flagged.")


def _build_score(model: Any, key: str) -> None:
    declaration = scoring_signature(model)
    output = declaration.outputs[0]
    height, width, channels = model_image_size(model, declaration.name)
    gr.Markdown(f"`{declaration.name}`: {declaration.description}. The recommended score, "
                f"`{output.name}`: {output.description}. Higher is more unusual; its "
                "percentile places it among the scores of held-out pictures of the kind the "
                "model was trained on.")
    with gr.Row():
        with gr.Column(scale=2):
            upload, sketch = picture_inputs(key)
            button = gr.Button("Score", variant="primary", elem_id=f"{key}-score")
        with gr.Column(scale=1):
            taken = gr.Image(label="the picture, as the model takes it", type="numpy",
                             format="png", interactive=False, height=ZOOMED_HEIGHT,
                             elem_classes=["pixels"])
            score = gr.Number(None, label=f"score ({output.name})", interactive=False)
            percentile = gr.Number(None, label="percentile among typical data",
                                   interactive=False)
            verdict = gr.Textbox(label="verdict", interactive=False)

    @guarded
    def score_picture(path: str | None, drawing: dict | None) -> list:
        image = picture(path, drawing, channels, (height, width))
        result = model.outlier_scores(image[None])
        return [shown(image), float(result["score"][0]),
                float(percentile_text(float(result["percentile"][0]))),
                verdict_words(model, result)]

    button.click(score_picture, [upload, sketch], [taken, score, percentile, verdict],
                 api_name=f"{key}_score")


PANELS = (Panel("Samples", _samples_offered, _build_samples),
          Panel("Latent space", _latent_offered, _build_latent),
          Panel("Translate", lambda model: bool(translation_signatures(model)),
                _build_translate),
          Panel("Outlier score", _score_offered, _build_score))
"""Every panel, in the order an export's tab shows those it offers."""


def offered(model: Any) -> list[Panel]:
    """The panels an export offers, from its signatures.

    Example:
        >>> import zoo
        >>> [panel.title for panel in offered(zoo.load("vae_mnist"))]
        ['Samples', 'Latent space', 'Outlier score']
    """
    return [panel for panel in PANELS if panel.offered(model)]
