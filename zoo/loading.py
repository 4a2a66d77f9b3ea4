"""`zoo.load`: an exported model whose signatures take and return numpy arrays."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from zoo.export import METADATA_FILE
from zoo.paths import EXPORTED_ENV, exported_root, versions
from zoo.registry import ENTRIES, NAME_PATTERN
from zoo.signatures import Signature


class ExportedModel:
    """A loaded export. Each serving signature is a method: `model.decode(latent=z)`.

    Inputs are numpy-like, given by position or by name, and are checked
    against the signature's declaration (shape, dtype, value range) before
    they reach TensorFlow. A signature with one output returns that array; one
    with several returns a dict of arrays.

    Attributes:
        path: the version folder that was loaded.
        metadata: the export's `zoo.json` (entry, model config, training details).
        signatures: the signature declarations, by name.
    """

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        self.path = path
        self.metadata = json.loads((path / METADATA_FILE).read_text())
        self.signatures = {data["name"]: Signature.from_json(data)
                           for data in self.metadata["signatures"]}
        self._saved_model = tf.saved_model.load(str(path))

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
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

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
        missing = [name for name in names if name not in given]
        if missing:
            raise TypeError(f"{usage}: missing input {', '.join(missing)}.")
        inputs = {spec.name: tf.constant(spec.check(signature, given[spec.name]))
                  for spec in declaration.inputs}
        outputs = self._saved_model.signatures[signature](**inputs)
        result = {key: outputs[key].numpy() for key in declaration.outputs}
        return result[declaration.outputs[0]] if len(result) == 1 else result

    def keras_model(self):
        """The exported network as a Keras model of its family, with the exported weights.

        For evaluation or fine-tuning in Python; serving uses the signatures.

        Example:
            >>> vae = zoo.load("vae_mnist").keras_model()
            >>> vae.latent_dim
            16
        """
        from zoo.families import get_family

        model = get_family(self.metadata["family"]).model_class.from_config(
            self.metadata["model_config"])
        exported = self._saved_model.variables
        if [tuple(v.shape) for v in exported] != [tuple(v.shape) for v in model.variables]:
            raise ValueError(f"The variables in {self.path} do not match the architecture in its "
                             f"{METADATA_FILE}; re-export the model.")
        for target, value in zip(model.variables, exported):
            target.assign(value)
        return model

    def __repr__(self) -> str:
        return f"<ExportedModel {self.name} from {self.path}: {', '.join(self.signatures)}>"


def _version_folder(entry_dir: Path, version: int | None, what: str) -> Path:
    available = versions(entry_dir)
    if not available:
        raise FileNotFoundError(
            f"No exported versions of {what} in {entry_dir}; train and export one with "
            f"`python recipes/<entry>.py`, or point {EXPORTED_ENV} at a folder of exports.")
    if version is None:
        return entry_dir / str(available[-1])
    if isinstance(version, bool) or not isinstance(version, int) or version not in available:
        raise ValueError(f"{what} has no version {version!r}; available versions: "
                         f"{', '.join(map(str, available))}.")
    return entry_dir / str(version)


def resolve(name_or_path: str | os.PathLike, version: int | None = None) -> Path:
    """The version folder `zoo.load` would load; see `load`."""
    if isinstance(name_or_path, str) and NAME_PATTERN.match(name_or_path):
        root = exported_root().resolve()
        entry_dir = (root / name_or_path).resolve()
        if entry_dir.parent != root:
            raise ValueError(f"{name_or_path!r} resolves outside {root}.")
        if not entry_dir.is_dir() and name_or_path not in ENTRIES:
            known = sorted(set(ENTRIES) | {path.name for path in root.glob("*") if versions(path)})
            raise ValueError(f"Unknown zoo entry {name_or_path!r}; known entries: "
                             f"{', '.join(known)} (exports are read from {root}).")
        return _version_folder(entry_dir, version, repr(name_or_path))
    if isinstance(name_or_path, str) and not os.path.isabs(name_or_path) \
            and not name_or_path.startswith("./"):
        raise ValueError(
            f"{name_or_path!r} is neither an entry name (lower-case letters, digits and "
            f"underscores; known: {', '.join(ENTRIES)}) nor a path: pass a directory as "
            "pathlib.Path, as an absolute path or starting with './'.")
    path = Path(name_or_path).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"No export directory at {path}.")
    if (path / "saved_model.pb").is_file():
        if version is not None:
            raise ValueError(f"{path} is a single version folder; do not pass version={version!r}.")
        folder = path
    else:
        folder = _version_folder(path, version, str(path))
    if not (folder / METADATA_FILE).is_file():
        raise FileNotFoundError(f"{folder} has no {METADATA_FILE}; it was not exported by the zoo.")
    return folder


def load(name_or_path: str | os.PathLike, version: int | None = None) -> ExportedModel:
    """Loads an exported zoo model.

    Args:
        name_or_path: an entry name (`"vae_mnist"`), resolved under the exported
            models folder ($ZOO_EXPORTED_DIR, else the repository's `exported/`);
            or a directory (`pathlib.Path`, absolute, or starting with `./`)
            holding either one version or numbered version folders. Names never
            contain path separators, so a name cannot leave the exported folder.
        version: the version number; None takes the highest.

    Returns:
        An `ExportedModel` whose methods are the export's signatures.

    Raises:
        ValueError: an unknown or malformed name, or a missing version (the
            message lists what is available).
        FileNotFoundError: no export where one was expected.

    Example:
        >>> import zoo
        >>> vae = zoo.load("vae_mnist")
        >>> vae.sample(count=4, seed=0).shape
        (4, 28, 28, 1)
    """
    return ExportedModel(resolve(name_or_path, version))
