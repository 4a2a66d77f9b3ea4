"""Train the convolutional VAE on binarised MNIST and export it: `python recipes/vae_mnist.py --help`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("vae_mnist"))
