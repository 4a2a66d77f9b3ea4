"""The example pictures `zoo demo` offers a translation model, made when the app starts:
nothing is downloaded and no data set is read.

They are drawn, not photographed: digits rendered from matplotlib's own font and centred as
MNIST centres its digits (for the MNIST tasks, then put through the task's own transform,
`zoo.data.tasks`), a facade label map in the colours of the CMP Facades maps, and a cartoon
horse and zebra on a meadow. They show what a model does with an input of the kind it was
trained on; uploaded pictures show the rest.

The examples of an export follow from the data set it was trained on (`training.dataset` in
its `zoo.json`), one list per translation signature, since a data set fixes what each
direction takes (`a_to_b` takes domain A).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

Example = tuple[str, np.ndarray]
"""A name to show and an image, float32 (height, width, channels) in [0, 1]."""

DIGIT_SIZE = 28
DIGIT_BOX = 20
"""MNIST's digits fit a 20x20 box, centred by their centre of mass in 28x28."""
SHOWN_DIGITS = (0, 2, 3, 5, 7, 8)

FACADE_COLOURS = {"background": (0, 0, 216), "facade": (0, 40, 248), "window": (0, 124, 248),
                  "sill": (64, 224, 232), "cornice": (248, 76, 0), "shop": (192, 248, 56)}
"""RGB colours of the classes drawn in a facade label map, as the CMP Facades maps colour
them (measured from their JPEGs, so within a few levels)."""


@functools.lru_cache(maxsize=None)
def rendered_digit(digit: int) -> np.ndarray:
    """A digit rendered from matplotlib's DejaVu Sans Bold as an MNIST-like image: uint8
    (28, 28, 1), white on black, scaled to fit 20x20 and centred by its centre of mass.

    Example:
        >>> image = rendered_digit(7)
        >>> image.shape, image.dtype.name, int(image.max()), int(image[0].max())
        ((28, 28, 1), 'uint8', 255, 0)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=(1.2, 1.2), dpi=100, facecolor="black")
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, str(digit), color="white", fontsize=72, fontweight="bold",
                family="DejaVu Sans", ha="center", va="center")
    figure.canvas.draw()
    ink = np.asarray(figure.canvas.buffer_rgba())[..., 0]
    rows, columns = np.nonzero(ink > 32)
    ink = ink[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    scale = DIGIT_BOX / max(ink.shape)
    height, width = (max(1, round(side * scale)) for side in ink.shape)
    small = np.asarray(Image.fromarray(ink).resize((width, height), Image.LANCZOS), np.float64)
    weights = small / small.sum()
    centre_row = (weights.sum(axis=1) * np.arange(height)).sum()
    centre_column = (weights.sum(axis=0) * np.arange(width)).sum()
    top = int(np.clip(round(DIGIT_SIZE / 2 - centre_row), 0, DIGIT_SIZE - height))
    left = int(np.clip(round(DIGIT_SIZE / 2 - centre_column), 0, DIGIT_SIZE - width))
    image = np.zeros((DIGIT_SIZE, DIGIT_SIZE, 1), np.uint8)
    image[top:top + height, left:left + width, 0] = np.clip(np.round(small), 0, 255)
    return image


def _digits() -> np.ndarray:
    return np.stack([rendered_digit(digit) for digit in SHOWN_DIGITS])


def _digit_examples(images: Any, what: str) -> list[Example]:
    return [(f"digit {digit} ({what})", np.asarray(image, np.float32))
            for digit, image in zip(SHOWN_DIGITS, images)]


def _inpainting() -> dict[str, list[Example]]:
    from zoo.data.tasks import inpainting_pair

    masked = inpainting_pair({"image": _digits(), "label": np.array(SHOWN_DIGITS)})["input"]
    return {"translate": _digit_examples(masked.numpy(), "rendered, lower half blanked")}


def _restyling() -> dict[str, list[Example]]:
    from zoo.data.tasks import plain_rgb, restyle

    plain = plain_rgb({"image": _digits(), "label": np.array(SHOWN_DIGITS)})["image"]
    return {"a_to_b": _digit_examples(plain.numpy(), "rendered, plain"),
            "b_to_a": _digit_examples(restyle(_digits()).numpy(), "rendered, restyled")}


def facade_label_map(size: int = 128, floors: int = 4, bays: int = 3) -> np.ndarray:
    """A drawn facade label map: a facade of `floors` x `bays` windows with sills, cornices
    between the floors and a shop front below, on the background colour; float32 (size,
    size, 3) in [0, 1].

    Example:
        >>> facade_label_map(64).shape
        (64, 64, 3)
    """
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (size, size), FACADE_COLOURS["background"])
    draw = ImageDraw.Draw(picture)
    unit = size / 32
    left, right, top = round(3 * unit), round(29 * unit), round(3 * unit)
    draw.rectangle([left, top, right, size - 1], fill=FACADE_COLOURS["facade"])
    shop_top = round(25 * unit)
    floor_height = (shop_top - top) / floors
    bay_width = (right - left) / bays
    for floor in range(floors):
        y = top + floor * floor_height
        draw.rectangle([left, round(y), right, round(y + unit)], fill=FACADE_COLOURS["cornice"])
        for bay in range(bays):
            x = left + bay * bay_width
            window = [round(x + 0.3 * bay_width), round(y + 0.3 * floor_height),
                      round(x + 0.7 * bay_width), round(y + 0.85 * floor_height)]
            draw.rectangle(window, fill=FACADE_COLOURS["window"])
            draw.rectangle([window[0] - 1, window[3], window[2] + 1, window[3] + round(unit)],
                           fill=FACADE_COLOURS["sill"])
    draw.rectangle([left, shop_top, right, size - 1], fill=FACADE_COLOURS["shop"])
    return np.asarray(picture, np.float32) / 255.0


def meadow_animal(size: int = 128, striped: bool = False) -> np.ndarray:
    """A cartoon horse (brown) or zebra (`striped`: black and white) standing on a meadow
    under a blue sky, side on; float32 (size, size, 3) in [0, 1].

    Example:
        >>> meadow_animal(64, striped=True).shape
        (64, 64, 3)
    """
    from PIL import Image, ImageDraw

    unit = size / 32
    sky, grass = (140, 185, 230), (80, 135, 55)
    picture = Image.new("RGB", (size, size), sky)
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, round(20 * unit), size, size], fill=grass)

    def box(x0: float, y0: float, x1: float, y1: float) -> list[int]:
        return [round(x0 * unit), round(y0 * unit), round(x1 * unit), round(y1 * unit)]

    # One silhouette: body, neck, head, four legs and a tail; a mask of it for the stripes.
    mask = Image.new("L", (size, size), 0)
    shape = ImageDraw.Draw(mask)
    shape.ellipse(box(8, 12, 23, 19), fill=255)
    shape.polygon([(round(20 * unit), round(14 * unit)), (round(24 * unit), round(7 * unit)),
                   (round(27 * unit), round(8 * unit)), (round(23 * unit), round(16 * unit))],
                  fill=255)
    shape.ellipse(box(23, 6, 29, 10), fill=255)
    for x in (9, 12, 18, 21):
        shape.rectangle(box(x, 17, x + 1.6, 26), fill=255)
    shape.polygon([(round(8 * unit), round(13 * unit)), (round(5 * unit), round(20 * unit)),
                   (round(6.5 * unit), round(20 * unit)), (round(9 * unit), round(15 * unit))],
                  fill=255)
    if striped:
        coat = Image.new("RGB", (size, size), (240, 240, 235))
        stripes = ImageDraw.Draw(coat)
        for x in range(0, size, max(2, round(1.5 * unit))):
            if (x // max(2, round(1.5 * unit))) % 2:
                stripes.rectangle([x, 0, x + round(0.75 * unit), size], fill=(20, 20, 20))
    else:
        coat = Image.new("RGB", (size, size), (125, 78, 40))
    picture.paste(coat, (0, 0), mask)
    return np.asarray(picture, np.float32) / 255.0


def _facades() -> dict[str, list[Example]]:
    return {"translate": [("label map (drawn): 4 floors, 3 bays", facade_label_map()),
                          ("label map (drawn): 3 floors, 4 bays", facade_label_map(floors=3,
                                                                                   bays=4))]}


def _horse2zebra() -> dict[str, list[Example]]:
    return {"a_to_b": [("horse (drawn)", meadow_animal())],
            "b_to_a": [("zebra (drawn)", meadow_animal(striped=True))]}


MAKERS: dict[str, Callable[[], dict[str, list[Example]]]] = {
    "mnist_inpaint": _inpainting, "mnist_restyle": _restyling, "facades": _facades,
    "horse2zebra": _horse2zebra}
"""The example makers, by the data set an export was trained on."""


def examples(metadata: dict) -> dict[str, list[Example]]:
    """The example inputs of an export, by translation signature: none for a data set
    without a maker (uploads still work).

    Args:
        metadata: the export's `zoo.json` (`zoo.load(...).metadata`).

    Example:
        >>> import zoo
        >>> sorted(examples(zoo.load("cyclegan_mnist_restyle").metadata))
        ['a_to_b', 'b_to_a']
    """
    maker = MAKERS.get(metadata.get("training", {}).get("dataset"))
    return maker() if maker else {}
