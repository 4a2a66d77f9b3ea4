"""The image pool as the authors' `ImagePool`: it fills with the first images, then swaps half
of the new ones for stored ones; its state is checkpointed with the model's training state but
is not one of the model's variables."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.export_format import weight_paths
from zoo.families.cyclegan import CycleGAN, ImagePool
from zoo.families.cyclegan.pool import draw


def _images(count: int, start: int = 0) -> tf.Tensor:
    """Images whose every pixel holds their index, so that each can be told apart."""
    values = tf.range(start, start + count, dtype=tf.float32)
    return tf.tile(tf.reshape(values, [count, 1, 1, 1]), [1, 2, 2, 3])


def _indices(images: tf.Tensor) -> list[int]:
    return [int(value) for value in images.numpy()[:, 0, 0, 0]]


def _reference_query(pool: list, images: list, swap: list, slot: list, size: int) -> list:
    """pytorch-CycleGAN-and-pix2pix's `ImagePool.query`, its random draws given."""
    returned = []
    for image, swapped, index in zip(images, swap, slot):
        if len(pool) < size:
            pool.append(image)
            returned.append(image)
        elif swapped:
            returned.append(pool[index])
            pool[index] = image
        else:
            returned.append(image)
    return returned


def test_the_pool_returns_and_keeps_the_first_images_until_it_is_full():
    pool = ImagePool(5, (2, 2, 3))
    always = tf.ones([3], tf.bool)  # swaps drawn for every image, which only a full pool makes
    assert _indices(pool.query(_images(3), always, tf.zeros([3], tf.int32))) == [0, 1, 2]
    assert _indices(pool.query(_images(3, 3), always, tf.zeros([3], tf.int32))) == [3, 4, 0]
    assert int(pool.count) == 5
    # Image 5 met a full pool and was swapped for image 0 in slot 0.
    assert _indices(pool.images) == [5, 1, 2, 3, 4]


def test_a_full_pool_swaps_a_returned_image_for_the_new_one():
    pool = ImagePool(3, (2, 2, 3))
    pool.query(_images(3), tf.zeros([3], tf.bool), tf.zeros([3], tf.int32))
    returned = pool.query(_images(3, 10), tf.constant([True, False, True]),
                          tf.constant([2, 0, 2]))
    # 10 takes slot 2 (image 2 returned); 11 passes through; 12 takes slot 2 again and so
    # returns 10, an image of the same batch.
    assert _indices(returned) == [2, 11, 10]
    assert _indices(pool.images) == [0, 1, 12]


def test_drawn_swaps_happen_half_the_time_and_follow_the_reference():
    size, count = 4, 2000
    pool = ImagePool(size, (2, 2, 3))
    swap, slot = draw(count, size, tf.constant([3, 4], tf.int64))
    returned = _indices(tf.function(pool.query)(_images(count), swap, slot))

    stored: list = []
    expected = _reference_query(stored, list(range(count)), swap.numpy(), slot.numpy(), size)
    assert returned == expected
    assert _indices(pool.images) == stored
    swapped = sum(old != new for old, new in zip(returned, range(count)))
    assert abs(swapped / (count - size) - 0.5) < 0.04
    assert set(slot.numpy()) == set(range(size))
    # The same seed draws the same; another seed, others.
    again = draw(count, size, tf.constant([3, 4], tf.int64))
    np.testing.assert_array_equal(again[0], swap)
    assert not np.array_equal(draw(count, size, tf.constant([3, 5], tf.int64))[0], swap)


def test_a_pool_of_size_0_returns_the_images_as_they_are():
    pool = ImagePool(0, (2, 2, 3))
    assert _indices(pool.query(_images(3), tf.ones([3], tf.bool),
                               tf.zeros([3], tf.int32))) == [0, 1, 2]


def test_the_pools_are_training_state_not_model_variables(tmp_path):
    model = CycleGAN(image_size=8, filters=2, residual_blocks=1, patch_layers=0, pool_size=3)
    state = model.training_state()
    assert set(state) == {"pool_a", "pool_b"}
    pool_variables = {id(variable) for pool in state.values() for variable in pool.variables}
    assert len(pool_variables) == 4
    assert not pool_variables & {id(variable) for variable in model.variables}
    assert len(weight_paths(model)) == len(model.variables)

    first = tf.reshape(tf.constant([0.7, 0.8]), [2, 1, 1, 1]) * tf.ones([2, 8, 8, 3])
    model.pool_a.query(first, tf.zeros([2], tf.bool), tf.zeros([2], tf.int32))
    path = tf.train.Checkpoint(**state).save(str(tmp_path / "pools"))

    resumed = CycleGAN(image_size=8, filters=2, residual_blocks=1, patch_layers=0, pool_size=3)
    tf.train.Checkpoint(**resumed.training_state()).restore(path).assert_consumed()
    for mine, theirs in zip(resumed.pool_a.variables + resumed.pool_b.variables,
                            model.pool_a.variables + model.pool_b.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert int(resumed.pool_a.count) == 2
    # Restored, the pool answers as the original: the first new image fills slot 2, the
    # second finds the pool full and is swapped for the image in slot 0.
    later, swap, slot = tf.fill([2, 8, 8, 3], 0.9), tf.constant([True, True]), tf.constant([0, 0])
    returned = resumed.pool_a.query(later, swap, slot)
    np.testing.assert_array_equal(returned, model.pool_a.query(later, swap, slot))
    assert float(returned[1, 0, 0, 0]) == np.float32(0.7)
