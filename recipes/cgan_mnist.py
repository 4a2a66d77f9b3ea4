"""Train the class-conditional DCGAN on MNIST and export it: `python recipes/cgan_mnist.py --help`."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("cgan_mnist"))
