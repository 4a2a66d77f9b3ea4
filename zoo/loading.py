"""`zoo.load`: an exported model whose signatures take and return numpy arrays.

The version folder is read as `zoo.export_format` describes it, and inputs are
checked against the signature declarations by `zoo.input_checks`.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from zoo.errors import (ConfigurationError, DamagedExportError, ExportError, ExportNotFoundError,
                        InputError)
from zoo.export_format import (MANIFEST_KEY, METADATA_FILE, WEIGHTS_KEY, check_files,
                               damaged_export, matched_weights, read_metadata, train_command)
from zoo.input_checks import check_inputs
from zoo.outliers import QUANTILES_KEY
from zoo.paths import EXPORTED_ENV, find_entry, remove_stale_staging, search_roots, versions
from zoo.registry import ENTRIES, NAME_PATTERN
from zoo.signatures import Signature

_RECORD_ADVICE = ("record them with zoo.rewrite_signatures.record_score_quantiles(folder, "
                  "dataset, split, data_dir) on a held-out split the model was not trained on.")

VALID_PATH = ("an entry's folder of numbered version folders, such as exported/vae_mnist, or "
              "one version folder, such as exported/vae_mnist/1")
"""What a directory passed to `load` must be, for the messages refusing one."""


def _load_saved_model(folder: Path) -> Any:
    """`tf.saved_model.load`, with a failure on unreadable files as a DamagedExportError.

    The last line of defence, for exports without a file record and damage the
    record cannot see; the message names the folder and the first line of the cause.
    """
    import tensorflow as tf
    from google.protobuf.message import DecodeError

    try:
        return tf.saved_model.load(str(folder))
    except (tf.errors.OpError, DecodeError, ValueError, OSError, IndexError, KeyError) as error:
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise damaged_export(folder, f"TensorFlow cannot load its SavedModel "
                                     f"({type(error).__name__}: {cause})") from error


def _graph_refusal(declaration: Signature, error: Exception) -> str:
    """One line for inputs the graph refused, from the TensorFlow error's own message."""
    lines = [line for line in str(getattr(error, "message", error)).splitlines()
             if line.strip() and not line.startswith(
                 ("Graph execution error", "Detected at node", "<stack traces", "\t"))]
    text = re.sub(r"\s*\[Op:[^\]]*\]$", "", lines[0] if lines else type(error).__name__)
    text = text.replace("\\'", "'")  # TensorFlow escapes the quotes of assertion messages
    assertion = re.fullmatch(r"assertion failed: \[(.*)\] \[(.*)\]", text)
    if assertion:  # tf.debugging.Assert's "[message] [value]"
        return f"{assertion[1]} {assertion[2]}."
    if text.startswith("input '"):  # the declared checks' own messages
        return f"{declaration.name}() expects {text[len('input '):]}."
    strings = [repr(spec.name) for spec in declaration.inputs if spec.dtype == "string"]
    if strings:
        return f"{declaration.name}() could not decode {', '.join(strings)}: {text}"
    return f"{declaration.name}() could not compute on its inputs: {text}"


def _signature_doc(declaration: Signature) -> str:
    """A signature's declaration as the docstring of its method: `help(model.sample)`."""
    inputs = "\n".join(f"    {spec.expected()}" for spec in declaration.inputs)
    outputs = "\n".join(f"    {output.name}" + (f": {output.description}" if output.description
                                                  else "") for output in declaration.outputs)
    returns = ("the one output's array" if len(declaration.outputs) == 1
               else "a dict of the outputs' arrays, by name")
    return (f"{declaration.description}.\n\nInputs (numpy-like, by position or name; checked "
            f"before they reach TensorFlow):\n{inputs}\n\nOutputs ({returns}):\n{outputs}\n")


class ExportedModel:
    """A loaded export. Each serving signature is a method: `model.decode(latent=z)`.

    Inputs are numpy-like, given by position or by name, and are checked
    against the signature's declaration (shape, dtype, value range) before
    they reach TensorFlow; string inputs (the `*_bytes` signatures' encoded
    images) take a list of `bytes`. Inputs only the graph can judge (bytes that
    do not decode as an image) are refused with an `InputError` too. An input that
    declares a default (a sampler's number of steps, say) may be left out. A signature
    with one output returns that array; one with several returns a dict of
    arrays. A string output is `bytes` (`sample_png`'s one PNG) or an object
    array of `bytes` (one PNG per example).

    Attributes:
        path: the version folder that was loaded.
        metadata: the export's `zoo.json` (entry, model config, training details).
        signatures: the signature declarations, by name.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metadata = read_metadata(path)
        check_files(path, self.metadata.get(MANIFEST_KEY))
        self.signatures = {data["name"]: Signature.from_json(data)
                           for data in self.metadata["signatures"]}
        self._saved_model = _load_saved_model(path)

    @property
    def name(self) -> str:
        return self.metadata["entry"]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.signatures))

    def __getattr__(self, name: str) -> Any:
        signatures = self.__dict__.get("signatures", {})
        if name not in signatures:
            raise AttributeError(
                f"{type(self).__name__} {self.__dict__.get('path')} has no signature {name!r}; "
                f"it has: {', '.join(signatures)}.")
        declaration = signatures[name]

        def method(*args: Any, **kwargs: Any) -> np.ndarray | dict[str, np.ndarray]:
            return self.call(name, *args, **kwargs)

        method.__name__ = method.__qualname__ = name
        method.__doc__ = _signature_doc(declaration)
        method.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
            inspect.Parameter(spec.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=inspect.Parameter.empty if spec.default is None
                              else spec.default) for spec in declaration.inputs])
        return method

    def call(self, signature: str, *args: Any, **kwargs: Any) -> np.ndarray | dict[str, np.ndarray]:
        """Runs one signature on numpy inputs; see the class docstring."""
        import tensorflow as tf

        declaration = self.signatures[signature]
        names = [spec.name for spec in declaration.inputs]
        usage = f"{signature}({', '.join(names)})"
        if len(args) > len(names):
            raise TypeError(f"{usage} takes {len(names)} inputs; got {len(args)}.")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names or key in given:
                raise TypeError(f"{usage}: unexpected or repeated input {key!r}.")
            given[key] = value
        missing = [spec.name for spec in declaration.inputs
                   if spec.name not in given and spec.default is None]
        if missing:
            raise TypeError(f"{usage}: missing input {', '.join(missing)}.")
        dtypes = {spec.name: spec.dtype for spec in declaration.inputs}
        # String inputs arrive as object arrays of bytes, which tf.constant takes as tf.string.
        inputs = {name: tf.constant(array, tf.as_dtype(dtypes[name]))
                  for name, array in check_inputs(declaration, given).items()}
        try:
            outputs = self._saved_model.signatures[signature](**inputs)
        except tf.errors.InvalidArgumentError as error:
            # Checks only the graph can make: the bytes of an image that does not decode, say.
            raise InputError(_graph_refusal(declaration, error)) from None
        # A string output comes back as bytes (a scalar) or an object array of bytes.
        result = {key: outputs[key].numpy() for key in declaration.output_names}
        return result[declaration.output_names[0]] if len(result) == 1 else result

    @property
    def score_quantiles(self) -> dict[str, Any] | None:
        """The held-out distribution of each `score` output its export recorded
        (`zoo.outliers.quantile_record`), or None when it recorded none.

        Example:
            >>> import zoo
            >>> record = zoo.load("vae_mnist").score_quantiles
            >>> record["recommended"], record["split"]
            ('complexity_corrected', 'test[8000:]')
        """
        return self.metadata.get(QUANTILES_KEY)

    def outlier_scores(self, images: Any, output: str | None = None) -> dict[str, np.ndarray]:
        """Each image's outlier score, its percentile among typical data, and the verdict.

        The images go through the export's `score` signature; each score is placed
        among the held-out scores its export recorded (`score_quantiles`), and an
        image is an outlier when its score is above their 99th percentile: about 1%
        of typical images are flagged (`zoo.outliers.THRESHOLD_PERCENTILE`).

        Args:
            images: NHWC float images in [0, 1], as `score` takes them.
            output: the `score` output judged; None for the recommended one, its first.

        Returns:
            `{"score": (n,) float32, "percentile": (n,) 0 to 100, "outlier": (n,) bool}`.

        Raises:
            zoo.errors.ConfigurationError: the export has no `score` signature (the
                message names the entries that score), or no output `output`.
            zoo.errors.ExportError: the export recorded no quantiles (the message
                says how to record them).
            zoo.errors.InputError: the images do not fit the signature.

        Example:
            >>> import numpy as np, zoo
            >>> vae = zoo.load("vae_mnist")
            >>> blank = np.zeros((1, 28, 28, 1), "float32")
            >>> bool(vae.outlier_scores(blank)["outlier"][0])
            True
        """
        from zoo.outliers import by_output, outlier_verdicts, scoring_signature

        declaration = scoring_signature(self)
        if output is not None and output not in declaration.output_names:
            raise ConfigurationError(f"{declaration.name}() of {self.name} has no output "
                                     f"{output!r}; it has {', '.join(declaration.output_names)}.")
        record = self.checked_score_quantiles()
        try:
            scores = self.call(declaration.name, images)
        except InputError as error:
            # The caller called outlier_scores(images), not score(images): say so.
            raise InputError(str(error).replace(f"{declaration.name}(", "outlier_scores(", 1)
                             ) from None
        scores = by_output(scores, declaration.output_names)
        output = output or declaration.output_names[0]
        return outlier_verdicts(record, scores[output], output)

    def checked_score_quantiles(self) -> dict[str, Any]:
        """`score_quantiles`, checked to parse and to be of the `score` outputs the export
        computes now.

        Raises:
            zoo.errors.ConfigurationError: the export has no `score` signature.
            zoo.errors.ExportError: it recorded no quantiles, or recorded them for other
                outputs (its signatures were rewritten since); the message says how to
                record them.
            zoo.errors.DamagedExportError: the record does not parse.
        """
        from zoo.outliers import check_record, scoring_signature

        declaration = scoring_signature(self)
        record = self.score_quantiles
        if record is None:
            raise ExportError(
                f"{self.path} records no score quantiles ({QUANTILES_KEY!r} in its "
                f"{METADATA_FILE}), so its scores cannot be read as percentiles of typical data. "
                f"Exports trained with a validation split record them; {_RECORD_ADVICE}")
        try:
            check_record(record)
        except ValueError as error:
            raise damaged_export(self.path, f"its {QUANTILES_KEY!r} record does not parse: "
                                            f"{error}") from None
        if list(record["outputs"]) != list(declaration.output_names):
            raise ExportError(
                f"{self.path}'s score quantiles were recorded for the outputs "
                f"{', '.join(record['outputs'])}, but its {declaration.name}() returns "
                f"{', '.join(declaration.output_names)} (its signatures were rewritten since); "
                f"{_RECORD_ADVICE}")
        return record

    def keras_model(self):
        """The exported network as a Keras model of its family, with the exported weights.

        For evaluation or fine-tuning in Python; serving uses the signatures.

        Example:
            >>> import zoo
            >>> vae = zoo.load("vae_mnist").keras_model()
            >>> vae.latent_dim
            16
        """
        from zoo.families import get_family

        model = get_family(self.metadata["family"]).model_class.from_config(
            self.metadata["model_config"])
        sources = matched_weights(model, self.metadata.get(WEIGHTS_KEY),
                                  self._saved_model.variables)
        if sources is None:
            raise DamagedExportError(f"The variables in {self.path} do not match the architecture "
                                     f"in its {METADATA_FILE}; re-export the model.")
        for target, source in zip(model.variables, sources):
            target.assign(source)
        return model

    def __repr__(self) -> str:
        return f"<ExportedModel {self.name} from {self.path}: {', '.join(self.signatures)}>"


def _version_folder(entry_dir: Path, version: int | None, what: str) -> Path:
    # Staging folders of exports killed mid-way would otherwise stay forever.
    remove_stale_staging(entry_dir)
    available = versions(entry_dir)
    if not available:
        raise ExportNotFoundError(
            f"No exported versions of {what} in {entry_dir}; train and export one with "
            f"`{train_command(entry_dir.name)}`, or point {EXPORTED_ENV} at a folder of "
            "exports.")
    if version is None:
        return entry_dir / str(available[-1])
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigurationError(f"version must be an int, such as {available[-1]}; got "
                                 f"{version!r}.")
    if version not in available:
        raise ConfigurationError(f"{what} has no version {version!r}; available versions: "
                                 f"{', '.join(map(str, available))}.")
    return entry_dir / str(version)


def resolve(name_or_path: str | os.PathLike, version: int | None = None) -> Path:
    """The version folder `zoo.load` would load; see `load`."""
    if isinstance(name_or_path, str) and NAME_PATTERN.match(name_or_path):
        roots = search_roots()
        searched = ", ".join(map(str, roots))
        entry_dir = find_entry(name_or_path, roots)
        if entry_dir is None and name_or_path not in ENTRIES:
            known = sorted(set(ENTRIES) | {path.name for root in roots for path in root.glob("*")
                                           if versions(path)})
            raise ConfigurationError(f"Unknown zoo entry {name_or_path!r}; known entries: "
                                     f"{', '.join(known)} (exports searched in {searched}).")
        if entry_dir is None:
            raise ExportNotFoundError(
                f"No exported versions of {name_or_path!r} in {searched}; train and export one "
                f"with `{train_command(name_or_path)}`, or point {EXPORTED_ENV} at a folder of "
                "exports.")
        return _version_folder(entry_dir, version, repr(name_or_path))
    if isinstance(name_or_path, str) and not os.path.isabs(name_or_path) \
            and not name_or_path.startswith("./"):
        raise ConfigurationError(
            f"{name_or_path!r} is neither an entry name (lower-case letters, digits and "
            f"underscores; known: {', '.join(ENTRIES)}) nor a path: pass a directory as "
            "pathlib.Path, as an absolute path or starting with './'.")
    path = Path(name_or_path).expanduser()
    given = os.fspath(name_or_path)  # as the user wrote it: `./x`, not `x`
    if not path.is_dir():
        raise ExportNotFoundError(f"No export directory at {given}: pass an existing export "
                                  f"folder ({VALID_PATH}), or an entry name from "
                                  "zoo.available() (`zoo list` lists them).")
    if (path / "saved_model.pb").is_file():
        if version is not None:
            raise ConfigurationError(f"{path} is a single version folder; do not pass "
                                     f"version={version!r}.")
        folder = path
    elif not versions(path):
        # Training applies only to a folder named after an entry: one it may export into.
        train = (f", or train and export one with `{train_command(path.name)}`"
                 if path.name in ENTRIES else "")
        raise ExportNotFoundError(f"{given} holds no export versions (no numbered folders with "
                                  f"a saved_model.pb); pass {VALID_PATH}{train}.")
    else:
        folder = _version_folder(path, version, given)
    if not (folder / METADATA_FILE).is_file():
        raise ExportNotFoundError(f"{folder} has no {METADATA_FILE}; it was not exported by the "
                                  "zoo.")
    return folder


def load(name_or_path: str | os.PathLike, version: int | None = None) -> ExportedModel:
    """Loads an exported zoo model.

    Args:
        name_or_path: an entry name (`"vae_mnist"`), looked up in the folders of
            `zoo.paths.search_roots()`: $ZOO_EXPORTED_DIR when set, `./exported`, the
            source checkout's `exported/`, then the copies installed with the package;
            the first one holding an export of it is used. Or a directory
            (`pathlib.Path`, absolute, or starting with `./`) holding either one
            version or numbered version folders. Names never contain path
            separators, so a name cannot leave the exported folders.
        version: the version number; None takes the highest.

    Returns:
        An `ExportedModel` whose methods are the export's signatures.

    Raises:
        zoo.errors.ConfigurationError: an unknown or malformed name, or a missing
            version (the message lists what is available); a ValueError.
        zoo.errors.ExportNotFoundError: no export where one was expected; a
            FileNotFoundError.
        zoo.errors.DamagedExportError: the export's files are missing, truncated or
            altered, or its `zoo.json` does not parse (the message names the file).

    Example:
        >>> import zoo
        >>> vae = zoo.load("vae_mnist")
        >>> vae.sample(count=4, seed=0).shape
        (4, 28, 28, 1)
    """
    return ExportedModel(resolve(name_or_path, version))
