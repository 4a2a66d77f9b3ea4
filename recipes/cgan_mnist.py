"""Train the class-conditional DCGAN on MNIST and export it: `python recipes/cgan_mnist.py --help`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("cgan_mnist"))
