"""Train CycleGAN horse <-> zebra on horse2zebra and export it; `--help` lists the flags."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("cyclegan_horse2zebra"))
