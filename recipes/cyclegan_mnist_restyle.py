"""Train CycleGAN between plain and restyled MNIST digits and export it; `--help` lists the flags."""

import sys

from zoo.runtime import run_recipe

if __name__ == "__main__":
    sys.exit(run_recipe("cyclegan_mnist_restyle"))
