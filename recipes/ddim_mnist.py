"""Train the diffusion model on MNIST and export it: `python recipes/ddim_mnist.py -h`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("ddim_mnist"))
