"""LiteRT files of the shipped exports against their SavedModels: size, per-call latency and the
largest difference from `zoo.load`'s outputs, for each --quantize choice.

    python benchmarks/litert.py [--models vae_mnist ddim_mnist ...] [--calls 20]

For each export, `zoo.litert.export_litert` converts every signature that converts;
each file is then run with the LiteRT interpreter on one example (batch 1, as a
device would call it) and compared with the export's own signature through
`zoo.load`, whose graph computes in bfloat16 for the exports trained in mixed
precision (then the float32 file differs by that graph's round-off). Latency is the
median of --calls calls after one warm-up, each on one thread of this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from zoo.console import VERBOSE_HELP, quiet_script

quiet_script()

import zoo  # noqa: E402
from zoo.litert import QUANTIZE, export_litert  # noqa: E402

DDIM_STEPS = 20
"""Sampling steps for the diffusion models' `generate`, as in docs/benchmarks.md."""


def example(signature, seed: int = 0) -> dict[str, np.ndarray]:
    """One valid example for each input of a declaration (batch 1)."""
    rng = np.random.default_rng(seed)
    values = {}
    for spec in signature.inputs:
        if not spec.shape:
            values[spec.name] = np.asarray(DDIM_STEPS if spec.name == "steps" else
                                           (spec.minimum + spec.maximum) / 2, spec.dtype)
            continue
        shape = [1] + [64 if dim is None else dim for dim in spec.shape[1:]]
        if spec.dtype.startswith("int"):
            values[spec.name] = rng.integers(spec.minimum, spec.maximum + 1, shape
                                             ).astype(spec.dtype)
        elif spec.minimum is not None and spec.maximum is not None:
            values[spec.name] = rng.uniform(spec.minimum, spec.maximum, shape).astype("float32")
        else:
            values[spec.name] = rng.normal(size=shape).astype("float32")
        if spec.name == "noise_level":
            values[spec.name] = np.full(shape, (spec.minimum + spec.maximum) / 2, "float32")
    return values


def _median_seconds(call, calls: int) -> float:
    call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(name: str, quantizes: Sequence[str], calls: int, scratch: Path) -> list[dict]:
    from ai_edge_litert.interpreter import Interpreter

    model = zoo.load(name)
    rows = []
    names = None
    for quantize in quantizes:
        manifest = export_litert(model, scratch / f"{model.name}-{quantize}", names, quantize)
        names = list(manifest["signatures"])
        for signature, record in manifest["signatures"].items():
            values = example(model.signatures[signature])
            runner = Interpreter(model_path=str(scratch / f"{model.name}-{quantize}" /
                                                record["file"]),
                                 num_threads=1).get_signature_runner(signature)
            found = runner(**values)
            expected = getattr(model, signature)(**values)
            if not isinstance(expected, dict):
                expected = {model.signatures[signature].outputs[0].name: expected}
            difference = max(float(np.abs(found[key] - expected[key]).max())
                             for key in expected)
            rows.append({
                "entry": model.name, "version": manifest["version"], "signature": signature,
                "quantize": quantize, "bytes": record["bytes"],
                "saved_model_bytes": _folder_bytes(model.path),
                "largest_difference": difference,
                "litert_ms": 1e3 * _median_seconds(lambda: runner(**values), calls),
                "saved_model_ms": 1e3 * _median_seconds(
                    lambda: getattr(model, signature)(**values), calls),
                "precision": model.metadata.get("training", {}).get("precision") or "float32",
            })
            print(_row(rows[-1]), flush=True)
        print(f"[litert] {model.name}: left out {', '.join(manifest['refused'])}",
              file=sys.stderr)
    return rows


def _row(row: dict) -> str:
    return (f"| `{row['entry']}` {row['version']} | `{row['signature']}` | {row['quantize']} | "
            f"{row['bytes'] / 1e6:.2f} | {row['largest_difference']:.2g} | "
            f"{row['litert_ms']:.2f} | {row['saved_model_ms']:.2f} |")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from zoo.command.common import exported_entries
    from zoo.paths import search_roots

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    shipped = next((exported_entries(root) for root in search_roots()
                    if exported_entries(root)), [])
    parser.add_argument("--models", nargs="+", default=shipped,
                        help="entries or export folders (default: every shipped entry)")
    parser.add_argument("--quantize", nargs="+", choices=QUANTIZE, default=list(QUANTIZE))
    parser.add_argument("--calls", type=int, default=20, help="timed calls per signature")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error(f"--calls must be at least 1; got {args.calls}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("| export | signature | quantize | MB | largest difference from zoo.load | "
          "LiteRT ms/call | SavedModel ms/call |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    rows = []
    with tempfile.TemporaryDirectory(prefix="zoo-litert-") as scratch:
        for name in args.models:
            rows.extend(measure(name, args.quantize, args.calls, Path(scratch)))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
