"""Adversarial losses shared by every GAN-style model in the zoo (GAN, pix2pix, CycleGAN).

Every function returns a per-example loss of shape (batch,): discriminator
outputs with more than one value per example (a PatchGAN's map, say) are
averaged over their non-batch axes. The training step turns per-example losses
into the global-batch mean with `zoo.distributed.replica_mean`. Scores and
examples are cast to float32 first, so the losses are float32 under a mixed
precision policy too.

Discriminator outputs are unbounded scores (logits): D(x) = sigmoid(score) for
the losses that use probabilities.

| name | paper | discriminator minimises | generator minimises |
| --- | --- | --- | --- |
| `minimax` | Goodfellow et al. 2014, eq. 1 | -log D(x) - log(1 - D(G(z))) | log(1 - D(G(z))) |
| `non_saturating` | Goodfellow et al. 2014, sec. 3 | -log D(x) - log(1 - D(G(z))) | -log D(G(z)) |
| `least_squares` | Mao et al. 2017 (LSGAN), eq. 2, a=0 b=1 c=1 | (s(x) - 1)^2 / 2 + s(G(z))^2 / 2 | (s(G(z)) - 1)^2 / 2 |
| `hinge` | Lim & Ye 2017; Miyato et al. 2018, eq. 16-17 | max(0, 1 - s(x)) + max(0, 1 + s(G(z))) | -s(G(z)) |
| `wasserstein` | Gulrajani et al. 2017 (WGAN-GP), eq. 3 | s(G(z)) - s(x) + lambda GP | -s(G(z)) |

`wasserstein` is WGAN-GP only together with `gradient_penalty` (added by the
model, weight lambda = 10 in the paper).
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from zoo.errors import ConfigurationError

LOSSES = ("minimax", "non_saturating", "least_squares", "hinge", "wasserstein")


def _float32(values: tf.Tensor) -> tf.Tensor:
    """`values` as a float32 tensor, whatever floating type it came in (bfloat16, float16)."""
    return tf.cast(tf.convert_to_tensor(values), tf.float32)


def _per_example(values: tf.Tensor) -> tf.Tensor:
    """Mean over every axis but the batch axis; a (batch,) input is returned as is."""
    values = tf.convert_to_tensor(values)
    if values.shape.rank is not None and values.shape.rank <= 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def check_loss(name: str) -> str:
    """Returns `name` if it is a known adversarial loss, else raises a ValueError listing them."""
    if name not in LOSSES:
        raise ConfigurationError(f"Unknown adversarial loss {name!r}; choose one of "
                                 f"{', '.join(LOSSES)}.")
    return name


def discriminator_loss(name: str, real_scores: tf.Tensor, fake_scores: tf.Tensor) -> tf.Tensor:
    """The discriminator's (critic's) per-example loss.

    Args:
        name: one of `LOSSES`.
        real_scores: discriminator outputs on real examples, shape (batch, ...).
        fake_scores: outputs on generated examples, the same shape.

    Returns:
        Shape (batch,): the real term of example i plus the fake term of example i.

    Example:
        >>> float(discriminator_loss("hinge", [2.0], [-0.5])[0])
        0.5
    """
    check_loss(name)
    real, fake = _float32(real_scores), _float32(fake_scores)
    if name in ("minimax", "non_saturating"):
        # -log sigmoid(s) = softplus(-s) and -log(1 - sigmoid(s)) = softplus(s), stable for any s.
        return _per_example(tf.nn.softplus(-real)) + _per_example(tf.nn.softplus(fake))
    if name == "least_squares":
        return _per_example(0.5 * tf.square(real - 1.0)) + _per_example(0.5 * tf.square(fake))
    if name == "hinge":
        return _per_example(tf.nn.relu(1.0 - real)) + _per_example(tf.nn.relu(1.0 + fake))
    return _per_example(fake) - _per_example(real)


def generator_loss(name: str, fake_scores: tf.Tensor) -> tf.Tensor:
    """The generator's per-example loss, from the discriminator's outputs on its samples.

    Example:
        >>> round(float(generator_loss("non_saturating", [0.0])[0]), 4)  # -log(1/2)
        0.6931
    """
    check_loss(name)
    fake = _float32(fake_scores)
    if name == "minimax":
        # log(1 - sigmoid(s)) = -softplus(s)
        return _per_example(-tf.nn.softplus(fake))
    if name == "non_saturating":
        return _per_example(tf.nn.softplus(-fake))
    if name == "least_squares":
        return _per_example(0.5 * tf.square(fake - 1.0))
    return _per_example(-fake)


def gradient_penalty(critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor, fake: tf.Tensor,
                     weights: tf.Tensor) -> tf.Tensor:
    """WGAN-GP's per-example penalty (||grad_x critic(x_hat)||_2 - 1)^2 (Gulrajani et al. 2017, eq. 3).

    x_hat = w * real + (1 - w) * fake, with one weight w ~ U[0, 1] per example
    (Algorithm 1, line 4). The gradient is taken per example with respect to
    all of x_hat's non-batch entries.

    Args:
        critic: maps a batch of inputs to scores of shape (batch, ...).
        real: real examples, (batch, ...).
        fake: generated examples, the same shape.
        weights: interpolation weights, shape (batch,), drawn uniformly in [0, 1].

    Returns:
        Shape (batch,). Multiply by the penalty weight (10 in the paper).
    """
    real, fake = _float32(real), _float32(fake)
    weights = tf.reshape(tf.cast(weights, real.dtype),
                         tf.concat([[-1], tf.ones([tf.rank(real) - 1], tf.int32)], 0))
    interpolated = weights * real + (1.0 - weights) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        # Scores of different examples do not interact, so the gradient of their sum
        # holds each example's own gradient.
        scores = tf.reduce_sum(_float32(critic(interpolated)))
    gradients = tf.reshape(tape.gradient(scores, interpolated), [tf.shape(real)[0], -1])
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=1) + 1e-12)
    return tf.square(norms - 1.0)
