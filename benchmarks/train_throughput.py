"""Training throughput of a zoo entry: its input pipeline, and its step against a float32 baseline.

Trains the entry's model as its recipe does (same architecture, optimizers,
preprocessing, global batch and `--precision`) and prints images per second,
each the median of several timed epochs after a warm-up epoch:

- `pipeline`: `fit()` on the `tf.data` stream the recipe uses (per-example
  seeded preprocessing, batching, prefetch) over real data;
- `in-memory`: `fit()` on one already-preprocessed batch repeated, so the input
  costs nothing (with the moving average of the weights updated after every step,
  when the entry keeps one, as its recipe does);
- `float32 baseline`: the same networks (the family's builders, under the
  float32 policy) trained the way the Keras and TensorFlow tutorials write it:
  a plain `@tf.function` step with `tf.GradientTape`, the entry's losses and
  Adam settings, on the same in-memory batch, in float32. The step makes the
  same forward and backward passes as the entry's `train_step` (the same
  update order and losses) and leaves out what the zoo adds around them:
  metrics, per-replica loss shares, CycleGAN's image pools, loss scaling.
  Each family keeps its step in its folder, as `step` of the optional module
  `zoo/families/<family>/baseline.py`; a family without that module is measured
  all the same, its baseline reported as n/a;
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
import importlib
import importlib.util
import itertools
import json
import statistics
import sys
import time
from typing import Any

from zoo.console import VERBOSE_HELP, quiet_script

# Before the imports below load TensorFlow: its start-up lines hidden unless --verbose
# (so they follow a call, which E402 would flag).
# ruff: noqa: E402
quiet_script()

import keras

from zoo.data import load_examples
from zoo.errors import ZooError
from zoo.evaluation.throughput import (StepBuilder, float32_baseline, images_per_second,
                                       interleaved)
from zoo.families import get_family
from zoo.precision import PRECISIONS, resolve_precision
from zoo.registry import ENTRIES, get_entry
from zoo.runtime.train import build_model, weight_average

# Where ../shared/data keeps each data set, and the split the shipped demos train on.
DEFAULT_DATA = {"mnist": ("../shared/data/mnist", "test[:8000]"),
                "mnist_inpaint": ("../shared/data/mnist", "test[:8000]"),
                "mnist_restyle": ("../shared/data/mnist", "test[:8000]"),
                "facades": ("../shared/data/facades_crops", "train"),
                "horse2zebra": ("../shared/data/horse2zebra", "train")}


# Model config values the benchmark can override, as the recipes' flags do.
MODEL_FLAGS = ("image_size", "filters", "residual_blocks")


def baseline_step(family: str) -> StepBuilder | None:
    """The family's tutorial-style float32 step: `step` of its optional module
    `zoo.families.<family>.baseline`. A family without that module is measured without a
    baseline: its baseline figures are reported as n/a."""
    name = f"zoo.families.{family}.baseline"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name).step


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
    # Read by quiet_script() from the command line, before the parser runs.
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
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

    make_step = baseline_step(entry.family)
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
    # The moving average of the weights that the recipe keeps, updated after every step.
    average = weight_average(entry, model)
    callbacks = [] if average is None else [average]
    rates["in_memory"], rates["float32_baseline"] = interleaved(
        model, baseline, batch, args.steps, args.runs, batch_size, callbacks)
    if not args.skip_pipeline:
        rates["pipeline"] = images_per_second(model, stream, args.steps, args.runs, batch_size,
                                              callbacks)
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
