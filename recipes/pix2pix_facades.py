"""Train pix2pix on CMP Facades (label map -> photo) and export it; `--help` lists the flags."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("pix2pix_facades"))
