"""The mode-coverage benchmark trains, scores and reports end to end, and refuses bad flags."""

from __future__ import annotations

import json

import pytest

from zoo.evaluation import MIXTURES
from helpers import benchmark_script


def _script():
    return benchmark_script("mode_coverage")


def test_a_tiny_run_prints_progress_the_published_rows_and_json_last(capsys):
    # One mixture: the script runs the same code for both (the grid's own parts, its mixture,
    # preset and published rows, are checked without training).
    dataset = "ring"
    assert _script().main(["--dataset", dataset, "--seeds", "1", "--steps", "3",
                           "--log-every", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["dataset"] == dataset and result["seeds"] == 1 and result["steps"] == 3
    output = "\n".join(lines)
    # The table a user reads and the JSON line report the same figures.
    mean_row = next(line for line in lines if "mean of 1 (this run)" in line).split()
    assert float(mean_row[-3]) == pytest.approx(result["modes"], abs=0.05)
    assert float(mean_row[-2].rstrip("%")) == pytest.approx(100 * result["high_quality"], abs=0.05)
    assert float(mean_row[-1]) == pytest.approx(result["reverse_kl"], abs=5e-4)
    # Progress after 2 steps, then after the remaining one.
    assert "seed 0 step 2/3" in output and "seed 0 step 3/3" in output
    assert "PacGAN4, Lin et al. 2018" in output and "mean of 1 (this run)" in output


def test_every_preset_builds_a_gan_whose_batch_fits_its_packs():
    module = _script()
    assert set(module.DEFAULT_CONFIG) == set(module.PUBLISHED) == set(MIXTURES)
    assert set(module.DEFAULT_CONFIG.values()) <= set(module.CONFIGS)
    for name, config in module.CONFIGS.items():
        assert config.batch_size % (config.pack * config.discriminator_steps) == 0, name
        gan = module.build_gan(config, steps=10, seed=0)
        assert gan.pack == config.pack and gan.loss_name == config.loss
        assert gan.maxout_pieces == config.maxout_pieces
    # PacGAN's own presets keep its maxout discriminator.
    assert module.CONFIGS["pacgan4"].maxout_pieces == module.CONFIGS["gan"].maxout_pieces == 5


@pytest.mark.parametrize("bad, message", [
    (["--dataset", "spiral"], "invalid choice"),
    (["--seeds", "0"], "--seeds must be a positive integer"),
    (["--steps", "-5"], "--steps must be a positive integer"),
    (["--config", "nope"], "unknown --config 'nope'"),
    (["--seeds", "two"], "invalid int value"),
])
def test_bad_flags_exit_with_a_message(bad, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _script().main(bad)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
