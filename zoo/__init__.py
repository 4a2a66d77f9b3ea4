"""zoo: generative models you can train with one command, export for TF Serving and load by name.

`import zoo` is light: TensorFlow is imported when a model is first built or
loaded, so `zoo.available()` and the command line's `list` answer at once.

Example:
    >>> import zoo
    >>> "vae_mnist" in zoo.available()
    True
    >>> images = zoo.load("vae_mnist").sample(count=16, seed=0)
"""

from __future__ import annotations

from typing import Any

from zoo.registry import ENTRIES, get_entry

__all__ = ["ExportedModel", "available", "build", "load"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # `zoo.ExportedModel` without importing TensorFlow at `import zoo`.
    if name == "ExportedModel":
        from zoo.loading import ExportedModel

        return ExportedModel
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def load(name_or_path: Any, version: int | None = None) -> Any:
    """Loads an exported zoo model; see `zoo.loading.load` for the arguments and errors.

    Example:
        >>> load("vae_mnist").sample(count=4, seed=0).shape
        (4, 28, 28, 1)
    """
    from zoo.loading import load as load_export

    return load_export(name_or_path, version)


def available() -> dict[str, str]:
    """The zoo's entries, each with a one-line description.

    Example:
        >>> available()["vae_mnist"].startswith("Convolutional VAE")
        True
    """
    return {name: entry.description for name, entry in ENTRIES.items()}


def build(name: str, **overrides: Any):
    """The untrained model of an entry, for custom training.

    Args:
        name: an entry name from `available()`.
        **overrides: arguments of the family's model class to change or add (e.g.
            `latent_dim=2`, `beta=4.0`, `seed=0`); each is checked, and a bad one raises
            a `zoo.errors.ConfigurationError` naming it.

    Returns:
        The family's `keras.Model`, not compiled.

    Example:
        >>> vae = build("vae_mnist", latent_dim=2)
        >>> vae.latent_dim
        2
    """
    import inspect

    from zoo.errors import ConfigurationError
    from zoo.families import get_family

    entry = get_entry(name)
    model_class = get_family(entry.family).model_class
    known = [parameter for parameter in inspect.signature(model_class.__init__).parameters
             if parameter not in ("self", "kwargs")]
    unknown = set(overrides) - set(known)
    if unknown:
        raise ConfigurationError(f"Unknown model config key(s) {sorted(unknown)} for {name!r}; "
                                 f"known: {', '.join(known)}.")
    return model_class(**{**entry.model_config, **overrides})
