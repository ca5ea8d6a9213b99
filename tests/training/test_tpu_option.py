"""`--tpu NAME|grpc://host:port|local`: the resolver is asked for the TPU named (a fake stands in
for TPUClusterResolver: there is no TPU here), a TPU named but not found is an error naming
the flag, and `--tpu` with a strategy that uses no TPU is refused before any work."""

import importlib

import pytest
import tensorflow as tf

from bert_keras.cli import main
from bert_keras.training.options import FinetuneOptions, PretrainOptions, RunOptions
from bert_keras.training.strategy import make_strategy


class FakeResolver:
    """Records the `tpu` it was made with; like the real one it cannot look a name up here
    unless the test says the name exists, and `local` has `chips` TPU chips."""

    calls: list = []
    known: tuple = ()
    chips = 0

    def __init__(self, tpu=None):
        FakeResolver.calls.append(tpu)
        if tpu is None:
            raise ValueError("Please provide a TPU Name to connect to.")
        if tpu != "local" and tpu not in FakeResolver.known:
            raise ValueError(f"Could not lookup TPU metadata from name '{tpu}'.")
        self.tpu = tpu

    def num_accelerators(self):
        return {"TPU": FakeResolver.chips}


@pytest.fixture
def fake_tpu(monkeypatch):
    """The fake resolver, and a TPU system that records what it was connected to."""
    connected = []
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", FakeResolver)
    monkeypatch.setattr(FakeResolver, "calls", [])
    monkeypatch.setattr(FakeResolver, "known", ("my-tpu", "grpc://10.0.0.2:8470"))
    monkeypatch.setattr(FakeResolver, "chips", 0)
    monkeypatch.setattr(tf.config, "experimental_connect_to_cluster", connected.append)
    monkeypatch.setattr(tf.tpu.experimental, "initialize_tpu_system", connected.append)
    monkeypatch.setattr(tf.distribute, "TPUStrategy", lambda resolver: ("TPUStrategy", resolver))
    return connected


@pytest.mark.parametrize("strategy", ["tpu", "auto"])
@pytest.mark.parametrize("tpu", ["my-tpu", "grpc://10.0.0.2:8470"])
def test_the_resolver_is_asked_for_the_tpu_named(fake_tpu, strategy, tpu):
    kind, resolver = make_strategy(strategy, tpu=tpu)
    assert kind == "TPUStrategy" and resolver.tpu == tpu
    assert FakeResolver.calls == [tpu]  # neither "local" nor the default resolver first
    assert fake_tpu == [resolver, resolver]  # connected, then initialised


def test_tpu_local_uses_this_hosts_chips(fake_tpu, monkeypatch):
    monkeypatch.setattr(FakeResolver, "chips", 4)
    assert make_strategy("tpu", tpu="local")[1].tpu == "local"
    assert FakeResolver.calls == ["local"]


@pytest.mark.parametrize("strategy", ["tpu", "auto"])
@pytest.mark.parametrize("tpu,reason", [("local", "this host has no TPU chips"),
                                        ("no-such-tpu", "Could not lookup TPU metadata")])
def test_a_tpu_named_but_not_found_is_an_error_even_under_auto(fake_tpu, strategy, tpu, reason):
    with pytest.raises(RuntimeError, match=f"no TPU found for --tpu {tpu}: {reason}"):
        make_strategy(strategy, tpu=tpu)
    assert FakeResolver.calls == [tpu] and fake_tpu == []


def test_without_tpu_auto_still_falls_back_to_the_cpu(fake_tpu):
    assert make_strategy("auto").num_replicas_in_sync == 1
    assert FakeResolver.calls == ["local", None]


@pytest.mark.parametrize("strategy", ["default", "one_device", "mirrored", "multi_worker"])
def test_tpu_with_a_strategy_without_tpus_is_refused(fake_tpu, strategy):
    message = rf"tpu \(--tpu\): a TPU is used only by --strategy tpu or auto, not {strategy}"
    with pytest.raises(ValueError, match=message):
        make_strategy(strategy, tpu="my-tpu")
    with pytest.raises(ValueError, match=message):
        RunOptions(strategy=strategy, tpu="my-tpu")
    assert FakeResolver.calls == []


def test_tpu_with_a_strategy_object_is_refused():
    with pytest.raises(ValueError, match="not _DefaultDistributionStrategy"):
        FinetuneOptions(strategy=tf.distribute.get_strategy(), tpu="my-tpu")


@pytest.mark.parametrize("tpu", ["", " my-tpu", 8])
def test_a_tpu_name_must_be_a_plain_word(tpu):
    with pytest.raises(ValueError, match=r"tpu \(--tpu\): expected a TPU name"):
        RunOptions(tpu=tpu)


def test_the_cli_refuses_tpu_with_mirrored_in_one_line(capsys):
    assert main(["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x",
                 "--strategy", "mirrored", "--tpu", "my-tpu"]) == 2
    assert capsys.readouterr().err == (
        "bert-keras finetune: error: tpu (--tpu): a TPU is used only by --strategy tpu or "
        "auto, not mirrored\n")


class Stop(Exception):
    """Raised by the stand-in make_strategy: the test needs nothing after it."""


@pytest.mark.parametrize("module,call", [
    ("bert_keras.training.finetune",
     lambda module: module.finetune("sst2", "random:tiny", "unused",
                                    options=FinetuneOptions(strategy="tpu", tpu="my-tpu"))),
    ("bert_keras.training.pretraining.pretrain",
     lambda module: module.pretrain("unused", "random:tiny", text_files=["unused.txt"],
                                    options=PretrainOptions(strategy="tpu", tpu="my-tpu"))),
])
def test_finetune_and_pretrain_pass_the_tpu_on(monkeypatch, module, call):
    module = importlib.import_module(module)
    asked = []

    def make_strategy(name, tpu=None):
        asked.append((name, tpu))
        raise Stop

    monkeypatch.setattr(module, "make_strategy", make_strategy)
    with pytest.raises(Stop):
        call(module)
    assert asked == [("tpu", "my-tpu")]
