"""Calls a zoo export served by TensorFlow Serving, over REST or gRPC.

Requests are built from the signature declarations in the export's `zoo.json`
(`zoo.serving`), so every signature of every entry works the same way: name the
entry and the signature, and give each input as a flag named after it.

    python examples/serving_client.py vae_mnist sample --count 4 --seed 0
    python examples/serving_client.py vae_mnist sample_png --count 16 --seed 0 --grpc
    python examples/serving_client.py cgan_mnist sample_png --count 8 --seed 1 --label 7
    python examples/serving_client.py pix2pix_facades translate_bytes --image photo.jpg
    python examples/serving_client.py cyclegan_horse2zebra a_to_b_bytes --image horse.jpg
    python examples/serving_client.py dcgan_mnist generate --latent latent.npy --dry-run

PNG outputs are written as files (`--out`, default the current folder), other
outputs as `.npy` files. `--dry-run` prints the request (the URL and JSON body, or
the PredictRequest) without sending it. gRPC needs `pip install tensorflow-serving-api`.
TensorFlow's start-up log lines are hidden unless `--verbose` is given.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from zoo import serving
from zoo.console import quiet_tensorflow
from zoo.errors import ConfigurationError, ZooError
from zoo.images import read_image, read_image_bytes, write_atomically
from zoo.signatures import IMAGE_RANGE, Signature, TensorInput


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="The signature's inputs follow as flags, e.g. --count 4 --seed 0; an unknown or "
               "missing one is reported with the flags the signature takes.")
    parser.add_argument("model", help="entry name (e.g. vae_mnist) or export folder: its "
                                      "zoo.json declares the signatures")
    parser.add_argument("signature", help="signature name, e.g. sample, translate_bytes")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--rest", dest="grpc", action="store_false",
                           help=f"REST on port {serving.REST_PORT} (the default)")
    transport.add_argument("--grpc", action="store_true",
                           help=f"gRPC on port {serving.GRPC_PORT}")
    parser.set_defaults(grpc=False)
    parser.add_argument("--host", default="localhost", help="TF Serving's host")
    parser.add_argument("--port", type=int, default=None, help="default 8501 (REST), 8500 (gRPC)")
    parser.add_argument("--version", type=int, default=None,
                        help="model version (default: the server's newest)")
    parser.add_argument("--form", choices=serving.FORMS, default="auto",
                        help="REST body: rows ('instances'), columns ('inputs'), or rows when "
                             "every input is a batch")
    parser.add_argument("--dry-run", action="store_true", help="print the request, do not send")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the outputs")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines (hidden by default)")
    return parser


def _needs_tensorflow(signature: Signature, grpc: bool) -> bool:
    """Whether the call imports TensorFlow: to decode image files into pixels, or to build
    gRPC's TensorProtos. A REST call without them stays light."""
    return grpc or any(_image_input(spec) and spec.dtype != "string"
                       for spec in signature.inputs)


def _image_input(spec: TensorInput) -> bool:
    """Whether an input is a batch of images: encoded bytes, or NHWC floats in [0, 1]."""
    if spec.dtype == "string":
        return spec.batched
    return (len(spec.shape) == 4 and spec.batched and spec.shape[-1] in (1, 3)
            and (spec.minimum, spec.maximum) == IMAGE_RANGE)


def input_parser(signature: Signature, prog: str | None = None) -> argparse.ArgumentParser:
    """Command-line flags for a signature's inputs, one `--NAME` per input.

    Image inputs take image files (`--image` also names the first of them); string
    inputs send the files' bytes, float image inputs their pixels. Other inputs
    take a JSON value (`4`, `[[0.1, 0.2]]`) or a `.npy` file; an input with a declared
    default (a diffusion model's `steps` and `eta`) may be left out, and the request
    then carries its default (TF Serving itself fills in nothing).
    """
    parser = argparse.ArgumentParser(prog=prog, description=f"{signature.name}(): "
                                     f"{signature.description}")
    aliased = False
    for spec in signature.inputs:
        flags = [f"--{spec.name}"]
        if "_" in spec.name:
            flags.append(f"--{spec.name.replace('_', '-')}")
        if _image_input(spec):
            if not aliased and "--image" not in flags:
                flags.append("--image")
            aliased = True
            parser.add_argument(*flags, dest=spec.name, nargs="+", required=True,
                                metavar="FILE", help=f"{spec.description} (image files)")
        else:
            optional = spec.default is not None
            parser.add_argument(*flags, dest=spec.name, required=not optional, metavar="VALUE",
                                default=None,
                                help=f"{spec.expected()} (JSON, or a .npy file"
                                     + (f"; default {spec.default:g})" if optional else ")"))
    return parser


def _load_npy(spec: TensorInput, path: str) -> np.ndarray:
    """The array in the `.npy` file `path`, or a ConfigurationError naming the input."""
    try:
        return np.load(path)
    except (OSError, ValueError) as error:
        reason = "does not exist" if not os.path.exists(path) else f"cannot be read ({error})"
        raise ConfigurationError(f"--{spec.name} {path} {reason}; pass a .npy file "
                                 "(numpy.save) or a JSON value.") from None


def _read_images(spec: TensorInput, paths: list[str]) -> np.ndarray:
    """Image files as an NHWC float batch in [0, 1], with the declared channels, resized to
    the declared height and width when the input fixes them (`zoo.images.read_image`)."""
    if len(paths) == 1 and paths[0].endswith(".npy"):
        return _load_npy(spec, paths[0])
    height, width, channels = spec.shape[1:]
    size = (height, width) if height is not None and width is not None else None
    images = [read_image(path, channels, size) for path in paths]
    if len({image.shape for image in images}) > 1:
        raise ConfigurationError(f"The images for {spec.name!r} have different sizes "
                                 f"({', '.join(str(image.shape[:2]) for image in images)}); "
                                 "send images of one size, or use a *_bytes signature.")
    return np.stack(images)


def read_inputs(signature: Signature, arguments: dict[str, Any]) -> dict[str, Any]:
    """The values of a signature's inputs from `input_parser`'s parsed flags.

    Raises:
        zoo.errors.DataError: an image file cannot be read or decoded.
        zoo.errors.ConfigurationError: a value is neither JSON nor a `.npy` file, or the
            images of one input differ in size.
    """
    values = {}
    for spec in signature.inputs:
        given = arguments[spec.name]
        if given is None:  # left out: `serving.rest_body` and the gRPC request send its default
            continue
        if spec.dtype == "string" and spec.batched:
            values[spec.name] = [read_image_bytes(path) for path in given]
        elif _image_input(spec):
            values[spec.name] = _read_images(spec, given)
        elif given.endswith(".npy"):
            values[spec.name] = _load_npy(spec, given)
        else:
            try:
                values[spec.name] = json.loads(given)
            except ValueError:
                raise ConfigurationError(f"--{spec.name} {given!r} is neither JSON nor a .npy "
                                         "file.") from None
    return values


def save_outputs(outputs: dict[str, Any], folder: str | os.PathLike, stem: str) -> list[str]:
    """Writes each output to `folder`: PNG bytes as `.png` files (one per example), anything
    else as a `.npy` file.

    Args:
        outputs: the outputs by name, as `serving.read_rest_response` or
            `serving.read_grpc_response` return them.
        folder: where to write.
        stem: the start of each file name, e.g. `vae_mnist_sample_png`.

    Returns:
        One line per file written, saying what it holds.
    """
    folder = Path(folder)
    lines = []
    for name, value in outputs.items():
        prefix = stem if len(outputs) == 1 else f"{stem}_{name}"
        if isinstance(value, bytes) or (isinstance(value, np.ndarray) and value.dtype == object):
            items = [value] if isinstance(value, bytes) else list(value)
            for index, data in enumerate(items):
                suffix = ".png" if data.startswith(b"\x89PNG") else ".bin"
                path = folder / (f"{prefix}{suffix}" if isinstance(value, bytes)
                                 else f"{prefix}_{index}{suffix}")
                write_atomically(path, data)
                lines.append(f"wrote {path} ({name}, {len(data)} bytes)")
        else:
            buffer = io.BytesIO()
            np.save(buffer, value)
            path = write_atomically(folder / f"{prefix}.npy", buffer.getvalue())
            summary = (f", values {value.min():.4g} to {value.max():.4g}" if value.size
                       and value.dtype.kind in "iuf" else "")
            lines.append(f"wrote {path} ({name}: {value.dtype} of shape {value.shape}{summary})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(argv)
    try:
        called = serving.target(Path(args.model) if "/" in args.model else args.model,
                                args.signature, args.version)
        inputs = input_parser(called.signature, f"{args.model} {args.signature}")
        arguments = vars(inputs.parse_args(rest))
        if not args.verbose and _needs_tensorflow(called.signature, args.grpc):
            quiet_tensorflow()
        values = read_inputs(called.signature, arguments)
        if args.grpc:
            request = serving.predict_request(called.model, called.signature, values,
                                              called.version)
            if args.dry_run:
                print(request)
                return 0
            response = serving.call_grpc(request, args.host, args.port or serving.GRPC_PORT,
                                         args.timeout)
            outputs = serving.read_grpc_response(called.signature, response)
        else:
            url = serving.rest_url(called.model, args.host, args.port or serving.REST_PORT,
                                   called.version)
            body = serving.rest_body(called.signature, values, args.form)
            if args.dry_run:
                print(f"POST {url}")
                print(json.dumps(body))
                return 0
            outputs = serving.read_rest_response(called.signature,
                                                 serving.post_json(url, body, args.timeout))
        for line in save_outputs(outputs, args.out, f"{called.model}_{args.signature}"):
            print(line)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
