"""Train the convolutional autoencoder on MNIST and export it: `python recipes/ae_mnist.py -h`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("ae_mnist"))
