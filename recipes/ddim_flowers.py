"""Train the diffusion model on Oxford Flowers 102 at 64 px, or on a folder of images
(`--data-dir`), and export it: `python recipes/ddim_flowers.py -h`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("ddim_flowers"))
