"""Held-out likelihood of an exported VAE: negative ELBO and the importance-weighted NLL.

Estimates -log p(x) with k importance samples (Burda et al., "Importance
Weighted Autoencoders", ICLR 2016, eq. 8; their MNIST table uses k = 5000) on
held-out MNIST binarised once with a fixed seed, and prints the figures beside
that paper's rows. Run from the repository root:

    python benchmarks/vae_likelihood.py --model vae_mnist \
        --data-dir ../shared/data/mnist --split 'test[8000:]'

The default split, the last 2,000 images of the official MNIST test split, is
the part of ../shared/data that the shipped export was not trained on (it was
trained on the first 8,000). `--update-metadata` records the figures in the
export's zoo.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from zoo.console import VERBOSE_HELP, quiet_script

# Before the imports below load TensorFlow: its start-up lines hidden unless --verbose
# (so they follow a call, which E402 would flag).
# ruff: noqa: E402
quiet_script()

import numpy as np
import tensorflow as tf

import zoo
from zoo.data import evaluation_dataset, load_mnist
from zoo.errors import ZooError
from zoo.export import record_evaluation
from zoo.families import get_family
from zoo.paths import model_argument

# Burda et al. 2016, Table 1, MNIST, one stochastic layer (MLP networks, 50-D latent,
# trained on the 60,000 training images with dynamic binarisation), NLL with k = 5000.
PUBLISHED = (("VAE (k=1), Burda et al. 2016", 86.76), ("IWAE (k=50), Burda et al. 2016", 84.78))


def standard_error(values: np.ndarray) -> float:
    """The standard error of the mean of `values` (0 for a single value)."""
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default="vae_mnist", help="export name or directory")
    parser.add_argument("--data-dir", default="../shared/data/mnist",
                        help="MNIST IDX folder or tensorflow-datasets data_dir")
    parser.add_argument("--split", default="test[8000:]", help="held-out split")
    parser.add_argument("--k", type=int, default=5000, help="importance samples per image")
    parser.add_argument("--elbo-draws", type=int, default=100,
                        help="draws of z per image for the negative ELBO")
    parser.add_argument("--batch-size", type=int, default=20, help="images per step")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N images")
    parser.add_argument("--binarization-seed", type=int, default=0,
                        help="seed of the one fixed binarisation of the held-out images")
    parser.add_argument("--update-metadata", action="store_true",
                        help="write the figures into the export's zoo.json under "
                             "evaluation.vae_likelihood")
    # Read by quiet_script() from the command line, before the parser runs.
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
    args = parser.parse_args(argv)
    for name in ("k", "elbo_draws", "batch_size", "limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive; got {value}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        exported = zoo.load(model_argument(args.model, writing=args.update_metadata))
        images, labels = load_mnist(args.split, args.data_dir)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    model = exported.keras_model()
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    batches = evaluation_dataset({"image": images, "label": labels}, batch_size=args.batch_size,
                                 seed=args.binarization_seed,
                                 preprocess=get_family(exported.metadata["family"]).preprocess)

    @tf.function(reduce_retracing=True)
    def evaluate(batch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return (model.negative_elbo(batch, draws=args.elbo_draws),
                model.importance_weighted_nll(batch, k=args.k, chunk=500))

    print(f"{exported.path}: {len(images)} images of {args.split} from {args.data_dir}, fixed "
          f"binarisation (seed {args.binarization_seed}), k = {args.k}", flush=True)
    elbos, nlls = [], []
    start = time.perf_counter()
    for batch in batches:
        elbo, nll = evaluate(batch)
        elbos.append(elbo.numpy())
        nlls.append(nll.numpy())
        done = sum(map(len, nlls))
        elapsed = time.perf_counter() - start
        print(f"  {done}/{len(images)} images, running NLL {np.concatenate(nlls).mean():.2f}, "
              f"{elapsed:.0f} s elapsed, ~{elapsed / done * (len(images) - done):.0f} s left",
              flush=True)
    elbo, nll = np.concatenate(elbos), np.concatenate(nlls)

    print(f"\n{'model':<40} {'negative ELBO':>14} {'NLL (k=' + str(args.k) + ')':>14}")
    print(f"{exported.name + ' ' + exported.path.name + ' (this run)':<40} "
          f"{elbo.mean():>14.2f} {nll.mean():>14.2f}")
    for name, value in PUBLISHED:
        print(f"{name:<40} {'':>14} {value:>14.2f}")
    result = {
        "model": f"{exported.name} version {exported.path.name}",
        "data": f"MNIST {args.split} from {args.data_dir}",
        "images": int(len(images)), "binarization": f"fixed, seed {args.binarization_seed}",
        "negative_elbo_nats": round(float(elbo.mean()), 3),
        "negative_elbo_stderr": round(standard_error(elbo), 3), "elbo_draws": args.elbo_draws,
        "nll_nats": round(float(nll.mean()), 3), "nll_stderr": round(standard_error(nll), 3),
        "k": args.k, "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(result))
    if args.update_metadata:
        print(f"recorded in {record_evaluation(exported.path, 'vae_likelihood', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
