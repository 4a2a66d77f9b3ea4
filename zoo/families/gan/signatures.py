"""The GAN's serving signatures: generate (serving_default), sample, and sample_png (the same
images as one PNG grid); labels when conditional."""

from __future__ import annotations

import tensorflow as tf

from zoo.families.gan.model import GAN
from zoo.families.ranges import to_unit_range
from zoo.signature_graphs import png_grid_twin
from zoo.signatures import Signature, TensorInput

MAX_SAMPLE_COUNT = 4096


def signatures(model: GAN) -> list[Signature]:
    """`generate(latent[, labels])` and `sample(count, seed[, label])`, images NHWC in [0, 1];
    `sample_png(count, seed[, label])`, the images of `sample` as one PNG grid."""
    if len(model.data_shape) != 3:
        raise ValueError("Only image GANs are exported; this one makes "
                         f"{model.data_shape}-shaped data.")
    latent = TensorInput("latent", (None, model.latent_dim), "float32", "latent vectors z")
    count = TensorInput("count", (), "int32", "number of images to draw", 1, MAX_SAMPLE_COUNT)
    seed = TensorInput("seed", (), "int64", "random seed; the same seed gives the same images")

    def draw(count: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        return tf.random.stateless_normal(tf.stack([count, model.latent_dim]),
                                          tf.stack([tf.cast(seed, tf.int64), 0]))

    if not model.conditional:
        sample = Signature("sample", "images from latent vectors drawn from the seed",
                           (count, seed), ("images",), lambda count, seed: {
                               "images": to_unit_range(model.generate(draw(count, seed)))})
        return [
            Signature("generate", "images G(z) for latent vectors z ~ N(0, I)", (latent,),
                      ("images",),
                      lambda latent: {"images": to_unit_range(model.generate(latent))}),
            sample, png_grid_twin(sample),
        ]
    last = model.num_classes - 1
    labels = TensorInput("labels", (None,), "int32", f"class of each image, 0 to {last}", 0, last)
    label = TensorInput("label", (), "int32", f"class of the images, 0 to {last}", 0, last)
    sample = Signature("sample", "images of one class from latent vectors drawn from the seed",
                       (count, seed, label), ("images",),
                       lambda count, seed, label: {"images": to_unit_range(model.generate(
                           draw(count, seed), tf.fill(tf.reshape(count, [1]), label)))})
    return [
        Signature("generate", "images G(z, label) for latent vectors z ~ N(0, I) and classes",
                  (latent, labels), ("images",),
                  lambda latent, labels: {"images": to_unit_range(model.generate(latent, labels))}),
        sample, png_grid_twin(sample),
    ]
