"""Strategies by name, their errors, batching and precision; MirroredStrategy on two logical
CPU devices trains exactly like one device (run in a child process: logical devices must be
configured before TensorFlow initialises its devices)."""

import doctest
import json
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import bert_keras.training
from bert_keras.training import strategy as strategy_module
from bert_keras.training.strategy import (batch_for_strategy, make_strategy, needs_drop_remainder,
                                          set_precision)

sys.path.insert(0, str(Path(__file__).with_name("workers")))
from launch import train  # noqa: E402


def test_package_docstring_example():
    # tests/test_docstring_examples.py runs the submodules' examples, not the package's own.
    assert doctest.testmod(bert_keras.training).failed == 0


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown strategy 'gpu'; valid names: auto, default, "
                                         "one_device, mirrored, multi_worker, tpu"):
        make_strategy("gpu")


def test_tpu_without_a_tpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no TPU found"):
        make_strategy("tpu")


class FakeResolver:
    """Stands in for TPUClusterResolver: records how it was asked, reports `chips` local TPUs,
    and like the real one needs a TPU name when it is not asked for the local host."""

    calls: list = []
    chips = 0

    def __init__(self, tpu=None):
        FakeResolver.calls.append(tpu)
        if tpu is None:
            raise ValueError("Please provide a TPU Name to connect to.")
        self.tpu = tpu

    def num_accelerators(self):
        return {"TPU": FakeResolver.chips}


@pytest.mark.parametrize("chips,expected", [(8, "local"), (0, None)])
def test_a_tpu_vm_is_found_by_the_local_resolver_first(monkeypatch, chips, expected):
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", FakeResolver)
    monkeypatch.setattr(FakeResolver, "calls", [])
    monkeypatch.setattr(FakeResolver, "chips", chips)
    if expected == "local":
        assert strategy_module._tpu_resolver().tpu == "local"
        assert FakeResolver.calls == ["local"]
    else:  # no chips on this host: the default resolver is asked next, and finds none
        with pytest.raises(RuntimeError, match="no TPU found"):
            strategy_module._tpu_resolver()
        assert FakeResolver.calls == ["local", None]


def test_auto_on_a_cpu_machine_is_the_default_strategy():
    strategy = make_strategy("auto")
    assert strategy.num_replicas_in_sync == 1 and not needs_drop_remainder(strategy)


@pytest.mark.parametrize("tf_config,message", [
    (None, "needs the TF_CONFIG environment variable"),
    ("{worker", "TF_CONFIG is not valid JSON"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), "needs a non-empty 'cluster'"),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}}), "needs 'task'"),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 1}}),
     "is not in its cluster"),
])
def test_multi_worker_needs_a_valid_tf_config(monkeypatch, tf_config, message):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ValueError, match=message):
        make_strategy("multi_worker")


def test_batches_are_global_and_keep_the_remainder_on_one_device():
    batches = list(batch_for_strategy(tf.data.Dataset.range(7), make_strategy("default"), 3))
    assert [len(batch) for batch in batches] == [3, 3, 1]


@pytest.mark.parametrize("name", ["float32", "mixed_float16", "mixed_bfloat16"])
def test_set_precision_by_name(name):
    assert set_precision(name) == name
    assert keras.mixed_precision.global_policy().name == name


def test_set_precision_auto_and_errors():
    assert set_precision("auto", make_strategy("default")) == "float32"
    with pytest.raises(ValueError, match="unknown precision policy 'float16'; valid names: auto"):
        set_precision("float16")


def test_mirrored_on_two_cpus_matches_one_device(tmp_path):
    single = train(tmp_path, "single", "--strategy", "default")
    mirrored = train(tmp_path, "mirrored", "--strategy", "mirrored", "--logical-cpus", "2")
    assert int(single["replicas"]) == 1 and int(mirrored["replicas"]) == 2
    assert int(single["iterations"]) == int(mirrored["iterations"]) == 8
    np.testing.assert_allclose(mirrored["losses"], single["losses"], rtol=1e-5)
    np.testing.assert_allclose(mirrored["final_loss"], single["final_loss"], rtol=1e-5)
    np.testing.assert_allclose(mirrored["weights"], single["weights"], atol=1e-5)
