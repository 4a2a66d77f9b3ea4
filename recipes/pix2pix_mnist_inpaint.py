"""Train pix2pix to inpaint the lower half of MNIST digits and export it; see `--help`."""

import sys

from zoo.runtime.train import main

if __name__ == "__main__":
    sys.exit(main("pix2pix_mnist_inpaint"))
