"""Training throughput of a zoo entry: its input pipeline, and its step against a float32 baseline.

Trains the entry's model as its recipe does (same architecture, optimizers,
preprocessing, global batch and `--precision`) and prints images per second,
each the median of several timed epochs after a warm-up epoch:

- `pipeline`: `fit()` on the `tf.data` stream the recipe uses (per-example
  seeded preprocessing, batching, prefetch) over real data;
- `in-memory`: `fit()` on one already-preprocessed batch repeated, so the input
  costs nothing;
- `float32 baseline`: the same networks (the family's builders, under the
  float32 policy) trained the way the Keras and TensorFlow tutorials write it:
  a plain `@tf.function` step with `tf.GradientTape`, the entry's losses and
  Adam settings, on the same in-memory batch, in float32. The step makes the
  same forward and backward passes as the entry's `train_step` (the same
  update order and losses) and leaves out what the zoo adds around them:
  metrics, per-replica loss shares, CycleGAN's image pools, loss scaling
  (`BASELINE_STEPS`). A family without such a step is measured all the same,
  its baseline reported as n/a;
- `pipeline alone`: the stream iterated without training.

The in-memory and baseline epochs alternate, so both see the same load on a
shared machine. The pipeline is not the bottleneck when `pipeline / in-memory`
is close to 1; `in-memory / float32 baseline` is what the entry's step (with
`--precision auto`: mixed bfloat16 on CPUs with bfloat16 instructions, mixed
float16 on GPUs) gains over the tutorial's float32 step. Reads ../shared/data
by default (MNIST: the first 8,000 test images; facades: the training crops;
horse2zebra: trainA/trainB):

    python benchmarks/train_throughput.py --entry vae_mnist
    python benchmarks/train_throughput.py --entry pix2pix_facades --image-size 128
    python benchmarks/train_throughput.py --entry cyclegan_horse2zebra --image-size 128 \\
        --filters 32 --residual-blocks 6
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from typing import Any, Callable

import keras
import tensorflow as tf

from zoo.data import load_examples
from zoo.errors import ZooError
from zoo.evaluation.throughput import (StepBuilder, float32_baseline, images_per_second,
                                       interleaved)
from zoo.families import get_family
from zoo.losses import discriminator_loss, generator_loss
from zoo.precision import PRECISIONS, resolve_precision
from zoo.registry import ENTRIES, get_entry
from zoo.runtime.train import build_model

# Where ../shared/data keeps each data set, and the split the shipped demos train on.
DEFAULT_DATA = {"mnist": ("../shared/data/mnist", "test[:8000]"),
                "mnist_inpaint": ("../shared/data/mnist", "test[:8000]"),
                "mnist_restyle": ("../shared/data/mnist", "test[:8000]"),
                "facades": ("../shared/data/facades_crops", "train"),
                "horse2zebra": ("../shared/data/horse2zebra", "train")}


# Model config values the benchmark can override, as the recipes' flags do.
MODEL_FLAGS = ("image_size", "filters", "residual_blocks")


# The float32 baselines: each family's update written as a plain tutorial step. Each takes the
# float32-built model (for its networks and settings) and one Adam per network, and returns the
# step as a function of a preprocessed batch.

def _vae_step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    optimizer, variables = optimizers["optimizer"], model.trainable_variables

    def step(images: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            mean, log_variance = model.encoder(images, training=True)
            latent = mean + tf.exp(0.5 * log_variance) * tf.random.normal(tf.shape(mean))
            logits = model.decoder(latent, training=True)
            reconstruction = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=images, logits=logits), axis=[1, 2, 3])
            kl = -0.5 * tf.reduce_sum(
                1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=1)
            loss = tf.reduce_mean(reconstruction + model.beta * kl)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
    return step


def _gan_step(model: keras.Model, optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    generator, discriminator = model.generator, model.discriminator
    d_optimizer, g_optimizer = (optimizers["discriminator_optimizer"],
                                optimizers["generator_optimizer"])

    def step(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        def inputs(data):
            return [data, labels] if model.conditional else data

        noise = tf.random.normal([tf.shape(images)[0], model.latent_dim])
        with tf.GradientTape() as tape:
            fake = generator(inputs(noise), training=True)
            d_loss = tf.reduce_mean(discriminator_loss(
                model.loss_name, discriminator(inputs(images), training=True),
                discriminator(inputs(fake), training=True)))
        variables = discriminator.trainable_variables
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        noise = tf.random.normal([tf.shape(images)[0], model.latent_dim])
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(generator_loss(model.loss_name, discriminator(
                inputs(generator(inputs(noise), training=True)), training=True)))
        variables = generator.trainable_variables
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return g_loss
    return step


def _pix2pix_step(model: keras.Model,
                  optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    generator, discriminator = model.generator, model.discriminator
    d_optimizer, g_optimizer = (optimizers["discriminator_optimizer"],
                                optimizers["generator_optimizer"])

    def step(batch: dict[str, tf.Tensor]) -> tf.Tensor:
        source, target = batch["input"], batch["target"]
        with tf.GradientTape() as g_tape:
            fake = generator(source, training=True)
            with tf.GradientTape() as d_tape:
                d_loss = 0.5 * tf.reduce_mean(discriminator_loss(
                    model.loss_name, discriminator([source, target], training=True),
                    discriminator([source, tf.stop_gradient(fake)], training=True)))
            variables = discriminator.trainable_variables
            d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, variables), variables))
            gan = tf.reduce_mean(generator_loss(
                model.loss_name, discriminator([source, fake], training=True)))
            g_loss = model.lambda_gan * gan + model.lambda_l1 * tf.reduce_mean(
                tf.abs(target - fake))
        variables = generator.trainable_variables
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, variables), variables))
        return g_loss
    return step


def _cyclegan_step(model: keras.Model,
                   optimizers: dict[str, keras.optimizers.Optimizer]) -> Callable:
    from zoo.families.cyclegan.model import REFERENCE_SCALE

    g_ab, g_ba = model.generator_ab, model.generator_ba
    d_a, d_b = model.discriminator_a, model.discriminator_b
    scale = REFERENCE_SCALE[model.loss_name]
    identity_weight = model.lambda_cycle * model.lambda_identity

    def step(batch: dict[str, tf.Tensor]) -> tf.Tensor:
        real_a, real_b = batch["a"], batch["b"]
        with tf.GradientTape() as tape:
            fake_b, fake_a = g_ab(real_a, training=True), g_ba(real_b, training=True)
            cycled_a, same_a = tf.split(g_ba(tf.concat([fake_b, real_a], 0), training=True), 2)
            cycled_b, same_b = tf.split(g_ab(tf.concat([fake_a, real_b], 0), training=True), 2)
            g_loss = (scale * tf.reduce_mean(generator_loss(model.loss_name,
                                                            d_b(fake_b, training=True)))
                      + scale * tf.reduce_mean(generator_loss(model.loss_name,
                                                              d_a(fake_a, training=True)))
                      + model.lambda_cycle * (tf.reduce_mean(tf.abs(cycled_a - real_a))
                                              + tf.reduce_mean(tf.abs(cycled_b - real_b)))
                      + identity_weight * (tf.reduce_mean(tf.abs(same_a - real_a))
                                           + tf.reduce_mean(tf.abs(same_b - real_b))))
        variables = g_ab.trainable_variables + g_ba.trainable_variables
        optimizers["generator_optimizer"].apply_gradients(
            zip(tape.gradient(g_loss, variables), variables))
        with tf.GradientTape() as tape:
            d_loss = 0.0
            for discriminator, real, fake in ((d_a, real_a, fake_a), (d_b, real_b, fake_b)):
                real_scores, fake_scores = tf.split(
                    discriminator(tf.concat([real, tf.stop_gradient(fake)], 0), training=True), 2)
                d_loss += 0.5 * scale * tf.reduce_mean(
                    discriminator_loss(model.loss_name, real_scores, fake_scores))
        variables = d_a.trainable_variables + d_b.trainable_variables
        optimizers["discriminator_optimizer"].apply_gradients(
            zip(tape.gradient(d_loss, variables), variables))
        return g_loss
    return step


BASELINE_STEPS: dict[str, StepBuilder] = {
    "vae": _vae_step, "gan": _gan_step, "pix2pix": _pix2pix_step, "cyclegan": _cyclegan_step}
"""The families with a tutorial-style step. A family missing here is measured without a
baseline: its baseline figures are reported as n/a."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--entry", choices=sorted(ENTRIES), default="vae_mnist")
    parser.add_argument("--data-dir", default=None, help="default: the data set's folder in "
                        "../shared/data")
    parser.add_argument("--split", default=None, help="default: test[:8000] for MNIST, train "
                        "for the folder data sets")
    parser.add_argument("--image-size", type=int, default=None,
                        help="image size of the translation entries (default: the entry's)")
    parser.add_argument("--filters", type=int, default=None,
                        help="filters of the translation entries (default: the entry's)")
    parser.add_argument("--residual-blocks", type=int, default=None,
                        help="residual blocks of CycleGAN entries (default: the entry's)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the entry's")
    parser.add_argument("--steps", type=int, default=30, help="steps per timed epoch")
    parser.add_argument("--runs", type=int, default=5, help="timed epochs (after one warm-up)")
    parser.add_argument("--jit-compile", action="store_true", help="XLA-compile the step")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="the entry's training precision, as the recipes' flag (the "
                             "baseline is float32)")
    parser.add_argument("--skip-pipeline", action="store_true",
                        help="time only the in-memory step and the float32 baseline")
    args = parser.parse_args(argv)
    for name in ("batch_size", "steps", "runs", *MODEL_FLAGS):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive; got {value}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    entry = get_entry(args.entry)
    family = get_family(entry.family)
    batch_size = args.batch_size or entry.batch_size
    data_dir, split = DEFAULT_DATA.get(entry.data.dataset, (None, entry.data.train_split))
    config = dict(entry.model_config)
    for key in MODEL_FLAGS:
        if getattr(args, key) is None:
            continue
        flag = f"--{key.replace('_', '-')}"
        if key not in config:
            print(f"error: {entry.name} has no {key}; drop {flag}.", file=sys.stderr)
            return 2
        config[key] = getattr(args, key)
    try:
        examples = load_examples(entry.data.dataset, args.split or split,
                                 args.data_dir or data_dir)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    precision = resolve_precision(args.precision)
    stream, _ = examples.stream(batch_size=batch_size, seed=0, preprocess=family.preprocess,
                                image_size=config.get("image_size"), augment=entry.data.augment)

    make_step = BASELINE_STEPS.get(entry.family)
    baseline = None if make_step is None else float32_baseline(
        entry, config, args.steps, 2 * (args.runs + 1), make_step)
    print(f"{entry.name}: global batch {batch_size}, {args.steps} steps x {args.runs} timed "
          f"epochs after 1 warm-up, precision {precision} "
          f"({'baseline float32' if baseline else 'no float32 baseline'}), "
          f"jit_compile={args.jit_compile}, data: {examples.description}", flush=True)
    rates: dict[str, list[float] | None] = {}
    batch = next(iter(stream))
    keras.utils.set_random_seed(0)
    # One model for both of its measurements: the speed of a step does not depend on the weights.
    model = build_model(entry, config, args.steps, 2 * (args.runs + 1), args.jit_compile, seed=0,
                        precision=precision)
    rates["in_memory"], rates["float32_baseline"] = interleaved(
        model, baseline, batch, args.steps, args.runs, batch_size)
    if not args.skip_pipeline:
        rates["pipeline"] = images_per_second(model, stream, args.steps, args.runs, batch_size)
        alone = []
        iterator = iter(stream)
        next(iterator)
        for _ in range(args.runs):
            start = time.perf_counter()
            for _ in itertools.islice(iterator, args.steps):
                pass
            alone.append(args.steps * batch_size / (time.perf_counter() - start))
        rates["pipeline_alone"] = alone

    # A family without a tutorial-style step has no baseline: its figures are None (n/a).
    medians = {name: None if values is None else statistics.median(values)
               for name, values in rates.items()}
    labels = {"pipeline": "pipeline", "in_memory": "in-memory",
              "float32_baseline": "float32 baseline", "pipeline_alone": "pipeline alone"}
    for name in ("pipeline", "in_memory", "float32_baseline", "pipeline_alone"):
        if name not in rates:
            continue
        if rates[name] is None:
            print(f"{labels[name]:<17} {'n/a':>10}  (the {entry.family} family has no "
                  "tutorial-style step)")
        else:
            runs = ", ".join(f"{value:.2f}" for value in rates[name])
            print(f"{labels[name]:<17} {medians[name]:>10.2f} images/s  (runs: {runs})")
    result: dict[str, Any] = {name: None if value is None else round(value, 3)
                              for name, value in medians.items()}
    ratio = None if baseline is None else medians["in_memory"] / medians["float32_baseline"]
    result["ratio_in_memory_to_float32_baseline"] = None if ratio is None else round(ratio, 3)
    print(f"in-memory ({precision}) / float32 baseline = "
          f"{'n/a' if ratio is None else format(ratio, '.3f')}")
    if "pipeline" in rates:
        result["ratio_pipeline_to_in_memory"] = round(medians["pipeline"] / medians["in_memory"], 3)
        print(f"pipeline / in-memory = {result['ratio_pipeline_to_in_memory']:.3f}")
    print(json.dumps({"entry": entry.name, "batch_size": batch_size, "precision": precision,
                      **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
