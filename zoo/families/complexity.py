"""Input complexity: an image's codelength under a generic lossless compressor, and the
outlier score it corrects.

Deep generative models give inputs simpler than their data (a constant image,
a blank page, a smooth gradient) a higher likelihood than the data itself
(Nalisnick et al., "Do deep generative models know what they don't know?",
ICLR 2019): the likelihood is dominated by how compressible an input is, not
by how much it looks like the data. Serra et al., "Input complexity and
out-of-distribution detection with likelihood-based generative models" (ICLR
2020), correct for it with a universal code: an input's codelength L(x) under a
generic compressor estimates its complexity, and

    S(x) = -log2 p(x) - L(x)

(bits) compares the model's code with the generic one, a likelihood ratio
against a model of every image. A simple input is short under both codes, so
it is no longer typical merely for being simple; an input of the data's domain
is much shorter under the model than under PNG. Higher is more unusual.

The compressor is PNG (`tf.io.encode_png`, a core TensorFlow op), so the score
is computed in the served graph itself: a TF Serving client gets it too.
Images are quantised first to the grey levels the model describes (2 for a
Bernoulli model's binary pixels, 256 for 8-bit grey).
"""

from __future__ import annotations

import math

import tensorflow as tf

__all__ = ["complexity_bits", "complexity_corrected", "quantised"]


def _check_levels(levels: int) -> None:
    if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 256:
        raise ValueError(f"levels must be an integer from 2 to 256; got {levels!r}")


def quantised(images: tf.Tensor, levels: int) -> tf.Tensor:
    """Images in [0, 1] as uint8 pixels with `levels` evenly spaced grey levels from 0 to 255.

    Each value goes to the nearest level, halves upwards: with levels=2 a pixel
    is 255 from 0.5 up and 0 below (a binary image, as a Bernoulli model's
    pixels); levels=256 is 8-bit grey.

    Example:
        >>> quantised(tf.constant([0.0, 0.49, 0.5, 1.0]), 2).numpy().tolist()
        [0, 0, 255, 255]
        >>> quantised(tf.constant([0.2, 0.7]), 256).numpy().tolist()
        [51, 179]
    """
    _check_levels(levels)
    images = tf.clip_by_value(tf.cast(images, tf.float32), 0.0, 1.0)
    steps = tf.floor(images * (levels - 1) + 0.5)
    return tf.cast(tf.round(steps * (255.0 / (levels - 1))), tf.uint8)


def complexity_bits(images: tf.Tensor, levels: int) -> tf.Tensor:
    """Per-example codelength L(x) in bits of each image under PNG: a generic compressor's
    estimate of its complexity (Serra et al. 2020).

    Each image of the batch is quantised to `levels` grey levels (`quantised`),
    encoded by `tf.io.encode_png` at its default compression, and measured:
    8 bits per byte of the PNG file, header included. The header is the same for
    every image of a shape, so it shifts every score alike and changes no ranking.

    Args:
        images: NHWC float images in [0, 1]; 1 or 3 channels.
        levels: grey levels per channel, 2 to 256 (a Python int: it shapes the graph).

    Returns:
        float32 of shape (batch,).

    Example:
        >>> import numpy as np
        >>> blank = np.zeros((1, 28, 28, 1), "float32")
        >>> noise = np.random.default_rng(0).uniform(size=(1, 28, 28, 1)).astype("float32")
        >>> bits = complexity_bits(tf.constant(np.concatenate([blank, noise])), 256).numpy()
        >>> bool(bits[0] < 1000 < 6000 < bits[1])
        True
    """
    pixels = quantised(images, levels)
    encoded = tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)
    return 8.0 * tf.cast(tf.strings.length(encoded), tf.float32)


def complexity_corrected(nll_nats: tf.Tensor, images: tf.Tensor, levels: int) -> tf.Tensor:
    """S(x) = -log2 p(x) - L(x): a model's negative log-likelihood of each image, in bits,
    minus the image's PNG codelength (`complexity_bits`); Serra et al. 2020, eq. 2.

    Higher is more unusual. A likelihood score alone calls inputs simpler than the
    data typical (Nalisnick et al. 2019); subtracting a generic compressor's
    codelength removes the part of the likelihood that only measures how
    compressible an input is.

    Args:
        nll_nats: per-example -log p(x) (or a bound on it, e.g. the negative ELBO)
            in nats, shape (batch,).
        images: the images it was computed on, NHWC float in [0, 1].
        levels: grey levels the model describes: 2 for binary pixels, 256 for 8-bit.

    Returns:
        float32 of shape (batch,), in bits.

    Example:
        >>> import numpy as np
        >>> images = tf.zeros((2, 8, 8, 1))
        >>> nll = tf.constant([10.0, 20.0])
        >>> scores = complexity_corrected(nll, images, 2).numpy()
        >>> round(float(scores[1] - scores[0]), 3)  # 10 nats more is 14.427 bits more
        14.427
    """
    bits = tf.cast(nll_nats, tf.float32) / math.log(2.0)
    return bits - complexity_bits(images, levels)
