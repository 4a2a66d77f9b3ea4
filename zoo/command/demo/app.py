"""The `zoo demo` app: one tab per export, its panels chosen by its signatures
(`zoo.command.demo.panels`), served by Gradio on this machine alone, offline.

Offline: the page fetches nothing from the internet. Gradio's analytics and its version check
are off (`GRADIO_ANALYTICS_ENABLED`, set before Gradio is imported, and the app's own
setting), the theme names system fonts only (no font file is fetched, not even from this
server), server-side rendering (a Node process) and the MCP server are off, and the footer
links to no outside site.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any, Sequence

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402 - after the variables above, which it reads when imported

from zoo.command.demo.panels import offered  # noqa: E402
from zoo.errors import ConfigurationError  # noqa: E402

TITLE = "zoo demo"
CSS = """
.native img { width: auto !important; height: auto !important; max-width: none !important;
              max-height: none !important; object-fit: none !important;
              image-rendering: pixelated; }
.pixels img { width: 100% !important; height: 100% !important; object-fit: contain !important;
              image-rendering: pixelated; }
"""
"""`native`: an image at its own size, pixel for pixel; `pixels`: an image enlarged to fill
its frame (28 px digits are small), its pixels kept sharp instead of blurred."""


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts: nothing to fetch."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def tab_keys(models: Sequence[Any]) -> list[str]:
    """One name per export for its tab and its API endpoints: the entry's name, with the
    version (and a count, if need be) for a second export of the same entry.

    Example:
        >>> from pathlib import Path
        >>> from types import SimpleNamespace as Export
        >>> tab_keys([Export(name="vae_mnist", path=Path("e/vae_mnist/2")),
        ...           Export(name="vae_mnist", path=Path("e/vae_mnist/1"))])
        ['vae_mnist', 'vae_mnist_v1']
    """
    keys: list[str] = []
    for model in models:
        key = model.name
        if key in keys:
            key = f"{model.name}_v{model.path.name}" if model.path.name.isdigit() else key
        base, count = key, 2
        while key in keys:
            key, count = f"{base}_{count}", count + 1
        keys.append(key)
    return keys


def _header(model: Any) -> str:
    version = f" version {model.path.name}" if model.path.name.isdigit() else ""
    return (f"**{model.name}**{version}: {model.metadata.get('description', '')}  \n"
            f"from `{model.path}`; signatures: "
            + ", ".join(f"`{name}`" for name in model.signatures))


def build_app(models: Sequence[Any]) -> gr.Blocks:
    """The app over loaded exports (`zoo.load`), one tab each, in the order given.

    Each tab shows the export's panels (`zoo.command.demo.panels.offered`); an export offering
    several shows them as inner tabs. Every panel's button is an API endpoint named
    `<tab>_<action>` (`vae_mnist_sample`, `pix2pix_facades_translate`), which
    `gradio_client` can call.
    """
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}\nOne tab per export: draw samples, explore a latent space, "
                    "translate pictures and score them as outliers, as each export's "
                    "signatures allow. Everything runs on this machine.")
        with gr.Tabs():
            for key, model in zip(tab_keys(models), models):
                with gr.Tab(key, id=key, elem_id=f"tab-{key}"):
                    gr.Markdown(_header(model))
                    panels = offered(model)
                    if not panels:
                        gr.Markdown("None of this export's signatures has a panel here; "
                                    "`zoo.load` calls them from Python.")
                    elif len(panels) == 1:
                        panels[0].build(model, key)
                    else:
                        with gr.Tabs():
                            for panel in panels:
                                with gr.Tab(panel.title, elem_id=f"{key}-{panel.title}"):
                                    panel.build(model, key)
    return app


def check_address(host: str, port: int) -> int:
    """Checks that the app can listen on `host`:`port` before anything is loaded, and
    returns the port (a free one chosen for port 0).

    Raises:
        zoo.errors.ConfigurationError: the host is not a name or address of this machine,
            or the port is taken; the message names the value and the fix.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise ConfigurationError(f"--host {host!r} is not a host name or address "
                                 f"({getattr(error, 'strerror', None) or error}); use "
                                 "127.0.0.1 (this machine only, the default) or 0.0.0.0 (every "
                                 "network interface).") from None
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ConfigurationError(f"--port {port} is in use on {host}; choose another "
                                         "port (e.g. --port 0 for any free one), or stop what "
                                         "listens there.") from None
            if error.errno in (errno.EACCES, errno.EPERM):
                raise ConfigurationError(f"--port {port} needs privileges on {host}; choose a "
                                         "port above 1023.") from None
            raise ConfigurationError(f"--host {host!r} is not an address of this machine "
                                     f"({error.strerror or error}); use 127.0.0.1 (this "
                                     "machine only, the default) or 0.0.0.0 (every network "
                                     "interface).") from None
        return probe.getsockname()[1]


def serve(app: gr.Blocks, host: str, port: int) -> str:
    """Starts serving the app in the background (`app.close()` stops it); returns its URL.

    Args:
        app: from `build_app`.
        host: the address to listen on (127.0.0.1: this machine only).
        port: a free port (`check_address`).

    Raises:
        zoo.errors.ConfigurationError: the port was taken meanwhile.
    """
    try:
        app.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                   show_error=True, inbrowser=False, share=False, ssr_mode=False,
                   mcp_server=False, pwa=False, enable_monitoring=False,
                   footer_links=["api", "settings"], theme=theme(), css=CSS)
    except OSError:  # taken since check_address, while the exports loaded
        raise ConfigurationError(f"--port {port} on {host} was taken while the exports loaded; "
                                 "choose another port (e.g. --port 0 for any free one)."
                                 ) from None
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/"
