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
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from zoo import serving
from zoo.errors import ZooError


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(argv)
    try:
        called = serving.target(Path(args.model) if "/" in args.model else args.model,
                                args.signature, args.version)
        inputs = serving.input_parser(called.signature, f"{args.model} {args.signature}")
        values = serving.read_inputs(called.signature, vars(inputs.parse_args(rest)))
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
        for line in serving.save_outputs(outputs, args.out, f"{called.model}_{args.signature}"):
            print(line)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
