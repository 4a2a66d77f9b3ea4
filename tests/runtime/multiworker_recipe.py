"""A recipe whose VAE sampling noise is a fixed function of each example, for the multi-worker
tests: `python multiworker_recipe.py <entry> <recipe flags>`.

The noise of the reparameterised draw otherwise depends on which replica holds an example,
so one process and two workers would train on different draws; with it controlled, the two
must apply the same updates. Everything else is the recipe's own runtime.
"""

import sys

import tensorflow as tf

from zoo.families.vae.model import Sampling
from zoo.runtime.train import main


def _fixed_noise(self, mean):
    return tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


if __name__ == "__main__":
    # Only when run as a script: pytest imports this file to collect doctests, and the patch
    # must not reach the other tests of that process.
    Sampling.noise = _fixed_noise
    sys.exit(main(sys.argv[1], sys.argv[2:]))
