"""What an install holds and where it finds exports: every package and shipped file goes into
the wheel, and a name loads from the first folder of the search order that holds it.

The wheel itself is built, installed into a fresh virtualenv and used from outside the
checkout by .ci/run (.ci/smoke.py)."""

from __future__ import annotations

import configparser
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import zoo.paths
from zoo.errors import ConfigurationError, ExportNotFoundError, ZooWarning
from zoo.loading import resolve
from zoo.paths import exported_root, find_entry, model_argument, search_roots
from helpers import REPO, newest_shipped


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    return config


def test_every_folder_of_the_package_is_found_as_a_package_of_the_wheel():
    # setup.py finds the packages; the build test below proves that each one is copied.
    found = subprocess.run([sys.executable, "-c", "import runpy, setuptools; "
                            "setuptools.setup = lambda **kwargs: print(*kwargs['packages']); "
                            "runpy.run_path('setup.py')"], cwd=REPO, check=True,
                           capture_output=True, text=True, timeout=60).stdout.split()
    folders = {".".join(folder.relative_to(REPO).parts)
               for folder in [REPO / "zoo", *(REPO / "zoo").rglob("*")]
               if folder.is_dir() and any(folder.glob("*.py"))}
    assert set(found) == folders | {"zoo._exported"}
    assert all((REPO / name.replace(".", "/") / "__init__.py").is_file() for name in folders)
    assert _setup_cfg()["options"]["package_dir"].split() == ["zoo._exported", "=", "exported"]


def test_the_build_copies_every_module_and_every_shipped_export_file(tmp_path):
    # setuptools' own build step, as `pip wheel` runs it, into a scratch folder.
    subprocess.run([sys.executable, "setup.py", "-q",
                    "build_py", "--build-lib", str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True, timeout=120)
    built = {path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file()}
    modules = {path.relative_to(REPO) for path in (REPO / "zoo").rglob("*.py")
               if "__pycache__" not in path.parts}
    assert modules <= built
    shipped = {Path("zoo/_exported") / path.relative_to(REPO / "exported")
               for path in (REPO / "exported").rglob("*")
               if path.is_file() and not any(part.startswith(".") for part in path.parts)}
    assert {path.name for path in shipped} >= {"saved_model.pb", "fingerprint.pb", "zoo.json"}
    assert any("variables" in path.parts for path in shipped)
    assert {path for path in built if path.parts[:2] == ("zoo", "_exported")} == shipped
    assert _setup_cfg()["options.entry_points"]["console_scripts"].split() == [
        "zoo", "=", "zoo.command:main"]


def _fake_export(root: Path, name: str, version: int) -> Path:
    """A version folder as `versions()` and a load by name see it (only the name resolution
    is under test here; the loading tests load real exports)."""
    folder = root / name / str(version)
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"")
    return folder


@pytest.fixture
def four_roots(tmp_path, monkeypatch):
    """$ZOO_EXPORTED_DIR, ./exported, a checkout's exported/ and the installed copies, each
    holding a different mix of entries."""
    base = tmp_path.resolve()  # as os.getcwd() names the current folder
    roots = {what: base / what for what in ("env", "cwd/exported", "checkout", "package")}
    (base / "cwd").mkdir()
    monkeypatch.chdir(base / "cwd")
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(roots["env"]))
    monkeypatch.setattr(zoo.paths, "checkout_exports", lambda: roots["checkout"])
    monkeypatch.setattr(zoo.paths, "PACKAGE_EXPORTS", roots["package"])
    for what, entries in {"env": {"vae_mnist": 1},
                          "cwd/exported": {"vae_mnist": 2, "dcgan_mnist": 2},
                          "checkout": {"dcgan_mnist": 1, "cgan_mnist": 1},
                          "package": {"cgan_mnist": 3, "cyclegan_mnist_restyle": 1}}.items():
        for name, version in entries.items():
            _fake_export(roots[what], name, version)
    return roots


def test_a_name_loads_from_the_first_root_of_the_search_order_that_holds_it(four_roots,
                                                                            monkeypatch):
    roots = four_roots
    assert search_roots() == [roots["env"], roots["cwd/exported"], roots["checkout"],
                              roots["package"]]
    assert resolve("vae_mnist") == roots["env"] / "vae_mnist" / "1"
    assert resolve("dcgan_mnist") == roots["cwd/exported"] / "dcgan_mnist" / "2"
    assert resolve("cgan_mnist") == roots["checkout"] / "cgan_mnist" / "1"
    assert resolve("cyclegan_mnist_restyle") == roots["package"] / "cyclegan_mnist_restyle" / "1"
    # An entry folder without a version does not hide the next root's export.
    (roots["env"] / "dcgan_mnist").mkdir()
    assert find_entry("dcgan_mnist") == roots["cwd/exported"] / "dcgan_mnist"
    # Writes go to $ZOO_EXPORTED_DIR, else ./exported: never to the installed copies.
    assert exported_root() == roots["env"]
    assert model_argument("cgan_mnist", writing=True) == roots["env"] / "cgan_mnist"
    monkeypatch.delenv(zoo.paths.EXPORTED_ENV)
    assert exported_root() == roots["cwd/exported"]
    assert search_roots() == [roots["cwd/exported"], roots["checkout"], roots["package"]]
    assert resolve("vae_mnist") == roots["cwd/exported"] / "vae_mnist" / "2"


def test_a_name_no_root_holds_is_an_error_naming_every_root_searched(four_roots):
    searched = ", ".join(str(root) for root in four_roots.values())
    with pytest.raises(ExportNotFoundError) as error:
        resolve("pix2pix_facades")
    assert str(error.value) == (
        f"No exported versions of 'pix2pix_facades' in {searched}; train and export one with "
        "`zoo train pix2pix_facades`, or point ZOO_EXPORTED_DIR at a folder of exports.")
    with pytest.raises(ConfigurationError, match=rf"Unknown zoo entry 'vae_cifar'.*\(exports "
                                                 rf"searched in {searched}\)\."):
        resolve("vae_cifar")


def test_zoo_load_warns_once_of_an_exported_dir_that_is_no_folder(tmp_path, monkeypatch):
    missing = tmp_path / "no_such_folder"
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(missing))
    monkeypatch.chdir(tmp_path)
    with pytest.warns(ZooWarning) as caught:
        assert resolve("vae_mnist") == newest_shipped("vae_mnist")
        search_roots()
    assert [str(warning.message) for warning in caught] == [
        f"$ZOO_EXPORTED_DIR={missing} is not a folder; looking for exports in "
        f"{REPO / 'exported'} instead."]
    assert caught[0].filename == __file__  # the caller's line, not the zoo's
    # A folder without the entry: the documented fall-back along the search order, silently.
    (tmp_path / "mine").mkdir()
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(tmp_path / "mine"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve("vae_mnist") == newest_shipped("vae_mnist")


def test_this_checkout_is_searched_once_from_its_own_folder(monkeypatch):
    monkeypatch.delenv(zoo.paths.EXPORTED_ENV, raising=False)
    monkeypatch.chdir(REPO)
    roots = search_roots()
    assert roots[0] == REPO / "exported"
    assert len({root.resolve() for root in roots}) == len(roots)
    assert zoo.paths.checkout_exports() == REPO / "exported"
