"""Tasks with a known answer, derived from MNIST, so a translation model can be scored exactly.

Inpainting (the pix2pix task `pix2pix_mnist_inpaint`): the digit is padded to
32x32 (2 pixels a side) and the lower half of the padded image, rows 16 to 31,
which hold the digit's lower 14 rows, is replaced by a flat 0.5; the target is
the whole padded digit. The model must draw the missing half.

Restyling (the CycleGAN task `cyclegan_mnist_restyle`): a fixed transform `T`
the model never sees turns a digit into another style: its strokes thickened
by a 3x3 dilation, then inverted (dark strokes on a white page) and tinted
(the strokes take `RESTYLE_INK`). Domain A is plain digits as RGB
(`plain_rgb`), domain B other digits through `T` (`restyled`); since `T` is
known, the right answer `T(a)` exists for every held-out digit `a`.
"""

from __future__ import annotations

from typing import Any, Mapping

import tensorflow as tf

INPAINT_SIZE = 32
INPAINT_FILL = 0.5
INPAINT_FIRST_BLANK_ROW = 16
RESTYLE_DILATION = 3
RESTYLE_INK = (0.1, 0.2, 0.6)
"""The restyled strokes' RGB colour (dark blue) on a white page."""


def inpainting_pair(batch: Mapping[str, Any]) -> dict[str, tf.Tensor]:
    """A batch of MNIST `image` (uint8, 28x28x1) and `label` -> `input`, `target`, `label`.

    Example:
        >>> import numpy as np
        >>> pair = inpainting_pair({"image": np.full((1, 28, 28, 1), 255, np.uint8),
        ...                         "label": np.array([3])})
        >>> masked, whole = pair["input"], pair["target"]
        >>> masked.shape, float(masked[0, 20, 16, 0]), float(whole[0, 20, 16, 0])
        (TensorShape([1, 32, 32, 1]), 0.5, 1.0)
    """
    image = tf.image.convert_image_dtype(tf.convert_to_tensor(batch["image"]), tf.float32)
    pad = (INPAINT_SIZE - image.shape[1]) // 2
    target = tf.pad(image, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    rows = tf.range(INPAINT_SIZE)[None, :, None, None]
    masked = tf.where(rows >= INPAINT_FIRST_BLANK_ROW, tf.constant(INPAINT_FILL), target)
    return {"input": masked, "target": target, "label": batch["label"]}


def _unit(images: Any) -> tf.Tensor:
    return tf.image.convert_image_dtype(tf.convert_to_tensor(images), tf.float32)


def plain_rgb(batch: Mapping[str, Any]) -> dict[str, tf.Tensor]:
    """A batch of MNIST `image` (uint8 NHW1) and `label` -> the digits as float RGB in [0, 1]."""
    return {"image": tf.image.grayscale_to_rgb(_unit(batch["image"])), "label": batch["label"]}


def restyle(images: Any) -> tf.Tensor:
    """`T`: MNIST digits (uint8 or float in [0, 1], NHW1) -> restyled float RGB in [0, 1].

    Each pixel's ink is the 3x3 maximum of the digit around it (a dilation, which
    thickens every stroke by a pixel a side); the result is a white page with the
    ink in `RESTYLE_INK`: `1 - ink * (1 - RESTYLE_INK)` per channel.

    Example:
        >>> import numpy as np
        >>> digit = np.zeros((1, 5, 5, 1), np.uint8); digit[0, 2, 2, 0] = 255
        >>> styled = restyle(digit).numpy()
        >>> styled.shape, [round(float(v), 2) for v in styled[0, 1, 1]], styled[0, 0, 0].tolist()
        ((1, 5, 5, 3), [0.1, 0.2, 0.6], [1.0, 1.0, 1.0])
    """
    ink = tf.nn.max_pool2d(_unit(images), RESTYLE_DILATION, strides=1, padding="SAME")
    return 1.0 - ink * (1.0 - tf.constant(RESTYLE_INK, tf.float32))


def restyled(batch: Mapping[str, Any]) -> dict[str, tf.Tensor]:
    """A batch of MNIST `image` and `label` -> the digits through `restyle` (`T`), as `image`."""
    return {"image": restyle(batch["image"]), "label": batch["label"]}
