"""`zoo demo`: a Gradio app in the browser over the exports found along the search order, one
tab per export, served from this machine and working offline.

This module is the subcommand (its flags, the checks made before anything is loaded, the
loading); `app` builds and serves the app, `panels` holds the panels an export's signatures
call for, and `examples` draws the example pictures of the translation models. Gradio is an
optional extra (`pip install "zoo[demo]"`): only `app` and `panels` import it, when the
command runs.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import zoo
from zoo.command.common import DefaultsFormatter, bounded_int, exported_entries, start_tensorflow
from zoo.console import plural, progress
from zoo.errors import ConfigurationError, ExportNotFoundError
from zoo.paths import model_argument, search_roots

DEFAULT_PORT = 7860
DEFAULT_HOST = "127.0.0.1"
INSTALL = 'pip install "zoo[demo]"'


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `demo` to the command's subparsers."""
    parser = commands.add_parser(
        "demo", parents=parents, formatter_class=DefaultsFormatter,
        help="try the exports in the browser: a local Gradio app, one tab per export",
        description="Serves a Gradio app with one tab per export: samples for models that "
                    "sample, a latent space to explore for a VAE, translations for pix2pix "
                    "and CycleGAN models, outlier scores for models that score, as each "
                    "export's signatures allow. It runs offline and stops with Ctrl-C. Needs "
                    f"Gradio: {INSTALL}.")
    parser.add_argument("models", nargs="*", metavar="ENTRY",
                        help="entry names (e.g. vae_mnist) or export directories (default: "
                             "every entry exported along the search order, newest version)")
    parser.add_argument("--port", type=bounded_int("--port", 0, 65535), default=DEFAULT_PORT,
                        help="the port to serve on; 0 for any free one")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="the address to listen on: 127.0.0.1 serves this machine only; "
                             "0.0.0.0 every network interface")
    parser.set_defaults(run=run)


def _app() -> Any:
    """`zoo.command.demo.app`, which imports Gradio; without Gradio, one line naming the extra that
    installs it."""
    try:
        from zoo.command.demo import app
    except ImportError as error:
        if (error.name or "").split(".")[0] != "gradio":
            raise
        raise ConfigurationError(f"`zoo demo` needs Gradio, which is not installed ({error}); "
                                 f"install it with: {INSTALL}") from None
    return app


def exported_everywhere() -> list[str]:
    """Every entry with an export in some folder of the search order, sorted."""
    return sorted({name for root in search_roots() for name in exported_entries(root)})


def _load(arguments: list[str]) -> list[Any]:
    """The exports named (each resolved before any is loaded, so that a mistyped name fails
    at once), or every one found; the newest version of each."""
    from zoo.loading import resolve

    names = list(dict.fromkeys(arguments)) or exported_everywhere()
    if not names:
        raise ExportNotFoundError(f"no exports in {', '.join(map(str, search_roots()))}; train "
                                  "one with `zoo train ENTRY`, or pass an export directory.")
    folders = [resolve(model_argument(name)) for name in names]
    models = []
    for index, folder in enumerate(folders, 1):
        models.append(zoo.load(folder))
        progress(f"loaded {models[-1].name} from {folder} ({index}/{len(folders)})")
    return models


def run(args: argparse.Namespace) -> None:
    """Serves the app until interrupted."""
    demo = _app()
    port = demo.check_address(args.host, args.port)
    start_tensorflow(args.verbose)
    models = _load(args.models)
    app = demo.build_app(models)
    url = demo.serve(app, args.host, port)
    print(f"serving {plural(len(models), 'export')} at {url} (Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        app.close()
        progress("stopped")
