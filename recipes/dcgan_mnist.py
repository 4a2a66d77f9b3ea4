"""Train the DCGAN on MNIST and export it: `python recipes/dcgan_mnist.py --help`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("dcgan_mnist"))
