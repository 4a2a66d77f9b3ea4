"""zoo: generative models you can train with one command, export for TF Serving and load by name.

Example:
    >>> import zoo
    >>> "vae_mnist" in zoo.available()
    True
    >>> images = zoo.load("vae_mnist").sample(count=16, seed=0)
"""

from __future__ import annotations

from typing import Any

from zoo.loading import ExportedModel, load
from zoo.registry import ENTRIES, get_entry

__all__ = ["ExportedModel", "available", "build", "load"]
__version__ = "0.1.0"


def available() -> dict[str, str]:
    """The zoo's entries, each with a one-line description.

    Example:
        >>> sorted(available())[:1]
        ['vae_mnist']
    """
    return {name: entry.description for name, entry in ENTRIES.items()}


def build(name: str, **overrides: Any):
    """The untrained model of an entry, for custom training.

    Args:
        name: an entry name from `available()`.
        **overrides: model config values to change (e.g. `latent_dim=2`, `beta=4.0`).

    Returns:
        The family's `keras.Model`, not compiled.

    Example:
        >>> vae = build("vae_mnist", latent_dim=2)
        >>> vae.latent_dim
        2
    """
    from zoo.families import get_family

    entry = get_entry(name)
    unknown = set(overrides) - set(entry.model_config)
    if unknown:
        raise ValueError(f"Unknown model config key(s) {sorted(unknown)} for {name!r}; "
                         f"known: {', '.join(entry.model_config)}.")
    return get_family(entry.family).model_class(**{**entry.model_config, **overrides})
