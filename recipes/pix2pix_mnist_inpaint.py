"""Train pix2pix to inpaint the lower half of MNIST digits and export it; see `--help`."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("pix2pix_mnist_inpaint"))
