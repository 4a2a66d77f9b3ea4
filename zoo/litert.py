"""LiteRT (formerly TensorFlow Lite) files of an export's signatures, for phones and small devices.

`export_litert` converts each convertible signature of an export to its own
`.tflite` file with LiteRT's builtin ops only (no TensorFlow kernels on the
device) and writes `litert.json` beside them: per file, the signature's
declaration (inputs with shapes, dtypes and ranges, outputs), its size and
SHA-256, and the signatures it refused with the reason.

The files compute in float32 whatever precision the model trained in: the
model is rebuilt from the export's `model_config` with float32 layers and given
the exported weights (`ExportedModel.keras_model`), so a network trained in
mixed bfloat16, whose exported graph computes in bfloat16, still converts (the
builtin convolutions have no bfloat16 kernels). Its serving functions are the
ones `zoo.export` writes, and the converter reads them from a SavedModel of the
chosen signatures alone.

What does not convert, and is refused by name with the reason:
- signatures that take or return encoded images (strings: `*_bytes`,
  `sample_png`): the builtin ops neither decode nor encode PNG or JPEG;
- signatures that draw random numbers from a seed (`sample`; the VAE's `score`,
  an importance-sampled likelihood): the builtin ops have no stateless random
  ops. The deterministic twin converts: `generate` takes the starting noise or
  latent vectors the caller draws on the device.

The in-graph input checks of the SavedModel do not reach the `.tflite` files
(the builtin ops have no assertion): a caller on the device keeps the inputs
within the ranges `litert.json` records.

`quantize`: `none` (float32 weights), `float16` (weights stored as float16,
half the size, computed in float32) or `dynamic-int8` (weights stored as int8,
a quarter of the size; the heavy layers compute in int8 with activations
quantized on the fly).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from zoo.console import plural, progress, stderr_to
from zoo.errors import ConfigurationError
from zoo.export_format import sha256_of
from zoo.paths import nearest_existing

MANIFEST_FILE = "litert.json"
"""The manifest `export_litert` writes beside the `.tflite` files."""

QUANTIZE = ("none", "float16", "dynamic-int8")
"""The weight storage `export_litert` offers (see the module's description)."""

_SELECT_OPS = re.compile(r"TF Select ops: ([^\n]+)")


def refusal(declaration: Any) -> str | None:
    """Why a signature cannot convert, known before trying (string inputs or outputs), or
    None."""
    for verb, specs in (("takes", declaration.inputs), ("returns", declaration.outputs)):
        strings = [spec.name for spec in specs if spec.dtype == "string"]
        if strings:
            return (f"it {verb} encoded images ({', '.join(strings)}), which LiteRT's builtin "
                    "ops neither decode nor encode")
    return None


def _converter_refusal(message: str) -> str:
    """The converter's error message, as one short reason."""
    found = _SELECT_OPS.search(message)
    if found:
        ops = found.group(1).strip()
        if "StatelessRandom" in ops:
            return f"it draws random numbers from a seed, with TensorFlow ops ({ops}) " \
                   "outside LiteRT's builtin set"
        return f"it uses TensorFlow ops outside LiteRT's builtin set: {ops}"
    if "tensor list" in message.lower() or "TensorList" in message:
        return ("it loops with TensorFlow tensor lists (tf.map_fn), which LiteRT's builtin "
                "ops cannot lower")
    lines = [line.strip() for line in message.splitlines() if "error:" in line]
    return f"the converter failed: {(lines or [message.strip()])[-1][:300]}"


def _hint(name: str, declarations: dict[str, Any]) -> str:
    """What to convert instead of a signature that draws from a seed, when the export has it:
    `generate` from starting noise or latent vectors, or the VAE's `decode`."""
    inputs = {spec.name for spec in declarations[name].inputs}
    twin = next((other for other in ("generate", "decode") if other in declarations), None)
    if "seed" in inputs and twin:
        start = ", ".join(spec.name for spec in declarations[twin].inputs)
        return (f"; convert `{twin}` ({start}) instead and draw its random inputs on the "
                "device")
    return ""


def float32_model(exported: Any) -> Any:
    """The export's network rebuilt with float32 layers and its exported weights: what the
    LiteRT files compute, whatever precision the export's own graph computes in."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        return exported.keras_model()
    finally:
        keras.config.set_dtype_policy(previous)


def _convert(saved_model: Path, name: str, quantize: str, log: Path | None) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=[name])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    with contextlib.nullcontext() if log is None else stderr_to(log):
        return converter.convert()


def export_litert(exported: Any, out: str | os.PathLike, signatures: Sequence[str] | None = None,
                  quantize: str = "none", quiet: bool = True) -> dict[str, Any]:
    """Converts signatures of an export to `.tflite` files in a new folder `out`.

    Args:
        exported: a `zoo.load`ed export (`zoo.loading.ExportedModel`).
        out: the folder to create; it must not exist, or be empty. The files are written
            to a staging folder beside it and moved into place at the end, so a failure
            leaves nothing behind.
        signatures: the signatures to convert, each of which must convert; None for every
            one that converts (the others are listed as refused, with the reason).
        quantize: one of `QUANTIZE`.
        quiet: hide the converter's own diagnostics (they are in the error either way).

    Returns:
        The manifest written to `out/litert.json`.

    Raises:
        zoo.errors.ConfigurationError: an unknown signature or quantization, a named
            signature that does not convert (with the reason), none that converts, or an
            `out` that holds files.
    """
    import tensorflow as tf
    from tensorflow.lite.python.convert_phase import ConverterError

    from zoo.export import write_saved_model

    if quantize not in QUANTIZE:
        raise ConfigurationError(f"quantize must be one of {', '.join(QUANTIZE)}; got "
                                 f"{quantize!r}.")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigurationError(f"--out {out} already exists and is not an empty folder; "
                                 "choose a new folder (it is created) or remove it.")
    declarations = exported.signatures
    if signatures:
        unknown = [name for name in signatures if name not in declarations]
        if unknown:
            raise ConfigurationError(
                f"{exported.name} has no signature {', '.join(map(repr, unknown))}; it has "
                f"{', '.join(declarations)}.")
        wanted = list(dict.fromkeys(signatures))
    else:
        wanted = list(declarations)
    refused = {name: reason for name in wanted
               if (reason := refusal(declarations[name])) is not None}
    candidates = [name for name in wanted if name not in refused]
    converted: dict[str, bytes] = {}
    # Staged in the nearest folder that exists (the same file system as `out`): the folders
    # `out` needs are made only once every file is written.
    staging = Path(tempfile.mkdtemp(dir=nearest_existing(out.absolute().parent),
                                    prefix=f".{out.name}.partial-"))
    try:
        if candidates:
            progress(f"rebuilding {exported.name} in float32 with its exported weights")
            model = float32_model(exported)
            write_saved_model(model, exported.metadata["family"], staging / "saved_model",
                              candidates)
        for index, name in enumerate(wanted, 1):
            if name in refused:
                progress(f"{name}: not converted ({index}/{len(wanted)})")
                continue
            started = time.monotonic()
            log = None if not quiet else staging / "converter.log"
            try:
                converted[name] = _convert(staging / "saved_model", name, quantize, log)
            except ConverterError as error:
                refused[name] = _converter_refusal(str(error))
                progress(f"{name}: not converted ({index}/{len(wanted)})")
                continue
            progress(f"{name}: converted in {time.monotonic() - started:.1f} s "
                     f"({index}/{len(wanted)})")
        for name in refused:
            refused[name] += _hint(name, declarations)
        if signatures and refused:
            raise ConfigurationError("; ".join(
                f"{name} does not convert to LiteRT: {reason}" for name, reason in
                refused.items()) + ".")
        if not converted:
            raise ConfigurationError(
                f"none of {exported.name}'s signatures converts to LiteRT: " + "; ".join(
                    f"{name}: {reason}" for name, reason in refused.items()) + ".")
        shutil.rmtree(staging / "saved_model")
        (staging / "converter.log").unlink(missing_ok=True)
        files = {}
        for name, flatbuffer in converted.items():
            path = staging / f"{name}.tflite"
            path.write_bytes(flatbuffer)
            files[name] = {**declarations[name].to_json(), "file": path.name,
                           "bytes": len(flatbuffer), "sha256": sha256_of(path)}
        manifest = {
            "entry": exported.name,
            "version": int(exported.path.name) if exported.path.name.isdigit() else None,
            "source": str(exported.path),
            "quantize": quantize,
            "converter": f"TensorFlow {tf.__version__}",
            "inputs_checked": False,
            "signatures": files,
            "refused": refused,
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        staging.chmod(0o755)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.exists():
                out.rmdir()  # empty when checked; not if another run filled it since
            os.replace(staging, out)
        except OSError as error:
            raise ConfigurationError(
                f"cannot move the files into --out {out}: {error.strerror or error} (did "
                "another run write there meanwhile?); choose a new folder.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name, reason in refused.items():
        progress(f"left out {name}: {reason}")
    progress(f"wrote {plural(len(converted), 'LiteRT file')} and {MANIFEST_FILE} to {out}")
    return manifest


def run_signature(path: str | os.PathLike, name: str, **inputs: Any) -> dict[str, Any]:
    """Runs signature `name` of a `.tflite` file with the LiteRT interpreter (the
    `ai-edge-litert` package: `pip install "zoo[litert]"`) on numpy inputs, as a device
    would; returns its outputs by name.

    Raises:
        zoo.errors.ConfigurationError: `ai-edge-litert` is not installed.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise ConfigurationError('running a LiteRT file needs ai-edge-litert: '
                                 'pip install "zoo[litert]"') from error
    runner = Interpreter(model_path=str(path)).get_signature_runner(name)
    details = runner.get_input_details()
    return runner(**{key: np.asarray(value, details[key]["dtype"]) if key in details else value
                     for key, value in inputs.items()})
