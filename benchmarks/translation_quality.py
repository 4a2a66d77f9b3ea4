"""Held-out quality of an exported translation model, beside its ablation where it has one.

- `pix2pix_mnist_inpaint`: the digits of `--split` (default the held-out
  `test[8000:]`) with their lower half blanked are completed by the model and,
  with `--ablation`, by the L1-only model trained with the same command and
  `--lambda-gan 0` (the paper's Table 1 comparison, on a task with a known
  answer). For each: the mean L1 to the true digit (whole image and the blanked
  half), the accuracy of the MNIST classifier of `gan_quality.py` (cached in
  the same folder) on the completed digits against their labels, and the
  Fréchet distance of its features between the completions and the real
  held-out digits. Target: L1+cGAN's Fréchet distance at most 0.7x the
  L1-only model's, with accuracy within 2 points.
- `pix2pix_facades`: the mean L1 on the test pairs (label map -> photo, at the
  model's size) and the pairs as a picture: input | output | target.

Prints a table and, last, the figures as one JSON line; `--picture` saves the
grid; `--update-metadata` records the figures in the export's zoo.json under
`evaluation.translation_quality`.

    python benchmarks/translation_quality.py --entry pix2pix_mnist_inpaint \\
        --ablation runs/pix2pix_mnist_inpaint_l1_exported/pix2pix_mnist_inpaint/1
    python benchmarks/translation_quality.py --entry pix2pix_facades --split test
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import zoo
from zoo.data import load_examples
from zoo.errors import ConfigurationError, ZooError
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.export import record_evaluation
from zoo.images import example_rows, save_png
from zoo.registry import get_entry

ENTRIES = {"pix2pix_mnist_inpaint": ("../shared/data/mnist", "test[8000:]"),
           "pix2pix_facades": ("../shared/data/facades_crops", "test")}
CHUNK = 256


def _gan_quality():
    """The MNIST classifier of gan_quality.py, shared with it (and its cache)."""
    spec = importlib.util.spec_from_file_location("gan_quality",
                                                  Path(__file__).with_name("gan_quality.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--entry", choices=sorted(ENTRIES), default="pix2pix_mnist_inpaint")
    parser.add_argument("--model", default=None, help="export name or directory (default: the "
                        "entry's newest export)")
    parser.add_argument("--ablation", default=None,
                        help="the L1-only export (lambda_gan=0) to compare with (inpainting)")
    parser.add_argument("--data-dir", default=None, help="default: the data set's folder in "
                        "../shared/data")
    parser.add_argument("--split", default=None, help="held-out split (default: test[8000:] "
                        "for MNIST, test for facades)")
    parser.add_argument("--classifier-train-split", default="test[:8000]",
                        help="MNIST images the classifier is trained on, when not cached")
    parser.add_argument("--run-dir", default="runs/gan_quality",
                        help="folder caching the MNIST classifier (shared with gan_quality.py)")
    parser.add_argument("--picture", type=Path, default=None,
                        help="PNG of the held-out examples (default: runs/translation_quality/"
                             "<entry>.png)")
    parser.add_argument("--rows", type=int, default=None,
                        help="examples in the picture (default: 8 digits, every facade)")
    parser.add_argument("--update-metadata", action="store_true",
                        help="record the figures in the export's zoo.json")
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows < 1:
        parser.error(f"--rows must be positive; got {args.rows}")
    return args


def _load(name: str | None, entry: str) -> zoo.ExportedModel:
    model = zoo.load(Path(name) if name and os.sep in name else name or entry)
    if model.name != entry:
        raise ConfigurationError(f"{model.path} is an export of {model.name!r}, not {entry!r}.")
    return model


def held_out(entry: str, split: str, data_dir: str, image_size: int) -> dict[str, np.ndarray]:
    """The held-out examples as the model's data layer gives them (no augmentation)."""
    examples = load_examples(get_entry(entry).data.dataset, split, data_dir)
    return examples.held_out(len(examples), image_size)


def translate(model: zoo.ExportedModel, inputs: np.ndarray) -> np.ndarray:
    """The model's outputs for every input, in chunks, with progress."""
    outputs = []
    for start in range(0, len(inputs), CHUNK):
        outputs.append(model.translate(inputs[start:start + CHUNK]))
        print(f"  translated {min(start + CHUNK, len(inputs))}/{len(inputs)}", flush=True)
    return np.concatenate(outputs)


def _l1(outputs: np.ndarray, targets: np.ndarray, rows: slice = slice(None)) -> float:
    return float(np.abs(outputs[:, rows] - targets[:, rows]).mean())


def inpainting_figures(outputs: np.ndarray, data: dict[str, np.ndarray], classifier,
                       real_statistics, script) -> dict[str, float]:
    """L1 (whole, blanked half), classifier accuracy and Fréchet distance of completions."""
    from zoo.data.tasks import INPAINT_FIRST_BLANK_ROW

    digits = outputs[:, 2:30, 2:30]  # the 28x28 digit inside the padding
    features, probabilities = script.classify(classifier, digits)
    return {"l1": round(_l1(outputs, data["target"]), 5),
            "l1_blanked_half": round(_l1(outputs, data["target"],
                                         slice(INPAINT_FIRST_BLANK_ROW, None)), 5),
            "accuracy": round(float(np.mean(probabilities.argmax(1) == data["label"])), 5),
            "frechet_distance": round(frechet_distance(*feature_statistics(features),
                                                       *real_statistics), 3)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    data_dir, split = ENTRIES[args.entry]
    data_dir, split = args.data_dir or data_dir, args.split or split
    try:
        model = _load(args.model, args.entry)
        ablation = _load(args.ablation, args.entry) if args.ablation else None
        size = model.metadata["model_config"]["image_size"]
        data = held_out(args.entry, split, data_dir, size)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{model.name} version {model.path.name}: {len(data['input'])} held-out examples of "
          f"{split} from {data_dir}", flush=True)
    outputs = translate(model, data["input"])
    result = {"entry": args.entry, "model": f"{model.name} version {model.path.name}",
              "split": split, "examples": int(len(outputs))}
    columns = [data["input"], outputs, data["target"]]
    if args.entry == "pix2pix_facades":
        result["l1"] = round(_l1(outputs, data["target"]), 5)
        print(f"\nmean L1 to the true photo, pixel values in [0, 1]: {result['l1']:.4f}")
    else:
        script = _gan_quality()
        try:
            train_images, train_labels = script.load_mnist(args.classifier_train_split, data_dir)
            classifier, _ = script.load_or_train_classifier(args.run_dir, train_images,
                                                            train_labels, 10, 64)
        except ZooError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        real_features, _ = script.classify(classifier, data["target"][:, 2:30, 2:30])
        real_statistics = feature_statistics(real_features)
        rows = {"L1+cGAN (this model)": inpainting_figures(outputs, data, classifier,
                                                           real_statistics, script)}
        if ablation is not None:
            ablated = translate(ablation, data["input"])
            rows["L1 only (lambda_gan=0)"] = inpainting_figures(ablated, data, classifier,
                                                                real_statistics, script)
            columns.insert(1, ablated)
        print(f"\n{'model':<24} {'L1':>8} {'L1 lower':>9} {'accuracy':>9} {'Fréchet':>9}")
        for name, figures in rows.items():
            print(f"{name:<24} {figures['l1']:>8.4f} {figures['l1_blanked_half']:>9.4f} "
                  f"{100 * figures['accuracy']:>8.2f}% {figures['frechet_distance']:>9.2f}")
        result["l1_cgan"] = rows["L1+cGAN (this model)"]
        if ablation is not None:
            l1_only = rows["L1 only (lambda_gan=0)"]
            result["l1_only"] = {**l1_only, "model": f"{ablation.path}"}
            ratio = result["l1_cgan"]["frechet_distance"] / l1_only["frechet_distance"]
            gap = 100 * (l1_only["accuracy"] - result["l1_cgan"]["accuracy"])
            result["frechet_ratio"] = round(ratio, 3)
            result["accuracy_gap_points"] = round(gap, 2)
            print(f"\nFréchet ratio L1+cGAN / L1-only: {ratio:.3f} (target <= 0.7); accuracy "
                  f"{gap:+.2f} points behind L1-only (target <= 2)")
    rows_shown = args.rows or (len(outputs) if args.entry == "pix2pix_facades" else 8)
    picture = args.picture or Path("runs/translation_quality") / f"{args.entry}.png"
    save_png(picture, example_rows(columns, rows_shown, rgb=True))
    names = ["input"] + ["L1 only"] * (len(columns) == 4) + ["output", "target"]
    print(f"picture ({' | '.join(names)}): {picture}")
    result["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result))
    if args.update_metadata:
        print(f"recorded in {record_evaluation(model.path, 'translation_quality', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
