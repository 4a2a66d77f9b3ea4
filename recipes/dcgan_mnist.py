"""Train the DCGAN on MNIST and export it: `python recipes/dcgan_mnist.py --help`."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("dcgan_mnist"))
