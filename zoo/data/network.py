"""Telling within seconds whether a download can work, so offline runs fail fast and clearly."""

from __future__ import annotations

import socket
import threading
import urllib.parse
import urllib.request

PROBE_TIMEOUT_S = 5.0


def download_endpoint(url: str) -> tuple[str, int, str]:
    """The host, port and role ("proxy" or "host") a download of `url` connects to first."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        proxy_url = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_url.hostname or "", proxy_url.port or 80, "proxy"
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), "host"


def unreachable(host: str, port: int) -> OSError | None:
    """Why `host:port` cannot be connected to within the probe timeout, or None if it can."""
    outcome: list[OSError | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S).close()
        except OSError as error:
            outcome.append(error)
        else:
            outcome.append(None)

    # Name resolution ignores socket timeouts, so the attempt runs in a thread we can stop
    # waiting for; a daemon thread does not keep the process alive if resolution hangs.
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(PROBE_TIMEOUT_S)
    if not outcome:
        return TimeoutError(f"no answer within {PROBE_TIMEOUT_S:g} s")
    return outcome[0]


def first_line(error: BaseException) -> str:
    """The error's type and first sentence, short enough to sit inside a one-line message."""
    lines = str(error).strip().splitlines()
    detail = lines[0].split(". ")[0] if lines else ""
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def probe(url: str) -> str | None:
    """Why a download from `url` cannot start here (one phrase), or None if it can."""
    host, port, role = download_endpoint(url)
    reason = unreachable(host, port)
    if reason is None:
        return None
    return f"no network: cannot reach {role} {host}:{port}, {first_line(reason)}"
