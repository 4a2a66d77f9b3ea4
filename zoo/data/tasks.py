"""Tasks with a known answer, derived from MNIST, so a translation model can be scored exactly.

Inpainting (the pix2pix task `pix2pix_mnist_inpaint`): the digit is padded to
32x32 (2 pixels a side) and the lower half of the padded image, rows 16 to 31,
which hold the digit's lower 14 rows, is replaced by a flat 0.5; the target is
the whole padded digit. The model must draw the missing half.
"""

from __future__ import annotations

from typing import Any, Mapping

import tensorflow as tf

INPAINT_SIZE = 32
INPAINT_FILL = 0.5
INPAINT_FIRST_BLANK_ROW = 16


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
