"""The autoencoder family: a convolutional autoencoder (Hinton & Salakhutdinov 2006), sparse
with an L1 penalty on its code (`sparsity`) and denoising with Gaussian corruption of its
training inputs (`denoising`, Vincent et al. 2008); see `zoo.families.autoencoder.model`.

Example:
    >>> import zoo
    >>> model = zoo.build("ae_mnist", code_dim=2)
    >>> model.encode(tf.zeros([1, 28, 28, 1])).shape
    TensorShape([1, 2])
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from zoo.families.autoencoder.model import LOSSES, Autoencoder
from zoo.families.autoencoder.plots import plots, preview
from zoo.families.autoencoder.signatures import signatures
from zoo.families.base import Family

__all__ = ["FAMILY", "LOSSES", "Autoencoder", "preprocess"]


def preprocess(features: Mapping[str, tf.Tensor], seed: tf.Tensor) -> tf.Tensor:
    """A batch of named features -> what `Autoencoder.train_step` takes: the images as float32
    in [0, 1], not binarised (labels are not used).

    Example:
        >>> images = tf.constant([[[[0], [51]], [[102], [255]]]], tf.uint8)
        >>> batch = preprocess({"image": images, "label": tf.constant([3])}, tf.constant([0, 0]))
        >>> batch.dtype.name, [round(value, 3) for value in batch.numpy().ravel().tolist()]
        ('float32', [0.0, 0.2, 0.4, 1.0])
    """
    del seed  # deterministic; the corruption of a denoising model is drawn in train_step
    return tf.image.convert_image_dtype(features["image"], tf.float32)


FAMILY = Family(name="autoencoder", model_class=Autoencoder, optimizers=("optimizer",),
                preprocess=preprocess, signatures=signatures, preview=preview, plots=plots)
