"""The image pool that CycleGAN's discriminators learn from (Shrivastava et al., "Learning from
Simulated and Unsupervised Images through Adversarial Training", CVPR 2017, section 2.3; used
by Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks", ICCV 2017, section 4).

The discriminator is shown a history of generated images rather than only the
latest ones, which damps the oscillation between the two networks. This is the
authors' `ImagePool` (pytorch-CycleGAN-and-pix2pix, `util/image_pool.py`) with
`pool_size=50`: each generated image of a batch, in order, is

- stored and returned as it is while the pool holds fewer than `size` images;
- once the pool is full, with probability 0.5 swapped: a uniformly chosen
  stored image is returned and the new one takes its slot; otherwise returned
  as it is and not stored.

A pool of size 0 returns every image as it is, as the reference's.

Across replicas there is one pool for the global batch, the same on every
replica: each replica gathers the whole global batch of generated images
(`gather_replicas`), queries the pool with draws that are the same on every
replica, and keeps its own examples' answers. The pool's variables are
mirrored, written as the first replica writes them (they are the same on all).
So a distributed step queries the pool exactly as a single-device step over the
same global batch, as the reference's single pool under `DataParallel` does,
and a checkpoint holds the one pool whatever the number of replicas.

The pool is training state, not part of the model: it is kept out of the
model's Keras variables, checkpointed by the runtime through the model's
`training_state()`, and never exported.
"""

from __future__ import annotations

import tensorflow as tf

SWAP_PROBABILITY = 0.5


def gather_replicas(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Every replica's images, in replica order (the global batch), and where this replica's
    own start among them; outside a strategy, the images themselves and 0.

    Args:
        images: this replica's batch; replicas may hold different numbers of examples.

    Returns:
        (global batch, index of this replica's first example in it).

    Example:
        >>> everyone, start = gather_replicas(tf.zeros([3, 2]))
        >>> everyone.shape, int(start)
        (TensorShape([3, 2]), 0)
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return images, tf.constant(0, tf.int32)
    sizes = context.all_gather(tf.shape(images)[:1], axis=0)
    start = tf.reduce_sum(sizes[:context.replica_id_in_sync_group])
    return context.all_gather(images, axis=0), start


def draw(count: tf.Tensor | int, size: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The pool's random draws for `count` images, statelessly from `seed`.

    Args:
        count: how many images the pool is queried with.
        size: the pool's size, >= 1.
        seed: a stateless-random seed of shape [2]; the same seed gives the same draws.

    Returns:
        (swap, slot): whether each image, when the pool is full, is swapped for a
        stored one (bool, probability 0.5), and which slot it would swap with
        (int32, uniform in [0, size)).

    Example:
        >>> swap, slot = draw(4, size=3, seed=tf.constant([1, 2], tf.int64))
        >>> swap.dtype.name, slot.dtype.name, bool(tf.reduce_all(slot < 3))
        ('bool', 'int32', True)
    """
    seed = tf.cast(seed, tf.int64)
    swap = tf.random.stateless_uniform([count], seed=seed) < SWAP_PROBABILITY
    slot = tf.random.stateless_uniform(
        [count], seed=tf.random.experimental.stateless_fold_in(seed, 1), minval=0,
        maxval=size, dtype=tf.int32)
    return swap, slot


class ImagePool(tf.Module):
    """A pool of up to `size` generated images, as the authors' `ImagePool(size)`.

    Its state is two variables, `images` (size, height, width, channels) and
    `count` (how many slots are filled); created in a strategy's scope, they are
    mirrored and written as the first replica writes them. Query it with the
    global batch (`gather_replicas`) and the same draws on every replica.

    Args:
        size: how many images the pool keeps (50 in the paper); 0 for no pool.
        image_shape: (height, width, channels) of the images.
        name: the module's name.

    Example:
        >>> pool = ImagePool(2, (1, 1, 1))
        >>> images = tf.reshape(tf.range(3.0), [3, 1, 1, 1])
        >>> # The first two fill the pool; the third is swapped for the one in slot 0.
        >>> returned = pool.query(images, swap=tf.constant([False, False, True]),
        ...                       slot=tf.constant([1, 1, 0]))
        >>> returned.numpy().ravel().tolist(), pool.images.numpy().ravel().tolist()
        ([0.0, 1.0, 0.0], [2.0, 1.0])
    """

    def __init__(self, size: int, image_shape: tuple[int, int, int],
                 name: str = "image_pool") -> None:
        super().__init__(name=name)
        self.size = size
        # Mirrored under a strategy; every replica computes the same update, so the first
        # replica's value stands for all.
        state = {"trainable": False, "synchronization": tf.VariableSynchronization.ON_WRITE,
                 "aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA}
        self.images = tf.Variable(tf.zeros((size, *image_shape)), name="images", **state)
        self.count = tf.Variable(0, dtype=tf.int32, name="count", **state)

    def query(self, images: tf.Tensor, swap: tf.Tensor, slot: tf.Tensor) -> tf.Tensor:
        """Puts `images` through the pool, in order, and returns what the discriminator sees.

        Args:
            images: (batch, height, width, channels), the generated images, oldest first.
            swap: (batch,) bool: whether image i, met with a full pool, is swapped.
            slot: (batch,) int32 in [0, size): the stored image it would be swapped for.

        Returns:
            (batch, height, width, channels): image i itself, or the stored image it
            replaced; no gradient flows through (the reference's `fake.detach()`).
        """
        images = tf.stop_gradient(tf.convert_to_tensor(images, tf.float32))
        if not self.size:
            return images
        size = self.size
        # The loop follows sources, not pixels: index k < size stands for the image now in
        # slot k, size + i for the new image i. Images are gathered once, after it.
        positions = tf.range(size)

        def step(i, count, slots, picks):
            filling = count < size
            target = tf.where(filling, count, slot[i])
            stored = filling | swap[i]
            picks = picks.write(i, tf.where(stored & ~filling, slots[target], size + i))
            slots = tf.where(stored & (positions == target), size + i, slots)
            return i + 1, count + tf.cast(filling, tf.int32), slots, picks

        count = tf.shape(images)[0]
        _, filled, slots, picks = tf.while_loop(
            lambda i, *_: i < count, step,
            (tf.constant(0), self.count.read_value(), positions,
             tf.TensorArray(tf.int32, size=count)))
        sources = tf.concat([self.images.read_value(), images], axis=0)
        returned = tf.gather(sources, picks.stack())
        self.images.assign(tf.gather(sources, slots))
        self.count.assign(filled)
        return returned
