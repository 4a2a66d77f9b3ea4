"""Training throughput of a zoo entry: through the real input pipeline vs. in-memory tensors.

Trains the entry's model as its recipe does (same architecture, optimizers,
preprocessing and global batch) and prints images per second, each the median
of several timed epochs after a warm-up epoch:

- `pipeline`: `fit()` on the `tf.data` stream the recipe uses (per-example
  seeded preprocessing, batching, prefetch) over real data;
- `in-memory`: `fit()` on one already-preprocessed batch repeated, so the input
  costs nothing;
- `pipeline alone`: the stream iterated without training.

The pipeline is not the bottleneck when `pipeline / in-memory` is close to 1.
Reads ../shared/data by default (MNIST: the first 8,000 test images; facades:
the training crops):

    python benchmarks/train_throughput.py --entry vae_mnist
    python benchmarks/train_throughput.py --entry pix2pix_facades --image-size 128
    python benchmarks/train_throughput.py --entry cyclegan_horse2zebra --image-size 128 \
        --filters 32 --residual-blocks 6
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time

import keras
import tensorflow as tf

from zoo.data import load_examples
from zoo.errors import ZooError
from zoo.families import get_family
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


class EpochTimer(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.start)


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
    args = parser.parse_args(argv)
    for name in ("batch_size", "steps", "runs", *MODEL_FLAGS):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive; got {value}")
    return args


def _images_per_second(model: keras.Model, dataset: tf.data.Dataset, steps: int, runs: int,
                       batch_size: int) -> list[float]:
    timer = EpochTimer()
    model.fit(dataset, epochs=runs + 1, steps_per_epoch=steps, callbacks=[timer], shuffle=False,
              verbose=0)
    return [steps * batch_size / seconds for seconds in timer.seconds[1:]]


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
    stream, _ = examples.stream(batch_size=batch_size, seed=0, preprocess=family.preprocess,
                                image_size=config.get("image_size"), augment=entry.data.augment)

    def fresh_model() -> keras.Model:
        keras.utils.set_random_seed(0)
        return build_model(entry, config, args.steps, args.runs + 1, args.jit_compile, seed=0)

    print(f"{entry.name}: global batch {batch_size}, {args.steps} steps x {args.runs} timed "
          f"epochs after 1 warm-up, jit_compile={args.jit_compile}, data: "
          f"{examples.description}", flush=True)
    pipeline = _images_per_second(fresh_model(), stream, args.steps, args.runs, batch_size)
    batch = next(iter(stream))
    in_memory = _images_per_second(fresh_model(), tf.data.Dataset.from_tensors(batch).repeat(),
                                   args.steps, args.runs, batch_size)
    alone = []
    iterator = iter(stream)
    next(iterator)
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in itertools.islice(iterator, args.steps):
            pass
        alone.append(args.steps * batch_size / (time.perf_counter() - start))

    result = {name: round(statistics.median(values), 1) for name, values in
              (("pipeline", pipeline), ("in_memory", in_memory), ("pipeline_alone", alone))}
    result["ratio_pipeline_to_in_memory"] = round(result["pipeline"] / result["in_memory"], 3)
    for name, values in (("pipeline", pipeline), ("in-memory", in_memory),
                         ("pipeline alone", alone)):
        runs = ", ".join(f"{value:.1f}" for value in values)
        print(f"{name:<15} {statistics.median(values):>9.1f} images/s  (runs: {runs})")
    print(f"pipeline / in-memory = {result['ratio_pipeline_to_in_memory']:.3f}")
    print(json.dumps({"entry": entry.name, "batch_size": batch_size, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
