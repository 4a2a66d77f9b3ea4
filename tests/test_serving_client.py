"""The TF Serving clients (zoo.serving, examples/serving_client.py): the REST bodies and gRPC
tensors they build from zoo.json fit the exports' signatures (names, dtypes, shapes), and give
zoo.load's outputs when fed to the SavedModel in the v1 session loader, as TF Serving's C++
does. A stand-in server speaks TF Serving's REST JSON (its json_tensor.cc rules: rows are
stacked into batches, {"b64": ...} is decoded for string inputs, string outputs named *_bytes
are sent as {"b64": ...}, one output is sent without its name)."""

from __future__ import annotations

import base64
import contextlib
import http.server
import importlib.util
import json
import threading
import types
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import serving
from zoo.errors import ConfigurationError
from zoo.families.testing import family_cases
from zoo.images import read_image
from helpers import REPO
from serving_exports import example_values, png, tiny_exports


@pytest.fixture(scope="module")
def exports():
    return tiny_exports()


def client():
    """examples/serving_client.py as a module."""
    spec = importlib.util.spec_from_file_location("serving_client",
                                                  REPO / "examples" / "serving_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StandIn:
    """A SavedModel in the v1 session loader, answering predict requests as TF Serving does."""

    def __init__(self, folder: Path) -> None:
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            self.meta_graph = tf.compat.v1.saved_model.loader.load(self.session, ["serve"],
                                                                   str(folder))

    def run(self, signature: str, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        declared = self.meta_graph.signature_def[signature]
        assert set(feed) == set(declared.inputs)
        for name, value in feed.items():
            info = declared.inputs[name]
            assert tf.as_dtype(info.dtype) == tf.as_dtype(value.dtype if value.dtype != object
                                                          else tf.string), name
            assert tf.TensorShape(info.tensor_shape).is_compatible_with(value.shape), name
        names = list(declared.outputs)
        values = self.session.run([declared.outputs[name].name for name in names],
                                  {declared.inputs[name].name: value
                                   for name, value in feed.items()})
        return dict(zip(names, values))

    def rest(self, body: dict) -> dict:
        """TF Serving's answer to a REST predict body (`{"error": ...}` for a refused one)."""
        declared = self.meta_graph.signature_def[body["signature_name"]]
        dtypes = {name: tf.as_dtype(info.dtype) for name, info in declared.inputs.items()}
        if "instances" in body:
            rows = body["instances"]
            assert all(isinstance(row, dict) and set(row) == set(dtypes) for row in rows)
            columns = {name: [row[name] for row in rows] for name in dtypes}
        else:
            columns = body["inputs"]
        feed = {name: _tensor(columns[name], dtypes[name]) for name in dtypes}
        try:
            outputs = self.run(body["signature_name"], feed)
        except tf.errors.InvalidArgumentError as error:
            return {"error": error.message}
        encoded = {name: _json(value, name.endswith("_bytes")) for name, value in outputs.items()}
        if "instances" in body:
            count = len(next(iter(outputs.values())))
            rows = [{name: value[index] for name, value in encoded.items()}
                    for index in range(count)]
            return {"predictions": [row.popitem()[1] for row in rows] if len(encoded) == 1
                    else rows}
        return {"outputs": next(iter(encoded.values())) if len(encoded) == 1 else encoded}

    def close(self) -> None:
        self.session.close()


def _tensor(value, dtype: tf.DType) -> np.ndarray:
    """A JSON value as TF Serving reads it: {"b64": ...} decoded; ints only for int inputs."""
    def strings(item):
        if isinstance(item, list):
            return [strings(element) for element in item]
        return base64.b64decode(item["b64"]) if isinstance(item, dict) else item.encode()

    if dtype == tf.string:
        decoded = strings(value)
        if not isinstance(decoded, list):
            return np.array(decoded, object)
        array = np.empty(len(decoded), object)  # the zoo's string inputs are vectors
        array[:] = decoded
        return array
    if dtype.is_integer:
        assert all(isinstance(item, int) for item in np.ravel(value).tolist()), value
    return np.asarray(value, dtype.as_numpy_dtype)


def _json(value: np.ndarray, as_bytes: bool):
    """An output as TF Serving writes it in JSON."""
    if as_bytes:
        def b64(item):
            return {"b64": base64.b64encode(item).decode()}
        return b64(value) if isinstance(value, bytes) else [b64(item) for item in value]
    return value.tolist()


def _same(outputs: dict, expected, signature) -> None:
    expected = expected if isinstance(expected, dict) else {signature.output_names[0]: expected}
    assert list(outputs) == list(signature.output_names)
    for name, value in expected.items():
        if isinstance(value, bytes):
            assert outputs[name] == value
        elif value.dtype == object:
            assert outputs[name].tolist() == value.tolist()
        else:
            np.testing.assert_allclose(outputs[name], value, atol=1e-5)


@pytest.mark.parametrize("family", [case.name for case in family_cases()])
def test_requests_fit_the_export_and_give_zoo_loads_outputs(exports, family):
    loaded = zoo.load(exports[family])
    cases = {}
    for name, signature in loaded.signatures.items():
        values = example_values(signature)
        called = serving.target(exports[family], name)
        assert (called.model, called.signature) == (loaded.name, signature)
        forms = ["columns"] + (["rows"] if all(spec.batched for spec in signature.inputs) else [])
        cases[name] = (values, loaded.call(name, **values),
                       {form: serving.rest_body(signature, values, form) for form in forms})
    stand_in = StandIn(exports[family])
    try:
        for name, (values, expected, bodies) in cases.items():
            signature = loaded.signatures[name]
            for form, body in bodies.items():
                assert body["signature_name"] == name
                # Through JSON text, as the request and the answer travel.
                answer = json.loads(json.dumps(stand_in.rest(json.loads(json.dumps(body)))))
                assert "error" not in answer, answer
                _same(serving.read_rest_response(signature, answer), expected, signature)
            protos = serving.tensor_protos(signature, values)
            served = stand_in.run(name, {key: tf.make_ndarray(proto)
                                         for key, proto in protos.items()})
            response = types.SimpleNamespace(outputs={key: tf.make_tensor_proto(value)
                                                      for key, value in served.items()})
            _same(serving.read_grpc_response(signature, response), expected, signature)
    finally:
        stand_in.close()


def test_the_requests_above_include_encoded_images(exports):
    """Some family's signatures carry bytes (`*_bytes` in and out, `*_png` out), so the
    requests above send and read {"b64": ...} too."""
    assert any(name.endswith(("_bytes", "_png")) for folder in exports.values()
               for name in zoo.load(folder).signatures)


def test_the_two_rest_forms(exports):
    declared = zoo.load(exports["cgan"]).signatures
    width = declared["generate"].inputs[0].shape[1]
    latent = np.zeros((2, width), np.float32)
    rows = serving.rest_body(declared["generate"], {"latent": latent, "labels": [2, 3]})
    assert rows == {"signature_name": "generate",
                    "instances": [{"latent": [0.0] * width, "labels": 2},
                                  {"latent": [0.0] * width, "labels": 3}]}
    columns = serving.rest_body(declared["generate"], {"latent": latent, "labels": [2, 3]},
                                "columns")
    assert columns["inputs"]["labels"] == [2, 3] and len(columns["inputs"]["latent"]) == 2
    assert serving.rest_body(declared["sample_png"], {"count": 4, "seed": 0, "label": 1}) == \
        {"signature_name": "sample_png", "inputs": {"count": 4, "seed": 0, "label": 1}}
    with pytest.raises(ConfigurationError, match=r"sample_png\(\) cannot be sent in rows "
                                                 r"\('instances'\): its input\(s\) 'count', "
                                                 r"'seed', 'label' are not batches"):
        serving.rest_body(declared["sample_png"], {"count": 4, "seed": 0, "label": 1}, "rows")
    image = png(np.zeros((4, 4, 3), np.uint8))
    body = serving.rest_body(zoo.load(exports["pix2pix"]).signatures["translate_bytes"],
                             {"image_bytes": [image]})
    assert body["instances"] == [{"image_bytes": {"b64": base64.b64encode(image).decode()}}]


def test_values_are_checked_before_anything_is_sent(exports):
    model = zoo.load(exports["cgan"])
    declared = model.signatures["sample_png"]
    beyond = int(declared.inputs[-1].maximum) + 1
    with pytest.raises(ValueError, match=rf"sample_png\(\) expects 'label'.*; got "
                                         rf"{beyond}\."):
        serving.rest_body(declared, {"count": 4, "seed": 0, "label": beyond})
    with pytest.raises(ValueError, match=r"'count'.*got dtype float64"):
        serving.tensor_protos(declared, {"count": 4.5, "seed": 0, "label": 1})
    with pytest.raises(ConfigurationError, match=rf"{model.name} has no signature 'translate'; "
                                                 r"it has: generate\(latent, labels\); sample\("):
        serving.target(exports["cgan"], "translate")


def test_the_grpc_predict_request(exports):
    pytest.importorskip("tensorflow_serving.apis", reason=f"{serving.GRPC_PACKAGE} is optional")
    declared = zoo.load(exports["pix2pix"]).signatures["translate_bytes"]
    image = png(np.zeros((4, 4, 1), np.uint8))
    request = serving.predict_request("pix2pix_facades", declared, {"image_bytes": [image]}, 3)
    assert (request.model_spec.name, request.model_spec.signature_name,
            request.model_spec.version.value) == ("pix2pix_facades", "translate_bytes", 3)
    assert tf.make_ndarray(request.inputs["image_bytes"]).tolist() == [image]


@contextlib.contextmanager
def rest_server(folder: Path):
    """A stand-in TF Serving REST server on a free local port, for the export in `folder`."""
    stand_in = StandIn(folder)
    paths = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            paths.append(self.path)
            answer = stand_in.rest(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = json.dumps(answer).encode()
            self.send_response(400 if "error" in answer else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        stand_in.close()


def test_the_client_translates_an_image_file_over_rest(exports, tmp_path, capsys):
    folder = exports["pix2pix"]
    name = zoo.load(folder).name
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(tf.io.encode_jpeg(np.full((40, 30, 3), 90, np.uint8)).numpy())
    with rest_server(folder) as (port, paths):
        assert client().main([str(folder), "translate_bytes", "--image", str(photo),
                              "--port", str(port), "--out", str(tmp_path / "out")]) == 0
        assert paths == [f"/v1/models/{name}:predict"]
        written = tmp_path / "out" / f"{name}_translate_bytes_0.png"
        assert f"wrote {written} (image_bytes, " in capsys.readouterr().out
        assert written.read_bytes() == zoo.load(folder).translate_bytes([photo.read_bytes()])[0]
        # The server's refusal, as one line.
        text = tmp_path / "notes.txt"
        text.write_text("not an image")
        # An entry's folder of versions, and one of them.
        assert client().main([str(folder.parent), "translate_bytes", "--image", str(text),
                              "--port", str(port), "--version", "1"]) == 2
        assert paths[-1] == f"/v1/models/{name}/versions/1:predict"
        error = capsys.readouterr().err
        assert error.startswith("error: TF Serving refused translate_bytes(): ") and \
            "neither a JPEG nor a PNG image" in error


def test_the_client_draws_a_png_grid_over_rest(exports, tmp_path, capsys):
    folder = exports["cgan"]
    with rest_server(folder) as (port, _):
        assert client().main([str(folder), "sample_png", "--count", "5", "--seed", "2",
                              "--label", "3", "--port", str(port), "--out", str(tmp_path)]) == 0
    model = zoo.load(folder)
    written = tmp_path / f"{model.name}_sample_png.png"
    assert written.read_bytes() == model.sample_png(count=5, seed=2, label=3)
    assert capsys.readouterr().out.startswith(f"wrote {written} (png_bytes, ")


def test_the_client_saves_array_outputs_as_npy(exports, tmp_path, capsys):
    folder = exports["vae"]
    model = zoo.load(folder)
    # A file larger than the input's fixed size is resized as zoo.images.read_image does.
    digit = tmp_path / "digit.png"
    digit.write_bytes(png(np.random.default_rng(0).integers(0, 256, (28, 28, 1), np.uint8)))
    with rest_server(folder) as (port, _):
        assert client().main([str(folder), "encode", "--images", str(digit),
                              "--port", str(port), "--out", str(tmp_path)]) == 0
    height, width, channels = model.signatures["encode"].inputs[0].shape[1:]
    expected = model.encode(read_image(digit, channels, (height, width))[None])
    for name in ("mean", "log_variance"):
        np.testing.assert_allclose(np.load(tmp_path / f"{model.name}_encode_{name}.npy"),
                                   expected[name], atol=1e-5)
    assert f"(mean: float32 of shape {expected['mean'].shape}, values " in (
        capsys.readouterr().out)


def test_the_client_dry_run_prints_the_request(exports, capsys):
    folder = exports["cgan"]
    assert client().main([str(folder), "sample_png", "--count", "3", "--seed", "1", "--label",
                          "2", "--host", "gpu-box", "--dry-run"]) == 0
    url, body = capsys.readouterr().out.splitlines()
    assert url == f"POST http://gpu-box:8501/v1/models/{zoo.load(folder).name}:predict"
    assert json.loads(body) == {"signature_name": "sample_png",
                                "inputs": {"count": 3, "seed": 1, "label": 2}}


@pytest.mark.parametrize("argv, quieted", [
    (["encode", "--images", "DIGIT"], True),  # image files are decoded by TensorFlow
    (["encode", "--images", "DIGIT", "--verbose"], False),
    (["sample", "--count", "2", "--seed", "0", "--grpc"], True),  # TensorProtos
    (["sample", "--count", "2", "--seed", "0"], False),  # a REST call needs no TensorFlow
])
def test_the_client_hides_tensorflows_start_up_lines_unless_verbose(argv, quieted, exports,
                                                                    tmp_path, capsys):
    digit = tmp_path / "digit.png"
    digit.write_bytes(png(np.zeros((28, 28, 1), np.uint8)))
    module = client()
    calls = []
    # TensorFlow is already imported in this process, so only the call can be seen.
    module.quiet_tensorflow = lambda: calls.append(True)
    argv = [str(digit) if part == "DIGIT" else part for part in argv]
    if "--grpc" in argv:
        pytest.importorskip("tensorflow_serving")
    assert module.main([str(exports["vae"]), *argv, "--dry-run"]) == 0
    assert calls == ([True] if quieted else [])


def test_the_client_says_what_is_wrong_in_one_line(exports, capsys):
    folder = str(exports["cgan"])
    assert client().main([folder, "sample_png", "--count", "0", "--seed", "1", "--label", "2",
                          "--dry-run"]) == 2
    assert capsys.readouterr().err == ("error: sample_png() expects 'count': number of images to "
                                       "draw, int32 of shape () with values in [1, 4096]; got 0."
                                       "\n")
    missing = Path(folder).parent / "missing.png"
    assert client().main([str(exports["vae"]), "encode", "--images", str(missing),
                          "--dry-run"]) == 2
    assert capsys.readouterr().err == f"error: {missing} does not exist; pass a JPEG or PNG file.\n"
    for name in ("missing.npy", "zoo.json.npy"):  # absent, and not an array
        array = Path(folder).parent / name
        if name != "missing.npy":
            array.write_text("{}")
        assert client().main([folder, "sample", "--count", str(array), "--seed", "1",
                              "--label", "2", "--dry-run"]) == 2
        reason = "does not exist" if name == "missing.npy" else "cannot be read"
        assert capsys.readouterr().err.startswith(f"error: --count {array} {reason}")
    with socket_without_server() as port:
        assert client().main([folder, "sample", "--count", "1", "--seed", "1", "--label", "2",
                              "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: Cannot reach TF Serving at http://localhost:{port}/") and \
        error.count("\n") == 1


@contextlib.contextmanager
def socket_without_server():
    """A local port that nothing listens on (bound, so no other test takes it)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        yield taken.getsockname()[1]


def test_the_client_over_grpc(exports, tmp_path, capsys):
    """The gRPC path end to end, against a stand-in PredictionService."""
    pytest.importorskip("tensorflow_serving.apis", reason=f"{serving.GRPC_PACKAGE} is optional")
    from concurrent import futures

    import grpc
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    folder = exports["vae"]
    stand_in = StandIn(folder)

    class Service(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            outputs = stand_in.run(request.model_spec.signature_name,
                                   {name: tf.make_ndarray(proto)
                                    for name, proto in request.inputs.items()})
            response = predict_pb2.PredictResponse()
            for name, value in outputs.items():
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
            return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Service(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        assert client().main([str(folder), "sample_png", "--count", "4", "--seed", "0", "--grpc",
                              "--port", str(port), "--out", str(tmp_path)]) == 0
    finally:
        server.stop(None)
        stand_in.close()
    written = tmp_path / f"{zoo.load(folder).name}_sample_png.png"
    assert written.read_bytes() == zoo.load(folder).sample_png(count=4, seed=0)
    assert capsys.readouterr().out.startswith(f"wrote {written}")


def test_the_client_sends_the_default_of_an_input_left_out(exports, capsys):
    folder = exports["diffusion"]
    sample = zoo.load(folder).signatures["sample_png"]
    defaults = {spec.name: spec.default for spec in sample.inputs if spec.default is not None}
    assert set(defaults) == {"steps", "eta"}
    assert client().main([str(folder), "sample_png", "--count", "2", "--seed", "1",
                          "--dry-run"]) == 0
    _, body = capsys.readouterr().out.splitlines()
    assert json.loads(body)["inputs"] == {"count": 2, "seed": 1, **defaults}
    # Given, a value replaces the default; an input without one is still required.
    assert client().main([str(folder), "sample_png", "--count", "2", "--seed", "1",
                          "--steps", "3", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[1])["inputs"]["steps"] == 3
    with pytest.raises(SystemExit) as exit_info:
        client().main([str(folder), "sample_png", "--count", "2", "--dry-run"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --seed" in capsys.readouterr().err
