"""`zoo demo` in a real headless browser (Debian's `chromium`), with the network unreachable:
the page opens, a generator's sample button draws a grid that shows in a screenshot, and the
page requests nothing from any other host. `tests/browser.py` drives the browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from browser import BROWSER, offline_prefix
from helpers import REPO

ENTRY = "dcgan_mnist"


def test_the_sample_button_draws_a_grid_the_browser_shows_offline(tmp_path):
    assert shutil.which(BROWSER), (f"the browser test needs Debian's {BROWSER} "
                                   f"(apt-get install {BROWSER}; .ci/run installs it)")
    out = tmp_path / "seen.json"
    # The server and the browser in a network namespace with only the loopback interface
    # (where this machine allows one: as root); the browser resolves no host but 127.0.0.1.
    result = subprocess.run(
        [*offline_prefix(), sys.executable, str(REPO / "tests" / "browser.py"), str(out),
         "--button", f"{ENTRY}-sample", "--image", f"{ENTRY}-samples", ENTRY],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(out.read_text())

    origin = urlsplit(seen["url"])
    elsewhere = [url for url in seen["requested"] if not url.startswith(("data:", "blob:"))
                 and urlsplit(url)[:2] != origin[:2]]
    assert seen["requested"] and not elsewhere, elsewhere
    assert seen["server_exit"] == 0  # Ctrl-C stops it cleanly

    assert not seen["image_before_click"]
    x, y, width, height = (round(value) for value in seen["rectangle"])
    assert width > 100 and height > 100
    shown = np.asarray(Image.open(seen["after"]).convert("L"))[y:y + height, x:x + width]
    # The grid fills its frame: 16 digits, white strokes on black, one white line between.
    dark = shown < 40
    assert dark.mean() > 0.3, f"{dark.mean():.2f} of the image's frame is dark"
    rows, columns = np.nonzero(dark)
    grid = shown[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    strokes = (grid > 200).mean()
    assert 0.05 < strokes < 0.5, f"{strokes:.2f} of the grid is bright"
