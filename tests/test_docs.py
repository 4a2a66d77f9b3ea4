"""The README and the pages of docs/ stay true to the code: every link and picture resolves,
every Python block parses and runs, and every command shown names a real script, subcommand
and flags (parsed by the command's own parser, without running it)."""

from __future__ import annotations

import argparse
import ast
import configparser
import contextlib
import importlib
import importlib.util
import io
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

import zoo.command
from zoo import serving
from zoo.registry import get_entry
from zoo.runtime import cli
from helpers import REPO, newest_shipped

README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = (README, *sorted(DOCS.glob("*.md")))
INDEX = DOCS / "index.md"
SHELL_BLOCKS = ("", "bash", "sh", "shell", "console")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<info>[\w-]*)\s*$")
INLINE_CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a)\s[^>]*?\b(?:src|href)=\"(?P<target>[^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
COMMAND_START = re.compile(r"^(zoo|pip|python -m zoo|python (recipes|benchmarks|examples)/\S+\.py)"
                           r"(\s|$)")
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}
REDIRECTIONS = {">", ">>", "<", ">&", "<<"}
README_COMMANDS = (
    'pip install . && zoo sample vae_mnist --out vae_mnist_samples.png',
    'pip install -e ".[test]" && python -m pytest -q -n 2',
)
"""The README's two set-up commands: install and draw, install and test (what `.ci/run` runs)."""


@dataclass(frozen=True)
class Block:
    """A fenced code block of a page: its info string, its text, and its first line."""

    page: Path
    line: int
    info: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, indented ones (inside list items) included."""
    blocks, lines = [], page.read_text().split("\n")
    start, opening, body = None, None, []
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line)
        if start is None and match:
            start, opening, body = number, match, []
        elif start is not None and match and match["fence"] == opening["fence"] \
                and not match["info"]:
            indent = len(opening["indent"])
            code = "\n".join(text[indent:] if not text[:indent].strip() else text.lstrip()
                             for text in body)
            blocks.append(Block(page, start, opening["info"], code))
            start = None
        elif start is not None:
            body.append(line)
    assert start is None, f"{page.relative_to(REPO)}:{start}: a code block is never closed"
    return blocks


def _prose(text: str) -> str:
    """A page's text without its fenced code blocks (each line blanked, so line numbers
    stay)."""
    lines, inside, opening = text.split("\n"), False, ""
    for number, line in enumerate(lines):
        match = FENCE.match(line)
        if match and (not inside or (match["fence"] == opening and not match["info"])):
            inside, opening = not inside, match["fence"]
            lines[number] = ""
        elif inside:
            lines[number] = ""
    return "\n".join(lines)


def _slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    for match in HEADING.finditer(_prose(page.read_text())):
        slug, count = _slug(match["title"]), 0
        while (slug if not count else f"{slug}-{count}") in anchors:
            count += 1
        anchors.add(slug if not count else f"{slug}-{count}")
    return anchors


def _links(text: str) -> Iterator[tuple[int, str]]:
    """Each relative link and picture of a page's prose (not in code), with its line."""
    prose = INLINE_CODE.sub(lambda match: re.sub(r"[^\n]", " ", match[0]), _prose(text))
    for pattern in (LINK, HTML_LINK):
        for match in pattern.finditer(prose):
            target = match["target"]
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):
                yield prose.count("\n", 0, match.start()) + 1, target


def _link_cases() -> list[tuple[Path, int, str]]:
    return [(page, line, target) for page in PAGES for line, target in _links(page.read_text())]


def _broken(page: Path, target: str) -> str | None:
    """What is wrong with a link of `page` to `target`, or None when it resolves."""
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    if not resolved.is_relative_to(REPO):
        return f"{target} leaves the repository"
    if not resolved.is_file():
        return f"{target} names no file"
    if anchor and anchor not in _anchors(resolved):
        return (f"{target}: {resolved.name} has no heading #{anchor} (its anchors: "
                f"{', '.join(sorted(_anchors(resolved)))})")
    return None


@pytest.mark.parametrize("page, line, target", [
    pytest.param(*case, id=f"{case[0].relative_to(REPO)}:{case[1]}:{case[2]}")
    for case in _link_cases()])
def test_every_link_and_picture_resolves(page: Path, line: int, target: str):
    assert not _broken(page, target), f"{page.relative_to(REPO)}:{line}: {_broken(page, target)}"


def test_the_link_check_finds_links_and_refuses_broken_ones():
    """Markdown and HTML links and pictures are found (not those in code), and a missing file,
    a missing heading or a way out of the repository is refused."""
    text = ("[a](python.md#where-exports-are-found-and-written) and `[b](x.md)`\n"
            "```\n[c](y.md)\n```\n![d](d.png) <img width=\"9\" src=\"e.png\"> [f](https://x.org)")
    assert sorted(_links(text)) == [(1, "python.md#where-exports-are-found-and-written"),
                                    (5, "d.png"), (5, "e.png")]
    page = DOCS / "command.md"
    assert _broken(page, "python.md#where-exports-are-found-and-written") is None
    assert _broken(page, "../README.md#set-up") is None
    assert "names no file" in _broken(page, "pyhton.md")
    assert "has no heading #where-exports-are" in _broken(page, "python.md#where-exports-are")
    assert "has no heading" in _broken(page, "#nowhere")
    assert "leaves the repository" in _broken(page, "../../README.md")
    assert _slug("Mixed precision (`--precision`)") == "mixed-precision---precision"


def test_every_page_is_linked_from_the_readme_or_the_index():
    linked = {(page.parent / target.partition("#")[0]).resolve()
              for page in (README, INDEX) for _, target in _links(page.read_text())}
    assert INDEX in linked
    unlinked = [page.name for page in PAGES[1:] if page != INDEX and page not in linked]
    assert not unlinked, f"pages no reader can reach from the README or docs/index.md: {unlinked}"


def _repository_paths(text: str) -> Iterator[str]:
    """The source files (`*.py`) and folders (`name/`) of the repository a text names."""
    for word in re.findall(r"[\w./<>-]+", text):
        if re.match(r"^(zoo|tests|benchmarks|examples|recipes|\.ci)/", word) \
                and (word.endswith(".py") or word.endswith("/")):
            yield word


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_source_file_named_exists(page: Path):
    """The files and folders the prose names in code spans (`zoo/losses.py`) exist."""
    named = {path for match in INLINE_CODE.finditer(_prose(page.read_text()))
             for path in _repository_paths(match[1])}
    missing = sorted(path for path in named
                     if not re.search(r"<|[A-Z]{2,}", path) and not (REPO / path).exists())
    assert not missing, f"{page.relative_to(REPO)} names files that do not exist: {missing}"


def test_the_layout_of_the_code_names_what_exists():
    """Each row of docs/index.md's layout: its path exists (`<family>` for every family,
    `<entry>` for every entry, or under exported/ every entry that ships an export), and so
    do the files it lists beside it."""
    layout = next(block for block in _blocks(INDEX) if block.info == "text")
    places = {"<family>": [path.name for path in (REPO / "zoo" / "families").iterdir()
                           if (path / "__init__.py").is_file()],
              "<entry>": list(zoo.available())}
    shipped = [entry for entry in zoo.available() if (REPO / "exported" / entry).is_dir()]
    assert shipped, "no shipped export found under exported/"
    missing, folder = [], REPO
    for row in layout.code.splitlines():
        first, _, rest = row.partition(" ")
        if first:
            folder = first
        files = [folder, *(word if "/" in word else f"{folder.rstrip('/')}/{word}"
                           for word in re.findall(r"[\w/<>]+\.py", rest))]
        for path in files:
            names = [path]
            for placeholder, values in places.items():
                if placeholder == "<entry>" and path.startswith("exported/"):
                    values = shipped
                names = [name.replace(placeholder, value) for name in names
                         for value in (values if placeholder in name else [placeholder])]
            missing += [name for name in names if not _exists(name)]
    assert not missing, (f"the layout in docs/index.md names what does not exist: "
                         f"{sorted(set(missing))}")


def _exists(name: str) -> bool:
    """Whether a layout path exists; `<v>` stands for any version folder (a number) there."""
    if "<v>" not in name:
        return (REPO / name).exists()
    before, _, after = name.partition("<v>")
    parent = REPO / before
    return parent.is_dir() and any(version.name.isdigit() and (version / after).exists()
                                   for version in parent.iterdir())


def _resolves(name: str) -> bool:
    """Whether a dotted name (`zoo.paths.search_roots`) is a module or an attribute of one."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            if not hasattr(found, part):
                return False
            found = getattr(found, part)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_python_name_mentioned_exists(page: Path):
    """The package's functions, classes and modules the prose names (`zoo.errors.InputError`,
    `zoo.paths.search_roots()`) exist; `zoo.json` is the metadata file, not a module."""
    named = {match[0] for span in INLINE_CODE.finditer(_prose(page.read_text()))
             for match in [re.match(r"zoo(\.[A-Za-z_]\w*)+", span[1])]
             if match and match[0] != "zoo.json"}
    missing = sorted(name for name in named if not _resolves(name))
    assert not missing, f"{page.relative_to(REPO)} names what the package lacks: {missing}"


def test_a_misspelled_python_name_does_not_resolve():
    assert _resolves("zoo.errors.InputError") and _resolves("zoo.families.gan")
    assert not _resolves("zoo.errors.InputEror")
    assert not _resolves("zoo.famlies.gan.GAN")


def _python_blocks() -> list[Block]:
    return [block for page in PAGES for block in _blocks(page) if block.info == "python"]


@pytest.mark.parametrize("block", [pytest.param(block, id=block.where)
                                   for block in _python_blocks()])
def test_every_python_block_runs(block: Block, tmp_path: Path, monkeypatch):
    """Each block parses, and runs against the shipped exports in an empty folder (with a
    photo.jpg to read), so a renamed function or signature breaks this test, not a reader."""
    import tensorflow as tf

    tree = ast.parse(block.code, filename=block.where)
    monkeypatch.delenv("ZOO_EXPORTED_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    photo = tf.cast(tf.random.stateless_uniform((64, 96, 3), (0, 0), maxval=256, dtype=tf.int32),
                    tf.uint8)
    (tmp_path / "photo.jpg").write_bytes(tf.io.encode_jpeg(photo).numpy())
    exec(compile(tree, block.where, "exec"), {"__name__": "__docs__"})


@dataclass(frozen=True)
class Command:
    """A command shown on a page, as the words the shell would pass; `whole` when it is a
    complete command (a shell block's), not a mention in the prose (`zoo translate`)."""

    where: str
    words: tuple[str, ...]
    whole: bool

    def __str__(self) -> str:
        return shlex.join(self.words)


def _shell_lines(code: str) -> Iterator[tuple[int, list[str]]]:
    """The logical lines of a shell block as tokens, with their first line's offset: lines
    continued by a backslash or by an open quote are one."""
    pending, first = "", 0
    for number, line in enumerate(code.split("\n")):
        if not pending:
            first = number
        pending += line + "\n"
        if line.endswith("\\"):
            pending = pending[:-2] + " "
            continue
        lexer = shlex.shlex(pending, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:
            continue
        pending = ""
        yield first, tokens
    assert not pending, f"an unfinished shell line: {pending!r}"


def _simple_commands(tokens: list[str]) -> Iterator[list[str]]:
    """The simple commands of a shell line: split at pipes, `&&`, `;` and subshells, without
    redirections or leading variable assignments."""
    words: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token in REDIRECTIONS:
            skip = True
        elif token in SEPARATORS:
            yield words
            words = []
        elif words or not re.match(r"^\w+=", token):
            words.append(token)
    yield words


def _placeholder(word: str) -> bool:
    """A word that stands for a value in a usage line (`ENTRY`, `[--seed S]`, `<entry>`)."""
    return bool(re.fullmatch(r"[A-Z][A-Z_]*(\.\.\.)?|\[.*|[^\[]*\]|\{.*\}|.*\.\.\.|.*\|.*", word)
                or re.search(r"<[^>]*>", word))


def _commands() -> list[Command]:
    """Every command of the pages' shell blocks, and every command written inline in their
    prose; a usage line (`zoo sample ENTRY [--count N]`) gives the names it is sure of."""
    found = []
    for page in PAGES:
        for block in _blocks(page):
            if block.info not in SHELL_BLOCKS:
                continue
            for number, tokens in _shell_lines(block.code):
                for words in _simple_commands(tokens):
                    if words:
                        where = f"{page.relative_to(REPO)}:{block.line + 1 + number}"
                        found.append(Command(where, tuple(words), True))
        prose = _prose(page.read_text())
        for match in INLINE_CODE.finditer(prose):
            text = " ".join(match[1].split())
            if not COMMAND_START.match(text):
                continue
            words = shlex.split(text)
            if any(_placeholder(word) for word in words):
                words = _usage_names(words)
            if words:
                line = prose.count("\n", 0, match.start()) + 1
                found.append(Command(f"{page.relative_to(REPO)}:{line}", tuple(words), False))
    return found


def _usage_names(words: list[str]) -> list[str]:
    """What a usage line of the `zoo` command names for certain: the subcommand and its
    options (`zoo sample ENTRY [--count N]` -> `zoo sample --count`); nothing for others."""
    if words[0] != "zoo":
        return []
    names = [word.strip("[]") for word in words[1:]]
    subcommand = [name for name in names[:1] if not _placeholder(name) and name[0] != "-"]
    return ["zoo", *subcommand, *(name for name in names if name.startswith("-"))]


def _parses(parse: Callable[[list[str]], Any], words: list[str]) -> Any:
    """What `parse` makes of a whole command's `words`; a usage error fails the test with the
    parser's own message (`--help` passes)."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            return parse(words)
    except SystemExit as exit:
        assert not exit.code, stderr.getvalue().strip()


def _takes_options(parser: argparse.ArgumentParser, words: list[str]) -> None:
    """For a mention in the prose: each option among `words` is one of the parser's."""
    for word in words:
        option = word.split("=")[0]
        if option.startswith("-") and not re.fullmatch(r"-[\d.]+", option):
            assert option in parser._option_string_actions, f"{parser.prog} takes no {option}"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(action.choices for action in parser._actions
                if isinstance(action, argparse._SubParsersAction))


def _check_zoo(words: list[str], whole: bool) -> None:
    """`zoo ...`: the `zoo` command's parser takes it, and `zoo train ENTRY FLAGS` passes
    FLAGS to the entry's recipe parser."""
    parser = zoo.command.build_parser()
    if whole:
        _parses(parser.parse_args, words)
    command = [word for word in words if word not in ("-v", "--verbose")]
    options = [word for word in command if word.startswith("-")][:1]
    if not command or command[:1] == options:
        _takes_options(parser, options)
        return
    assert command[0] in _subcommands(parser), f"zoo has no subcommand {command[0]}"
    if command[0] == "train" and command[1:2] and not command[1].startswith("-"):
        _check_recipe(command[1], command[2:], whole)
    elif not whole:
        _takes_options(_subcommands(parser)[command[0]], command[1:])


def _check_recipe(name: str, flags: list[str], whole: bool) -> None:
    entry = get_entry(name)
    if whole:
        _parses(lambda argv: cli.parse_args(entry, argv), flags)
    else:
        _takes_options(cli.build_parser(entry), flags)


def _script(path: Path) -> ModuleType:
    """A script of the checkout imported as a module (registered in sys.modules, which
    dataclasses need to resolve annotations)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _check_script(script: str, flags: list[str]) -> None:
    """`python recipes|benchmarks|examples/<name>.py FLAGS`: the script exists and its parser
    takes the flags."""
    path = REPO / script
    assert path.is_file(), f"no script {script}"
    if path.parent.name == "recipes":
        _check_recipe(path.stem, flags, True)
    elif path.parent.name == "benchmarks":
        _parses(_script(path).parse_args, flags)
    else:
        _check_serving_client(_script(path), flags)


def _check_serving_client(client: ModuleType, words: list[str]) -> None:
    """examples/serving_client.py MODEL SIGNATURE FLAGS: its own flags, then the inputs the
    signature declares."""
    args, rest = _parses(client._parser().parse_known_args, words)
    called = serving.target(args.model, args.signature, args.version)
    inputs = client.input_parser(called.signature, f"{args.model} {args.signature}")
    _parses(inputs.parse_args, rest)


def _check_pip(words: list[str]) -> None:
    """`pip install .[extra]`: the extras exist in setup.cfg."""
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    extras = set(setup["options.extras_require"])
    for word in words:
        match = re.fullmatch(r"\.\[(?P<extras>[\w,-]+)\]", word)
        if match:
            assert set(match["extras"].split(",")) <= extras, f"unknown extra in {word}"


def _check(words: list[str], whole: bool) -> None:
    """Checks a command the zoo can check (zoo, its scripts, pip, python -c); others pass."""
    if words[0] == "zoo":
        _check_zoo(words[1:], whole)
    elif words[:3] == ["python", "-m", "zoo"]:
        _check_zoo(words[3:], whole)
    elif words[:2] == ["python", "-c"]:
        ast.parse(words[2])
    elif words[0] == "python" and words[1:2] and words[1].endswith(".py"):
        _check_script(words[1], words[2:])
    elif words[0] == "pip":
        _check_pip(words)


@pytest.mark.parametrize("command", [
    pytest.param(command, id=f"{command.where}:{command}") for command in _commands()
    if command.words[0] in ("zoo", "python", "pip")])
def test_every_command_names_real_scripts_and_flags(command: Command):
    _check(list(command.words), command.whole)


@pytest.mark.parametrize("words, whole, error", [
    ("zoo smaple vae_mnist", True, "invalid choice: 'smaple'"),
    ("zoo smaple", False, "zoo has no subcommand smaple"),
    ("zoo sample vae_mnist --cuont 4", True, "unrecognized arguments: --cuont 4"),
    ("zoo translate --tkae right", False, "takes no --tkae"),
    ("zoo sample --cuont", False, "takes no --cuont"),
    ("zoo train vae_mnist --epoks 5", True, "unrecognized arguments: --epoks"),
    ("zoo train vae_mnist --epoks 5", False, "takes no --epoks"),
    ("python recipes/vae_mnist.py --lerning-rate 1e-3", True, "unrecognized arguments"),
    ("python recipes/vae_mnsit.py", True, "no script recipes/vae_mnsit.py"),
    ("python benchmarks/gan_quality.py --entri dcgan_mnist", True, "unrecognized arguments"),
    ("python examples/serving_client.py vae_mnist sample --count 4 --seed 0 --sed 1", True,
     "unrecognized arguments: --sed 1"),
    ("python -c 'import zoo; zoo.available(' ", True, "was never closed"),
    ('pip install -e ".[tests]"', True, "unknown extra"),
])
def test_a_misspelled_command_fails_the_check(words: str, whole: bool, error: str):
    with pytest.raises((AssertionError, SyntaxError), match=re.escape(error)):
        _check(shlex.split(words), whole)


def test_the_command_check_sees_blocks_and_prose():
    commands = {(str(command), command.whole) for command in _commands()}
    assert ("zoo sample vae_mnist --out vae_mnist_samples.png", True) in commands
    assert ("zoo translate pix2pix_facades test/1.jpg --take right --out facades/",
            False) in commands
    assert ("zoo sample --count --label --seed --steps --eta --version --out", False) in commands
    assert any(text.startswith("python recipes/cyclegan_horse2zebra.py --data-dir") and whole
               for text, whole in commands)
    assert any(text.startswith("python examples/serving_client.py") and whole
               for text, whole in commands)


def test_the_readme_keeps_its_two_commands(tmp_path: Path, monkeypatch):
    """The install-and-draw and the install-and-test commands, exactly; the test command is
    the one CI runs; the drawing runs here against the shipped export."""
    shell = [block.code.strip() for block in _blocks(README) if block.info in SHELL_BLOCKS]
    for command in README_COMMANDS:
        assert command in shell
    test_command = README_COMMANDS[1].split(" && ")[1]
    assert (REPO / ".ci" / "run").read_text().rstrip().endswith(f"\n{test_command}")
    monkeypatch.delenv("ZOO_EXPORTED_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    draw = README_COMMANDS[0].split(" && ")[1]
    assert zoo.command.main(shlex.split(draw)[1:]) == 0
    assert (tmp_path / "vae_mnist_samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


IMG_TAG = re.compile(r"<img\b[^>]*>")


def _sized_pictures() -> list[tuple[Path, str, int]]:
    """Every `<img src=... width=N>` of the pages: (page, picture, the width it is shown at)."""
    found = []
    for page in PAGES:
        for tag in IMG_TAG.findall(page.read_text()):
            src, width = re.search(r'src="([^"]+)"', tag), re.search(r'width="(\d+)"', tag)
            if src and width and src[1].endswith(".png"):
                found.append((page, src[1], int(width[1])))
    return found


@pytest.mark.parametrize("page, picture, width", [
    pytest.param(*case, id=f"{case[0].relative_to(REPO)}:{case[1]}") for case in _sized_pictures()])
def test_pictures_are_shown_at_their_native_width(page: Path, picture: str, width: int):
    import struct

    header = (page.parent / picture).read_bytes()[:24]
    native = struct.unpack(">I", header[16:20])[0]  # the PNG IHDR's width
    assert width == native, \
        f"{page.relative_to(REPO)} shows {picture} ({native} px wide) at {width} px"


def _ood_table(page: Path) -> tuple[str, dict[str, dict[str, str]]]:
    """The out-of-distribution table of a family page: the entry its benchmark command
    measures, and each row's cells by column header."""
    text = page.read_text()
    command = re.search(r"^python benchmarks/outlier_detection\.py ood .*--models (\w+)\s*$",
                        text, re.M)
    assert command, f"{page.relative_to(REPO)} shows no `outlier_detection.py ood` command"
    lines = text[command.end():].split("\n\n|", 1)[1].split("\n\n")[0].splitlines()
    header = [cell.strip().strip("`") for cell in ("|" + lines[0]).strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[1:], cells[1:]))
    return command[1], rows


@pytest.mark.parametrize("page", ["autoencoder.md", "vae.md"])
def test_the_outlier_figures_are_those_the_benchmark_recorded(page: str):
    """Each family page's out-of-distribution AUROCs are the ones its command,
    `benchmarks/outlier_detection.py ood --record`, wrote into the shipped export."""
    import json

    from zoo.evaluation.outliers import IW_NLL

    entry, rows = _ood_table(DOCS / page)
    record = json.loads((newest_shipped(entry) / "zoo.json").read_text())[
        "evaluation"]["out_of_distribution"]
    assert len(rows) >= 8
    shown = set()
    for names, cells in rows.items():
        for name in names.split(", "):
            shown.add(name)
            index = record["sets"].index(name)
            for header, value in cells.items():
                score = re.sub(r"^IW NLL", IW_NLL, header)
                assert f"{record['auroc_percent'][score][index]:.1f}" == value, \
                    (page, name, header)
    assert shown == set(record["sets"])  # every set, none left out
