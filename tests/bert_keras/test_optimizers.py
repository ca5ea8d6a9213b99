"""Optimizers: warmup/decay schedule values, weight-decay exclusions, LAMB, mixed precision."""

import dataclasses
import re

import keras
import numpy as np
import pytest

from bert_keras.models import bert_classifier
from bert_keras.optimizers import AdamW, Lamb, WarmupDecay, make_optimizer

NO_DECAY = re.compile(r"/(gamma|beta|bias)$")



@pytest.mark.parametrize("decay,power,expected", [
    # steps: 0, mid-warmup, end of warmup, mid-decay, end, after the end
    ("linear", 1.0, [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]),
    ("polynomial", 2.0, [0.0, 0.5, 1.0, 0.325, 0.1, 0.1]),
])
def test_schedule_values(decay, power, expected):
    schedule = WarmupDecay(1.0, num_train_steps=12, warmup_steps=2, decay=decay, power=power,
                           end_learning_rate=0.1)
    values = [float(schedule(step)) for step in (0, 1, 2, 7, 12, 20)]
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_schedule_without_warmup_starts_at_peak():
    schedule = WarmupDecay(2e-5, num_train_steps=10)
    np.testing.assert_allclose([float(schedule(0)), float(schedule(5))], [2e-5, 1e-5], rtol=1e-6)


def test_schedule_serializes():
    schedule = WarmupDecay(3e-4, num_train_steps=100, warmup_steps=10, decay="polynomial",
                           power=0.5, end_learning_rate=1e-6)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(restored, WarmupDecay)
    assert restored.get_config() == schedule.get_config()


@pytest.mark.parametrize("kwargs,message", [
    (dict(decay="cosine"), "unknown decay 'cosine'"),
    (dict(decay="linear", power=2.0), "decay='polynomial'"),
    (dict(warmup_steps=11), "warmup_steps must be in"),
    (dict(num_train_steps=0), "num_train_steps must be >= 1"),
])
def test_schedule_errors(kwargs, message):
    settings = {"peak_learning_rate": 1e-3, "num_train_steps": 10, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        WarmupDecay(**settings)


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; valid names: adamw, lamb"):
        make_optimizer("sgd")


def _decay_once(model, optimizer):
    """Applies zero gradients once: all that moves a variable is weight decay."""
    before = {v.path: v.numpy() for v in model.trainable_variables}
    optimizer.apply_gradients(
        [(keras.ops.zeros_like(v), v) for v in model.trainable_variables])
    return before, {v.path: v.numpy() for v in model.trainable_variables}


def test_adamw_decays_kernels_but_not_layer_norm_or_bias(tiny_config):
    model = bert_classifier(tiny_config, num_classes=2)
    before, after = _decay_once(model, AdamW(learning_rate=0.1, weight_decay=0.5))
    excluded = [path for path in before if NO_DECAY.search(path)]
    assert any("layer_norm/gamma" in path for path in excluded)
    assert any("attention_layer_norm/beta" in path for path in excluded)
    for path in before:
        factor = 1.0 if path in excluded else 1.0 - 0.1 * 0.5
        np.testing.assert_allclose(after[path], before[path] * factor, rtol=1e-6, atol=1e-7,
                                   err_msg=path)


def test_lamb_decay_and_adaptation_skip_layer_norm_and_bias(tiny_config):
    model = bert_classifier(tiny_config, num_classes=2)
    before, after = _decay_once(model, Lamb(learning_rate=0.1, weight_decay=0.5))
    for path in before:
        if NO_DECAY.search(path):
            np.testing.assert_array_equal(after[path], before[path], err_msg=path)
        else:  # update = wd * w, trust ratio |w| / |wd * w|: the step is lr * w
            np.testing.assert_allclose(after[path], before[path] * 0.9, rtol=1e-5, err_msg=path)


def _toy_data(n=32, seq=8, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 99, size=(n, seq)).astype("int32")
    inputs = {"input_word_ids": ids, "input_mask": np.ones_like(ids),
              "input_type_ids": np.zeros_like(ids)}
    labels = rng.integers(0, 2, size=n).astype("int32")
    ids[:, 1:4] = 3 + labels[:, None]  # the class is written in tokens 1 to 3
    return inputs, labels


def test_lamb_reduces_the_loss(tiny_config):
    config = dataclasses.replace(tiny_config, dropout_rate=0.0, attention_dropout_rate=0.0)
    model = bert_classifier(config, num_classes=2, dropout_rate=0.0)
    model.compile(make_optimizer("lamb", learning_rate=0.1, num_train_steps=40, warmup_steps=4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _toy_data()
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=8, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * first
    assert int(model.optimizer.iterations) == 40


def test_mixed_float16_wraps_in_loss_scale_optimizer(tiny_config):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = bert_classifier(tiny_config, num_classes=2)
    model.compile(make_optimizer("adamw", learning_rate=1e-3, num_train_steps=4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, AdamW)
    x, y = _toy_data(n=8)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert int(model.optimizer.iterations) == 2


def test_compiled_model_round_trips_with_its_optimizer(tiny_config, tmp_path):
    model = bert_classifier(tiny_config, num_classes=2)
    model.compile(make_optimizer("adamw", learning_rate=1e-3, num_train_steps=50,
                                 warmup_steps=5, global_clipnorm=0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _toy_data(n=8)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras").optimizer
    assert isinstance(restored, AdamW)
    assert restored.get_config() == model.optimizer.get_config()
    schedule = keras.saving.deserialize_keras_object(restored.get_config()["learning_rate"])
    assert isinstance(schedule, WarmupDecay) and schedule.warmup_steps == 5
    assert restored.global_clipnorm == 0.5 and int(restored.iterations) == 2


@pytest.mark.parametrize("name", ["adamw", "lamb"])
def test_gradient_accumulation_equals_the_larger_batch(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")

    def train(batch_size, accumulation):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(1)])
        # A constant learning rate, so both runs use the same one at every update.
        model.compile(make_optimizer(name, learning_rate=1e-2, num_train_steps=10**9,
                                     gradient_accumulation_steps=accumulation), "mse")
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        return model

    accumulated, large = train(2, 2), train(4, None)
    assert int(accumulated.optimizer.iterations) == int(large.optimizer.iterations) == 2
    for got, expected in zip(accumulated.get_weights(), large.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_adamw_steps_exactly_as_torchs_adamw():
    """Keras' Adam put epsilon before the bias correction (31x larger at the first step), which
    made short fine-tuning runs trail Hugging Face's; our AdamW steps as torch's."""
    torch = pytest.importorskip("torch")
    start = np.array([0.5, -0.3, 1e-3], np.float32)
    gradients = [np.array([1e-5, -2e-4, 3e-6], np.float32),
                 np.array([2e-5, 1e-4, -1e-6], np.float32),
                 np.array([-3e-5, 5e-5, 2e-6], np.float32)]
    variable = keras.Variable(start, name="kernel")
    ours = make_optimizer("adamw", learning_rate=1e-3, num_train_steps=10, weight_decay=0.01,
                          global_clipnorm=None)
    parameter = torch.nn.Parameter(torch.tensor(start))
    theirs = torch.optim.AdamW([parameter], lr=1e-3, eps=1e-6, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(theirs, lambda step: 1 - step / 10)
    for gradient in gradients:
        ours.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        parameter.grad = torch.tensor(gradient)
        theirs.step()
        schedule.step()
    np.testing.assert_allclose(variable.numpy(), parameter.detach().numpy(), rtol=0, atol=1e-7)
    keras_step = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.0, epsilon=1e-6)
    other = keras.Variable(start, name="kernel")
    keras_step.apply_gradients([(keras.ops.convert_to_tensor(gradients[0]), other)])
    assert abs(other.numpy()[2] - start[2]) < 0.1 * 1e-3  # Keras' own: damped 3e-6 step
