"""make_callbacks, StepBackup and the resuming fit, in process on a one-weight model."""

import csv
import itertools
import os
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_keras.training.callbacks import (BestModel, DevMetrics, StepBackup, Throughput,
                                           make_callbacks)
from bert_keras.training.fit import fit

from one_weight import line_batches, one_weight_model


class Crash(keras.callbacks.Callback):
    def __init__(self, backup, at_step):
        super().__init__()
        self.backup, self.at_step = backup, at_step

    def on_train_batch_end(self, batch, logs=None):
        if self.backup.step == self.at_step:
            raise KeyboardInterrupt("crash")


def test_run_directory_layout(tmp_path):
    callbacks = make_callbacks(tmp_path, save_freq=2, tensorboard=False)
    history = fit(one_weight_model(), line_batches, epochs=2, steps_per_epoch=3, validation_data=line_batches(),
                  callbacks=callbacks, verbose=0)
    assert sorted(history) == ["loss", "val_loss"] and len(history["loss"]) == 2
    assert sorted(os.listdir(tmp_path)) == ["backup", "best.keras", "history.csv"]
    assert sorted(os.listdir(tmp_path / "backup")) == ["step-6.seeds.npz", "step-6.weights.h5"]
    fit(one_weight_model(), line_batches, epochs=2, steps_per_epoch=3, callbacks=callbacks, delete_backup=True,
        verbose=0)
    assert not (tmp_path / "backup").exists()


def test_throughput_reaches_history_csv_and_skips_the_tracing_batch(tmp_path):
    callbacks = make_callbacks(tmp_path, monitor="loss", batch_size=2, tensorboard=False)
    assert isinstance(callbacks[0], Throughput)
    fit(one_weight_model(), line_batches, epochs=2, steps_per_epoch=3, callbacks=callbacks, verbose=0)
    with open(tmp_path / "history.csv", newline="") as file:
        speeds = [float(row["examples_per_second"]) for row in csv.DictReader(file)]
    assert len(speeds) == 2 and all(speed > 0 for speed in speeds)

    one_batch = Throughput(batch_size=2)  # only the skipped batch ran: nothing measured
    one_batch.on_epoch_begin(0)
    one_batch.on_train_batch_end(0)
    logs = {}
    one_batch.on_epoch_end(0, logs)
    assert list(logs) == ["examples_per_second"] and np.isnan(logs["examples_per_second"])


def test_throughput_counts_batches_by_number_with_steps_per_execution(monkeypatch):
    """Keras calls back once per execution of N batches, with the number of its last batch:
    executions ending at batches 1, 3, 5 (N = 2) time 4 batches, not 2."""
    clock = itertools.count(10.0)  # a second per reading
    callback = Throughput(batch_size=2)
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    callback.on_epoch_begin(0)
    for last_batch in (1, 3, 5):
        callback.on_train_batch_end(last_batch)
    logs = {}
    callback.on_epoch_end(0, logs)
    # The clock starts after the first execution (tracing) and reads 10, 11, 12, 13.
    assert logs["examples_per_second"] == pytest.approx(4 * 2 / (13 - 10))


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
def test_crash_and_resume_in_process_matches_one_run(tmp_path, policy):
    keras.mixed_precision.set_global_policy(policy)  # mixed_float16: LossScaleOptimizer state
    keras.utils.set_random_seed(1)
    reference = one_weight_model()
    fit(reference, line_batches, epochs=3, steps_per_epoch=3, verbose=0)

    keras.utils.set_random_seed(1)
    crashed = one_weight_model()
    callbacks = make_callbacks(tmp_path, monitor="loss", save_freq=2, tensorboard=False)
    with pytest.raises(KeyboardInterrupt):
        fit(crashed, line_batches, epochs=3, steps_per_epoch=3, verbose=0,
            callbacks=callbacks + [Crash(callbacks[0], at_step=5)])
    assert callbacks[0].latest_step() == 4

    resumed = one_weight_model()
    history = fit(resumed, line_batches, epochs=3, steps_per_epoch=3, verbose=0,
                  callbacks=make_callbacks(tmp_path, monitor="loss", save_freq=2,
                                           tensorboard=False))
    assert len(history["loss"]) == 2  # the rest of epoch 2, then epoch 3
    # Under mixed_float16, steps whose scaled gradients overflow are skipped and not counted.
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations)
    assert callbacks[0].latest_step() == 9
    for got, expected in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    finished = fit(resumed, line_batches, epochs=3, steps_per_epoch=3, verbose=0,
                   callbacks=make_callbacks(tmp_path, monitor="loss", tensorboard=False))
    assert finished == {}


def _reshuffled_data():
    """A new order every pass, as the recipes' training data has."""
    x = np.arange(12, dtype="float32").reshape(12, 1)
    return (tf.data.Dataset.from_tensor_slices((x, 2 * x + 1))
            .shuffle(12, seed=3, reshuffle_each_iteration=True).batch(2))


@pytest.mark.parametrize("crash_at", [2, 9, 16])  # epoch 1, 2 and 3 of 3 (6 steps each)
def test_resume_in_any_epoch_replays_the_order_of_every_later_epoch(tmp_path, crash_at):
    keras.utils.set_random_seed(1)
    reference = one_weight_model()
    fit(reference, _reshuffled_data, epochs=3, steps_per_epoch=6, verbose=0)

    keras.utils.set_random_seed(1)
    callbacks = make_callbacks(tmp_path, monitor="loss", save_freq=1, tensorboard=False)
    with pytest.raises(KeyboardInterrupt):
        fit(one_weight_model(), _reshuffled_data, epochs=3, steps_per_epoch=6, verbose=0,
            callbacks=callbacks + [Crash(callbacks[0], at_step=crash_at)])
    assert callbacks[0].latest_step() == crash_at

    resumed = one_weight_model()  # a restarted process builds its data and model anew
    fit(resumed, _reshuffled_data, epochs=3, steps_per_epoch=6, verbose=0,
        callbacks=make_callbacks(tmp_path, monitor="loss", save_freq=1, tensorboard=False))
    assert int(resumed.optimizer.iterations) == 18
    for got, expected in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_plain_model_fit_refuses_to_ignore_a_backup(tmp_path):
    backup = StepBackup(tmp_path, save_freq=1)
    fit(one_weight_model(), line_batches, epochs=1, steps_per_epoch=2, callbacks=[backup], verbose=0)
    with pytest.raises(RuntimeError, match="holds a backup at step 2: resume with"):
        one_weight_model().fit(line_batches(), epochs=1, callbacks=[StepBackup(tmp_path)], verbose=0,
                     shuffle=False)


def test_best_model_threshold_survives_a_restart(tmp_path):
    with open(tmp_path / "history.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerows([["epoch", "loss", "val_accuracy"], [0, 0.9, 0.6], [1, 0.7, 0.8]])
    best = make_callbacks(tmp_path, monitor="val_accuracy", mode="max", tensorboard=False)[1]
    assert isinstance(best, BestModel) and best.best == 0.8


def test_best_model_is_chosen_on_a_task_metric_from_dev_metrics(tmp_path):
    """The epoch with the best dev F1 is saved, though its val_loss is not the lowest; the
    F1 of every epoch reaches history.csv."""
    scores = iter([0.5, 0.9, 0.7])
    weights = []

    def evaluate(model):
        weights.append(model.get_weights())
        return {"f1": next(scores)}

    callbacks = make_callbacks(tmp_path, monitor="val_f1", mode="max", tensorboard=False,
                               dev_metrics=DevMetrics(evaluate, verbose=False))
    assert isinstance(callbacks[0], DevMetrics)
    history = fit(one_weight_model(), line_batches, epochs=3, steps_per_epoch=3, validation_data=line_batches(),
                  callbacks=callbacks, verbose=0)
    assert history["val_f1"] == [0.5, 0.9, 0.7]
    assert history["val_loss"][2] < history["val_loss"][1]
    with open(tmp_path / "history.csv", newline="") as file:
        assert [float(row["val_f1"]) for row in csv.DictReader(file)] == [0.5, 0.9, 0.7]
    best = keras.models.load_model(tmp_path / "best.keras")
    for saved, at_epoch_2 in zip(best.get_weights(), weights[1]):
        np.testing.assert_array_equal(saved, at_epoch_2)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'auto'"):
        make_callbacks(tmp_path, mode="auto")
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive int"):
        StepBackup(tmp_path, save_freq=0)
