"""A real headless browser (Debian's `chromium`) on `zoo demo`, driven over the DevTools
protocol through a pipe (no driver package, no websocket): it starts `zoo demo`, opens the
page, presses a button and takes screenshots, recording every URL the page requested.

Run as a script (`python tests/browser.py OUT_JSON --button ID --image ID ENTRY ...`),
usually inside a network namespace that holds only the loopback interface
(`offline_prefix()`), so that the server and the browser run with the network unreachable.
Chromium is also told that every host but 127.0.0.1 does not resolve, so that a page fetching
anything else fails at once rather than waiting. The JSON written holds the URLs requested,
the image's rectangle on the page and the screenshots' paths.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BROWSER = "chromium"
WINDOW = (1000, 900)


def offline_prefix() -> list[str]:
    """The command prefix that runs a command in a new network namespace with only the
    loopback interface up, or [] where this machine does not allow one (not root)."""
    prefix = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return []
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else []


class DevTools:
    """The DevTools protocol over `--remote-debugging-pipe`: JSON messages ending in a NUL
    byte, written to the browser's fd 3 and read from its fd 4."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()

        def descriptors() -> None:  # in the child: the pipe ends as fds 3 and 4
            read_end, write_end = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-default-apps",
             f"--window-size={WINDOW[0]},{WINDOW[1]}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"],
            preexec_fn=descriptors, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, timeout: float = 60,
             browser_level: bool = False) -> dict:
        """Calls a DevTools method (on the page's session unless `browser_level`) and returns
        its result; the events that arrive meanwhile are kept in `events`."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser_level:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def evaluate(self, expression: str) -> object:
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float) -> object:
        """Evaluates `expression` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout:g} s for {expression}")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.send("Browser.close", browser_level=True, timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


def _serve(entries: list[str]) -> tuple[subprocess.Popen, str]:
    """`zoo demo ENTRY... --port 0` started; its process and URL once it serves."""
    process = subprocess.Popen([sys.executable, "-m", "zoo", "demo", *entries, "--port", "0"],
                               cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("serving"):
        process.kill()
        raise RuntimeError(f"zoo demo did not start: {line!r} (exit {process.wait()})")
    return process, line.split(" at ")[1].split()[0]


def run(entries: list[str], button: str, image: str, out: Path, tabs: list[str] = ()
        ) -> dict:
    """Opens the demo of `entries` (and the tabs named `tabs`, in turn: an export's, then one
    of its panels), presses the button of element id `button` and waits for an image in the
    element of id `image`; writes and returns what was seen."""
    server, url = _serve(entries)
    profile = Path(tempfile.mkdtemp(prefix="zoo-browser-"))
    browser = DevTools(profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"},
                              browser_level=True)["targetId"]
        browser.session = browser.send("Target.attachToTarget",
                                       {"targetId": target, "flatten": True},
                                       browser_level=True)["sessionId"]
        browser.send("Network.enable")
        browser.send("Page.enable")
        browser.send("Page.navigate", {"url": url})
        for tab in tabs:
            browser.wait_for(f"[...document.querySelectorAll('button[role=tab]')].some("
                             f"b => b.textContent.trim() === {tab!r})", 60)
            browser.evaluate(f"[...document.querySelectorAll('button[role=tab]')].find("
                             f"b => b.textContent.trim() === {tab!r}).click()")
        browser.wait_for(f"document.getElementById({button!r}) !== null", 60)
        found_before = browser.evaluate(f"document.querySelector('#{image} img') !== null")
        before = browser.screenshot(out.with_name(out.stem + "_before.png"))
        browser.evaluate(f"document.getElementById({button!r}).click()")
        browser.wait_for(f"(() => {{ const img = document.querySelector('#{image} img');"
                         " return img !== null && img.complete && img.naturalWidth > 0; })()",
                         120)
        time.sleep(0.5)  # the image drawn, not only loaded
        rectangle = browser.evaluate(
            f"(() => {{ const r = document.querySelector('#{image} img')"
            ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
        after = browser.screenshot(out.with_name(out.stem + "_after.png"))
        requested = [event["params"]["request"]["url"] for event in browser.events
                     if event.get("method") == "Network.requestWillBeSent"]
        failed = [event["params"].get("errorText") for event in browser.events
                  if event.get("method") == "Network.loadingFailed"]
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    seen = {"url": url, "requested": requested, "failed": failed, "rectangle": rectangle,
            "image_before_click": found_before, "before": str(before), "after": str(after),
            "server_exit": server.returncode}
    out.write_text(json.dumps(seen, indent=1))
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the JSON file written")
    parser.add_argument("--button", required=True, help="the id of the button pressed")
    parser.add_argument("--image", required=True, help="the id of the image waited for")
    parser.add_argument("--tab", action="append", default=[],
                        help="a tab to open before pressing the button (repeatable)")
    parser.add_argument("entries", nargs="*", help="what `zoo demo` serves")
    args = parser.parse_intermixed_args()
    run(args.entries, args.button, args.image, args.out, args.tab)


if __name__ == "__main__":
    main()
