"""The classifier cache: reused under the same record, refused under another, replaced without
one, and written whole."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from zoo.evaluation.cache import (CLASSIFIER_FILE, CLASSIFIER_RECORD, ClassifierCacheError,
                                  cached_classifier, load_or_train)

RECORD = {"architecture": "tiny-v1", "epochs": 1, "seed": 0}


def _tiny(bias: float) -> keras.Model:
    inputs = keras.Input((2,))
    layer = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros")
    model = keras.Model(inputs, layer(inputs))
    layer.bias.assign([bias])
    return model


def _bias(model: keras.Model) -> float:
    return float(model.predict(np.zeros((1, 2)), verbose=0)[0, 0])


def test_a_classifier_is_trained_once_then_loaded_under_the_same_record(tmp_path):
    trained = []

    def train() -> keras.Model:
        trained.append(True)
        return _tiny(3.0)

    model, trained_now = load_or_train(tmp_path / "run", RECORD, train)
    assert trained_now and _bias(model) == 3.0
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == [CLASSIFIER_RECORD,
                                                                          CLASSIFIER_FILE]
    assert json.loads((tmp_path / "run" / CLASSIFIER_RECORD).read_text()) == RECORD
    model, trained_now = load_or_train(tmp_path / "run", RECORD, train)
    assert not trained_now and _bias(model) == 3.0 and len(trained) == 1


def test_a_classifier_of_another_record_is_refused_naming_what_differs_and_the_flag(tmp_path):
    load_or_train(tmp_path, RECORD, lambda: _tiny(1.0))
    with pytest.raises(ClassifierCacheError, match=r"epochs 1 \(this run: 2\); pass another "
                                                   r"--classifier-run-dir"):
        load_or_train(tmp_path, {**RECORD, "epochs": 2}, lambda: _tiny(2.0),
                      run_dir_flag="--classifier-run-dir")


@pytest.mark.parametrize("record", [None, "not json", "[1, 2]"])
def test_a_classifier_without_a_readable_record_is_replaced(tmp_path, record):
    load_or_train(tmp_path, RECORD, lambda: _tiny(1.0))
    if record is None:
        (tmp_path / CLASSIFIER_RECORD).unlink()
    else:
        (tmp_path / CLASSIFIER_RECORD).write_text(record)
    assert cached_classifier(tmp_path, RECORD) is None
    model, trained_now = load_or_train(tmp_path, RECORD, lambda: _tiny(2.0))
    assert trained_now and _bias(model) == 2.0
    assert json.loads((tmp_path / CLASSIFIER_RECORD).read_text()) == RECORD
    assert _bias(cached_classifier(tmp_path, RECORD)) == 2.0


def test_no_folder_is_no_cache(tmp_path):
    assert cached_classifier(tmp_path / "none", RECORD) is None
