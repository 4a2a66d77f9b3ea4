"""Requests to TensorFlow Serving for a zoo export, built from its signature declarations.

TF Serving serves each entry of a `models.config` under the entry's name, on two
ports: REST on 8501 (`POST /v1/models/NAME[/versions/N]:predict` with a JSON body)
and gRPC on 8500 (`PredictionService.Predict` with a `PredictRequest`). The
functions here build those requests from the declarations in an export's
`zoo.json`, so any signature of any entry is reachable without code of its own,
and check the values the way `zoo.load` does before anything is sent. REST needs
only the standard library; gRPC needs the optional `tensorflow-serving-api`
package. examples/serving_client.py is the command line over them, one flag per
input.

JSON has no bytes: string inputs travel as `{"b64": ...}`, which TF Serving
decodes for any string input, and it sends a string output that way when its name
ends in `_bytes`, as the zoo's (`image_bytes`, `png_bytes`) do. A REST body comes
in two forms: rows (`"instances"`, one object per example; every input must be a
batch) and columns (`"inputs"`, one value per input; any shapes). Its answer
comes in the same form (`"predictions"` or `"outputs"`).

Example:
    >>> from zoo.signatures import Signature, TensorInput
    >>> count = TensorInput("count", (), "int32", "number of images", 1, 64)
    >>> seed = TensorInput("seed", (), "int64", "random seed")
    >>> sample = Signature("sample", "images", (count, seed), ("images",))
    >>> rest_body(sample, {"count": 4, "seed": 0})
    {'signature_name': 'sample', 'inputs': {'count': 4, 'seed': 0}}
    >>> rest_url("vae_mnist", version=1)
    'http://localhost:8501/v1/models/vae_mnist/versions/1:predict'
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import urllib.error
import urllib.request
from typing import Any

import numpy as np

from zoo.errors import ConfigurationError, ZooError
from zoo.input_checks import check_inputs
from zoo.signatures import Signature

REST_PORT = 8501
GRPC_PORT = 8500
FORMS = ("auto", "rows", "columns")
"""REST body forms: rows (`instances`), columns (`inputs`), or rows when every input is a batch."""

GRPC_PACKAGE = "tensorflow-serving-api"


class ServingError(ZooError):
    """TF Serving could not be reached, or refused or failed a request."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One signature of one served export.

    Attributes:
        model: the name TF Serving serves the export under, its zoo entry.
        version: the version asked for, or None for the one the server has newest.
        signature: the signature's declaration, from the export's `zoo.json`.
    """

    model: str
    version: int | None
    signature: Signature


def target(name_or_path: str | os.PathLike, signature: str, version: int | None = None
           ) -> Target:
    """The declaration of `signature` of an export, read from its `zoo.json` only.

    Args:
        name_or_path: an entry name or an export folder, as for `zoo.load`.
        signature: the signature's name.
        version: the version to ask the server for (and to read declarations from);
            None for the newest.

    Returns:
        What requests to that signature need.

    Raises:
        zoo.errors.ConfigurationError: the export has no such signature (the message
            lists those it has, with their inputs).

    Example:
        >>> target("vae_mnist", "sample").signature.output_names
        ('images',)
    """
    from zoo.export_format import read_metadata
    from zoo.loading import resolve

    metadata = read_metadata(resolve(name_or_path, version))
    declarations = {data["name"]: Signature.from_json(data) for data in metadata["signatures"]}
    if signature not in declarations:
        listed = "; ".join(f"{name}({', '.join(spec.name for spec in declared.inputs)})"
                           for name, declared in declarations.items())
        raise ConfigurationError(f"{metadata['entry']} has no signature {signature!r}; it has: "
                                 f"{listed}.")
    return Target(metadata["entry"], version, declarations[signature])


def rest_url(model: str, host: str = "localhost", port: int = REST_PORT,
             version: int | None = None) -> str:
    """The URL of TF Serving's REST predict method for a model (and version)."""
    versioned = f"/versions/{version}" if version is not None else ""
    return f"http://{host}:{port}/v1/models/{model}{versioned}:predict"


def _to_json(value: Any) -> Any:
    """A checked input or part of one as JSON: bytes as {"b64": ...}, arrays as lists."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return [_to_json(element) for element in value] if value.ndim else _to_json(
                value.item())
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _resolve_form(signature: Signature, form: str) -> str:
    if form not in FORMS:
        raise ConfigurationError(f"Unknown REST form {form!r}; use one of {', '.join(FORMS)}.")
    unbatched = [spec.name for spec in signature.inputs if not spec.batched]
    if form == "rows" and unbatched:
        raise ConfigurationError(
            f"{signature.name}() cannot be sent in rows ('instances'): its input(s) "
            f"{', '.join(map(repr, unbatched))} are not batches; use the columns form "
            "('inputs').")
    if form == "auto":
        return "columns" if unbatched else "rows"
    return form


def rest_body(signature: Signature, values: dict[str, Any], form: str = "auto") -> dict[str, Any]:
    """The JSON body of a REST predict request.

    Args:
        signature: the declaration of the signature to call.
        values: a value for each input, by name (numpy-like; bytes for string inputs).
        form: `rows` (`instances`: one object per example, every input a batch),
            `columns` (`inputs`: one value per input) or `auto` (rows when every input
            is a batch).

    Returns:
        `{"signature_name": ..., "instances": [...]}` or `{..., "inputs": {...}}`.

    Raises:
        zoo.errors.InputError: a value does not match its declaration (as in `zoo.load`).
        zoo.errors.ConfigurationError: rows asked for a signature with unbatched inputs.
    """
    checked = check_inputs(signature, values)
    form = _resolve_form(signature, form)
    body: dict[str, Any] = {"signature_name": signature.name}
    if form == "columns":
        body["inputs"] = {name: _to_json(value) for name, value in checked.items()}
    else:
        count = len(next(iter(checked.values())))
        body["instances"] = [{name: _to_json(value[index]) for name, value in checked.items()}
                             for index in range(count)]
    return body


def _from_json(value: Any, dtype: str) -> Any:
    """A JSON output value as numpy: {"b64": ...} as bytes, lists of them as object arrays."""
    if dtype != "string":
        return np.asarray(value, dtype)
    if isinstance(value, dict):
        return base64.b64decode(value["b64"])
    if isinstance(value, str):
        return value.encode("utf-8")
    decoded = [_from_json(element, dtype) for element in value]
    array = np.empty(len(decoded), object)
    array[:] = decoded
    return array


def read_rest_response(signature: Signature, response: dict[str, Any]) -> dict[str, Any]:
    """The outputs of a REST predict answer, by name, as `zoo.load` returns them.

    Args:
        signature: the declaration of the signature called.
        response: the parsed JSON answer, `{"predictions": ...}` (rows) or
            `{"outputs": ...}` (columns); TF Serving names the outputs only when
            there are several.

    Returns:
        Each output as a numpy array (an object array of bytes for a batch of
        strings) or as bytes (one string).

    Raises:
        ServingError: the answer is TF Serving's `{"error": ...}`, or has neither key.
    """
    names = signature.output_names
    dtypes = {output.name: output.dtype for output in signature.outputs}
    if "error" in response:
        raise ServingError(f"TF Serving refused {signature.name}(): {response['error']}")
    if "outputs" in response:
        outputs = response["outputs"]
        named = outputs if len(names) > 1 else {names[0]: outputs}
    elif "predictions" in response:
        rows = response["predictions"]
        named = ({name: [row[name] for row in rows] for name in names} if len(names) > 1
                 else {names[0]: rows})
    else:
        raise ServingError(f"TF Serving's answer to {signature.name}() has neither "
                           f"'predictions' nor 'outputs': {sorted(response)}.")
    return {name: _from_json(named[name], dtypes[name]) for name in names}


def post_json(url: str, body: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    """POSTs a JSON body and returns the JSON answer (TF Serving's errors included).

    Raises:
        ServingError: nothing answers at the URL, or the answer is not JSON.
    """
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read()
    except urllib.error.HTTPError as error:
        # TF Serving answers a refused request with a 4xx status and {"error": ...}.
        text = error.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ServingError(f"Cannot reach TF Serving at {url} ({reason}); start it (see "
                           "docs/serving.md, 'Serving with TF Serving') or pass --host/--port."
                           ) from None
    try:
        return json.loads(text)
    except ValueError:
        raise ServingError(f"The answer from {url} is not JSON: {text[:200]!r}.") from None


def tensor_protos(signature: Signature, values: dict[str, Any]) -> dict[str, Any]:
    """The inputs of a gRPC `PredictRequest`, as `tf.TensorProto`s of the declared dtypes.

    Needs TensorFlow only, not `tensorflow-serving-api`.

    Raises:
        zoo.errors.InputError: a value does not match its declaration.
    """
    import tensorflow as tf

    dtypes = {spec.name: tf.as_dtype(spec.dtype) for spec in signature.inputs}
    return {name: tf.make_tensor_proto(value, dtypes[name])
            for name, value in check_inputs(signature, values).items()}


def _serving_apis() -> tuple[Any, Any]:
    """`tensorflow_serving.apis`' predict_pb2 and prediction_service_pb2_grpc, or a clear error."""
    try:
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    except ImportError:
        raise ConfigurationError(f"gRPC requests need the optional package {GRPC_PACKAGE}: "
                                 f"`pip install {GRPC_PACKAGE}`; or use REST.") from None
    return predict_pb2, prediction_service_pb2_grpc


def predict_request(model: str, signature: Signature, values: dict[str, Any],
                    version: int | None = None) -> Any:
    """A gRPC `tensorflow.serving.PredictRequest` for one signature.

    Raises:
        zoo.errors.ConfigurationError: `tensorflow-serving-api` is not installed.
        zoo.errors.InputError: a value does not match its declaration.
    """
    predict_pb2, _ = _serving_apis()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature.name
    if version is not None:
        request.model_spec.version.value = version
    for name, proto in tensor_protos(signature, values).items():
        request.inputs[name].CopyFrom(proto)
    return request


def _numpy(proto: Any) -> Any:
    """A TensorProto as `zoo.load` returns outputs: an array, or bytes for one string."""
    import tensorflow as tf

    array = tf.make_ndarray(proto)
    return array.item() if array.dtype == object and array.ndim == 0 else array


def read_grpc_response(signature: Signature, response: Any) -> dict[str, Any]:
    """The outputs of a `PredictResponse`, by name, as `zoo.load` returns them."""
    return {name: _numpy(response.outputs[name]) for name in signature.output_names}


def call_grpc(request: Any, host: str = "localhost", port: int = GRPC_PORT,
              timeout: float = 60.0) -> Any:
    """Sends a `PredictRequest` to TF Serving's gRPC port and returns its `PredictResponse`.

    Raises:
        ServingError: the server cannot be reached or refuses the request (the
            message is the server's).
    """
    import grpc

    _, prediction_service_pb2_grpc = _serving_apis()
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            return stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise ServingError(f"TF Serving at {host}:{port} answered "
                               f"{request.model_spec.signature_name}() with {error.code().name}: "
                               f"{error.details()}") from None
