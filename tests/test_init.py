"""`import zoo` stays light: the registry answers without TensorFlow, which loads on first use."""

from __future__ import annotations

import subprocess
import sys


def test_import_zoo_and_list_entries_without_tensorflow():
    code = ("import sys, zoo; names = zoo.available(); "
            "print('vae_mnist' in names, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.split() == ["True", "False", "False"]


def test_exported_model_is_reachable_from_the_package():
    import zoo
    from zoo.loading import ExportedModel

    assert zoo.ExportedModel is ExportedModel
    assert isinstance(zoo.load("vae_mnist"), zoo.ExportedModel)
