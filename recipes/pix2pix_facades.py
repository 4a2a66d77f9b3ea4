"""Train pix2pix on CMP Facades (label map -> photo) and export it; `--help` lists the flags."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("pix2pix_facades"))
