"""Train the convolutional VAE on binarised MNIST and export it: `python recipes/vae_mnist.py --help`."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("vae_mnist"))
