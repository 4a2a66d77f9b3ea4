"""The GAN: networks as the papers set them, a few steps train both networks, config round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import ConfigurationError
from zoo.families.gan import GAN


def _adam(model: GAN, learning_rate: float = 2e-4) -> GAN:
    model.compile(generator_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                  discriminator_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
    return model


@pytest.mark.parametrize("name", ["dcgan_mnist", "cgan_mnist"])
def test_dcgan_networks_follow_the_paper(name):
    gan = zoo.build(name)
    layers = gan.generator.layers + gan.discriminator.layers
    slopes = {layer.negative_slope for layer in layers
              if isinstance(layer, keras.layers.LeakyReLU)}
    assert slopes == {0.2}
    kernels = [layer.kernel.numpy() for layer in layers if hasattr(layer, "kernel")]
    assert all(abs(kernel.std() - 0.02) < 0.004 and abs(kernel.mean()) < 0.002
               for kernel in kernels if kernel.size > 1000)
    assert gan.generator.output.shape[1:] == (28, 28, 1)
    assert gan.generator.layers[-1].activation.__name__ == "tanh"
    assert all(layer.synchronized for layer in layers
               if isinstance(layer, keras.layers.BatchNormalization))


def test_the_2d_discriminator_starts_far_from_constant():
    # With DCGAN's N(0, 0.02) weights its scores on 2-D points spread by under 1e-3,
    # and training sits at log 4 for thousands of steps.
    gan = GAN(architecture="mlp", data_shape=(2,), latent_dim=2, pack=2,
              discriminator_normalization="none", seed=0)
    scores = gan.score(tf.random.stateless_normal([512, 2], seed=[1, 2]) * 2.0).numpy()
    assert scores.std() > 0.5


def test_maxout_units_are_the_maximum_of_their_pieces():
    # PacGAN's 2-D discriminator: each hidden unit is max over k affine pieces of its input.
    gan = GAN(architecture="mlp", data_shape=(2,), latent_dim=2, pack=2, maxout_pieces=3,
              discriminator_units=(4, 5), discriminator_normalization="none", seed=0)
    points = tf.random.stateless_normal([6, 2], seed=[3, 4]).numpy()
    kernels = gan.discriminator.get_weights()
    x = points.reshape(3, 4)
    for units, (kernel, bias) in zip((4, 5), zip(kernels[0:4:2], kernels[1:4:2])):
        assert kernel.shape == (x.shape[1], units * 3)
        x = (x @ kernel + bias).reshape(len(x), units, 3).max(axis=-1)
    expected = x @ kernels[4] + kernels[5]
    np.testing.assert_allclose(gan.score(points).numpy(), expected[:, 0], rtol=1e-5, atol=1e-5)


def test_the_64x64_dcgan_makes_64x64_images():
    gan = GAN(architecture="dcgan64", data_shape=(64, 64, 3), latent_dim=100)
    assert gan.generate(tf.zeros([2, 100])).shape == (2, 64, 64, 3)
    assert gan.score(tf.zeros([2, 64, 64, 3])).shape == (2,)


@pytest.mark.parametrize("config", [
    {"architecture": "dcgan28"},
    {"architecture": "dcgan28", "num_classes": 10},
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 2, "loss": "wasserstein",
     "gradient_penalty_weight": 10.0, "discriminator_steps": 2,
     "discriminator_normalization": "layer", "generator_units": (32, 32),
     "discriminator_units": (32,)},
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 2, "pack": 4, "loss": "hinge",
     "generator_units": (32, 32), "discriminator_units": (32,)},
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 2, "pack": 2, "maxout_pieces": 5,
     "discriminator_normalization": "none", "generator_units": (32, 32),
     "discriminator_units": (32, 32)},
])
def test_a_few_steps_change_both_networks_and_report_the_metrics(config):
    keras.utils.set_random_seed(0)
    gan = _adam(GAN(**config, seed=0))
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (32, *gan.data_shape)).astype("float32")
    if gan.conditional:
        data = (data, rng.integers(0, 10, 32).astype("int32"))
    before = [gan.generator.get_weights(), gan.discriminator.get_weights()]
    history = gan.fit(tf.data.Dataset.from_tensor_slices(data).batch(16), epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    for old, network in zip(before, (gan.generator, gan.discriminator)):
        assert any(not np.array_equal(a, b) for a, b in zip(old, network.get_weights()))


def test_config_round_trip():
    gan = zoo.build("cgan_mnist", loss="hinge")
    clone = GAN.from_config(gan.get_config())
    assert clone.get_config() == gan.get_config() and clone.num_classes == 10
    assert [w.shape for w in clone.weights] == [w.shape for w in gan.weights]


@pytest.mark.parametrize("config, message", [
    ({"loss": "wgan"}, "Unknown adversarial loss 'wgan'"),
    ({"architecture": "dcgan28", "data_shape": (64, 64, 3)}, "does not fit the dcgan28"),
    ({"gradient_penalty_weight": 10.0}, "applies to loss='wasserstein'"),
    ({"architecture": "dcgan64", "data_shape": (64, 64, 3), "loss": "wasserstein",
      "gradient_penalty_weight": 10.0}, "discriminator_normalization='layer'"),
    ({"pack": 2}, "mlp networks only"),
    ({"maxout_pieces": 5}, "mlp networks only"),
    ({"architecture": "mlp", "data_shape": (2,), "maxout_pieces": -1},
     "maxout_pieces must be an integer >= 0"),
    ({"discriminator_steps": 0}, "discriminator_steps must be an integer >= 1"),
    ({"latent_dim": "abc"}, "latent_dim must be an integer >= 1; got 'abc'"),
    ({"data_shape": ()}, r"data_shape must be a non-empty sequence of integers >= 1; got \(\)"),
    ({"dropout": 1.0}, r"dropout must be a finite number in \[0.0, 1.0\); got 1.0"),
    ({"architecture": "mlp", "data_shape": (2,), "generator_units": (0,)},
     "generator_units must be a sequence of integers >= 1"),
    ({"architecture": "dcgan32"}, "Unknown architecture 'dcgan32'; choose one of dcgan28"),
])
def test_bad_configs_name_the_problem(config, message):
    with pytest.raises(ConfigurationError, match=message):
        GAN(**config)


def test_one_optimizer_for_both_networks_is_refused():
    optimizer = keras.optimizers.Adam(2e-4)
    with pytest.raises(ConfigurationError, match="need one optimizer each"):
        zoo.build("dcgan_mnist").compile(generator_optimizer=optimizer,
                                         discriminator_optimizer=optimizer)
