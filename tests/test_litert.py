"""`zoo export-litert` and `zoo.litert`: the LiteRT files of an export's signatures, run with the
LiteRT interpreter (ai-edge-litert) as a device would, give `zoo.load`'s outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import newest_shipped
from serving_exports import example_values, tiny_exports

import zoo
from zoo.command import main
from zoo.errors import ConfigurationError
from zoo.export_format import sha256_of
from zoo.families import get_family
from zoo.litert import MANIFEST_FILE, export_litert, float32_model, run_signature
from zoo.signature_graphs import serving_function

CONVERTIBLE = {
    "autoencoder": ["reconstruct", "encode", "decode"],
    "vae": ["reconstruct", "encode", "decode"],
    "gan": ["generate"],
    "cgan": ["generate"],
    "diffusion": ["generate", "denoise"],
    "pix2pix": ["translate"],
    "cyclegan": ["a_to_b", "b_to_a"],
    "template": ["translate"],
}
"""The deterministic signatures of each family's export: those a device can run."""

FLOAT32 = 1e-5
"""Largest difference allowed between a float32 LiteRT file and a float32 SavedModel, on
outputs of order 1: both compute in float32, in other kernels and summation orders, so they
differ by round-off (measured at most 2e-6, on the tiny exports and on vae_mnist); a wrong
weight, layer or normalisation is off by 1e-2 or more."""

BFLOAT16 = 0.05
"""Largest difference allowed between a float32 LiteRT file and the graph of an export trained
in mixed bfloat16, which computes in bfloat16 (8 bits of mantissa, a relative round-off of
0.4% per operation): measured at most 0.020 on vae_mnist version 2's images, which is the
bfloat16 graph's own distance from the float32 model."""


def _outputs(model, name: str, values: dict) -> dict[str, np.ndarray]:
    """`zoo.load`'s outputs of signature `name`, by name."""
    result = getattr(model, name)(**values)
    return result if isinstance(result, dict) else {model.signatures[name].outputs[0].name:
                                                   result}


def _differences(found: dict, expected: dict) -> tuple[float, float]:
    """The largest and the mean absolute difference over every output."""
    assert set(found) == set(expected)
    gaps = np.concatenate([np.abs(np.asarray(found[key]) - expected[key]).ravel()
                           for key in expected])
    return float(gaps.max()), float(gaps.mean())


def test_every_family_converts_its_deterministic_signatures_and_matches_zoo_load(tmp_path):
    exports = tiny_exports()
    assert set(exports) == set(CONVERTIBLE), "a family without its expected LiteRT signatures"
    for case, folder in exports.items():
        model = zoo.load(folder)
        out = tmp_path / case
        manifest = export_litert(model, out, CONVERTIBLE[case])
        assert sorted(path.name for path in out.iterdir()) == sorted(
            [MANIFEST_FILE, *(f"{name}.tflite" for name in CONVERTIBLE[case])])
        assert json.loads((out / MANIFEST_FILE).read_text()) == manifest
        assert manifest["quantize"] == "none" and manifest["refused"] == {}
        for name in CONVERTIBLE[case]:
            record = manifest["signatures"][name]
            # The declaration travels with the file: inputs with their ranges, outputs.
            assert {key: record[key] for key in ("name", "inputs", "outputs")} == {
                key: model.signatures[name].to_json()[key] for key in ("name", "inputs",
                                                                       "outputs")}
            assert record["sha256"] == sha256_of(out / record["file"])
            values = example_values(model.signatures[name], seed=3)
            largest, _ = _differences(run_signature(out / record["file"], name, **values),
                                      _outputs(model, name, values))
            assert largest < FLOAT32, (case, name, largest)


def test_without_names_it_converts_what_converts_and_says_why_it_left_out_the_rest(tmp_path):
    model = zoo.load(tiny_exports()["cgan"])
    manifest = export_litert(model, tmp_path / "cgan")
    assert list(manifest["signatures"]) == ["generate"]
    refused = manifest["refused"]
    assert set(refused) == {"sample", "sample_png"}
    assert "random numbers from a seed" in refused["sample"]
    assert "convert `generate` (latent, labels)" in refused["sample"]
    assert "encoded images (png_bytes)" in refused["sample_png"]


def test_a_bf16_trained_export_converts_in_float32_and_quantizes(tmp_path):
    """vae_mnist version 2 trained in mixed bfloat16: its graph's convolutions compute in
    bfloat16, which LiteRT's builtin kernels lack; the files compute in float32."""
    model = zoo.load(newest_shipped("vae_mnist"))
    assert model.metadata["training"]["precision"] == "mixed_bfloat16"
    family = get_family(model.metadata["family"])
    reference = {signature.name: signature for signature in
                 family.signatures(float32_model(model))}
    latent = np.random.default_rng(0).normal(size=(16, 16)).astype("float32")
    sizes = {}
    for quantize, bound in (("none", FLOAT32), ("float16", 5e-3), ("dynamic-int8", 0.1)):
        out = tmp_path / quantize
        names = ["reconstruct", "encode", "decode"] if quantize == "none" else ["decode"]
        manifest = export_litert(model, out, names, quantize)
        sizes[quantize] = manifest["signatures"]["decode"]["bytes"]
        for name in names:
            values = ({"latent": latent} if name == "decode"
                      else example_values(model.signatures[name], seed=1))
            found = run_signature(out / f"{name}.tflite", name, **values)
            exact = {key: value.numpy() for key, value in serving_function(reference[name])(
                *(values[spec.name] for spec in reference[name].inputs)).items()}
            # Against the float32 model: round-off, or the quantization's measured error
            # (float16 weights: 1.2e-3; int8 weights and compute: 0.047).
            assert _differences(found, exact)[0] < bound, (quantize, name)
            if quantize == "none":
                largest, mean = _differences(found, _outputs(model, name, values))
                assert largest < BFLOAT16 and mean < 5e-3, (name, largest, mean)
    # float16 halves the weights, int8 quarters them (small layers are left in float32).
    assert 0.45 < sizes["float16"] / sizes["none"] < 0.55
    assert 0.2 < sizes["dynamic-int8"] / sizes["none"] < 0.3


def test_the_command_writes_the_files_and_lists_them(tmp_path, capsys):
    folder = tiny_exports()["gan"]
    out = tmp_path / "litert" / "gan"
    assert main(["export-litert", str(folder), "--out", str(out), "--quantize", "float16"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"{out / 'generate.tflite'}  ") and "(generate)" in lines[0]
    assert lines[-1] == str(out / MANIFEST_FILE)
    assert "left out sample: it draws random numbers" in captured.err
    assert json.loads((out / MANIFEST_FILE).read_text())["quantize"] == "float16"
    assert sorted(path.name for path in (tmp_path / "litert").iterdir()) == ["gan"]


@pytest.mark.parametrize("flags, message", [
    (["--signature", "sample"], "error: sample does not convert to LiteRT: it draws random "
                                "numbers from a seed"),
    (["--signature", "sample_png"], "error: sample_png does not convert to LiteRT: it returns "
                                    "encoded images (png_bytes)"),
    (["--signature", "generat"], "error: tiny_gan has no signature 'generat'; it has generate, "
                                 "sample, sample_png."),
    (["--quantize", "int4"], "argument --quantize: invalid choice: 'int4' (choose from "
                             "'none', 'float16', 'dynamic-int8')"),
])
def test_refusals_are_one_line_and_leave_nothing_behind(tmp_path, capsys, flags, message):
    out = tmp_path / "deep" / "er" / "out"  # folders made only for a run that succeeds
    try:
        status = main(["export-litert", str(tiny_exports()["gan"]), "--out", str(out), *flags])
    except SystemExit as exit:  # argparse's errors
        status = exit.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_out_folder_that_holds_files_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["export-litert", str(tiny_exports()["gan"]), "--out", str(tmp_path)]) == 2
    assert "already holds files; choose a new folder" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
    file = tmp_path / "notes.txt"
    assert main(["export-litert", str(tiny_exports()["gan"]), "--out", str(file)]) == 2
    assert f"--out {file} is a file, not a folder" in capsys.readouterr().err


def test_the_benchmark_reports_size_difference_and_latency_of_each_file(capsys):
    from helpers import benchmark_script

    folder = tiny_exports()["gan"]
    assert benchmark_script("litert").main(["--models", str(folder), "--quantize", "none",
                                            "float16", "--calls", "2"]) == 0
    output = capsys.readouterr().out.splitlines()
    rows = json.loads(output[-1])
    assert [(row["signature"], row["quantize"]) for row in rows] == [("generate", "none"),
                                                                    ("generate", "float16")]
    assert rows[0]["largest_difference"] < FLOAT32
    assert rows[1]["bytes"] < 0.6 * rows[0]["bytes"]
    assert all(row["litert_ms"] > 0 and row["saved_model_ms"] > 0 for row in rows)
    assert output[2].startswith("| `tiny_gan` 1 | `generate` | none | ")


def test_files_written_into_out_meanwhile_stop_the_move_without_losing_them(tmp_path,
                                                                            monkeypatch):
    import zoo.litert as litert

    out = tmp_path / "out"
    out.mkdir()
    convert = litert._convert

    def convert_while_another_run_writes(*args):
        (out / "generate.tflite").write_bytes(b"another run's")
        return convert(*args)

    monkeypatch.setattr(litert, "_convert", convert_while_another_run_writes)
    with pytest.raises(ConfigurationError, match="did another run write there meanwhile"):
        export_litert(zoo.load(tiny_exports()["gan"]), out, ["generate"])
    assert [path.name for path in tmp_path.iterdir()] == ["out"]
    assert (out / "generate.tflite").read_bytes() == b"another run's"
