"""`bert-keras serve` under faults and hostile requests (the hardening issue's probes): a broken
or half-copied new version, the base directory moving away, a second server on the same port,
requests that declare huge or malformed tensors, out-of-range tokens, abandoned requests, and a
fuzz of random requests. The server must answer each with a proper status and keep serving."""

from __future__ import annotations

import concurrent.futures
import logging
import random
import shutil
import time

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from bert_keras import BertConfig
from bert_keras.export.client import predict_request
from bert_keras.export.server import Limits, start_server

TEXT = {"text": ["A gripping film."]}
PROPER = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
          grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.CANCELLED,
          grpc.StatusCode.DEADLINE_EXCEEDED}


@pytest.fixture
def base(exported, tmp_path):
    """A models directory of its own holding sst2 version 1."""
    shutil.copytree(exported("sst2"), tmp_path / "models" / "sst2" / "1")
    return tmp_path / "models"


@pytest.fixture
def serving(base):
    running = start_server(str(base), port=0, poll_seconds=0.1)
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    yield running, stub
    channel.close()
    running.stop()


def predict(stub, inputs=TEXT, signature="serving_default", timeout=60):
    return stub.Predict(predict_request("sst2", signature, inputs), timeout=timeout)


def wait_for(condition, seconds=60):
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.1)
    return condition()


def status_of(call) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("breakage", ["bad saved_model.pb", "saved_model.pb before variables"])
def test_a_broken_new_version_keeps_the_good_one_serving_and_is_retried(
        serving, base, exported, caplog, breakage):
    running, stub = serving
    incoming = base / "sst2" / "9"
    if breakage == "bad saved_model.pb":
        incoming.mkdir()
        (incoming / "saved_model.pb").write_bytes(b"not a SavedModel")
    else:  # a copy caught half-way: the graph is there, its variables are not yet
        shutil.copytree(exported("sst2"), incoming, ignore=shutil.ignore_patterns("variables"))
    with caplog.at_level(logging.ERROR, logger="bert_keras.export.model_repository"):
        assert wait_for(lambda: "sst2/9" in running.repository.errors)
        time.sleep(0.5)  # several more polls: the failure is neither retried nor fatal
    assert running.repository.versions("sst2") == [1]
    assert predict(stub).model_spec.version.value == 1
    assert [r for r in caplog.records if "version 9 did not load" in r.getMessage()]
    # The copy completes: the changed files are tried again, and version 9 takes over.
    shutil.rmtree(incoming)
    shutil.copytree(exported("sst2"), incoming)
    assert wait_for(lambda: running.repository.versions("sst2") == [9])
    assert predict(stub).model_spec.version.value == 9


def test_polling_survives_the_base_directory_moving_away(serving, base, exported):
    running, stub = serving
    moved = base.with_name("elsewhere")
    base.rename(moved)
    time.sleep(0.5)  # polls fail meanwhile
    assert predict(stub).model_spec.version.value == 1
    moved.rename(base)
    shutil.copytree(exported("sst2"), base / "sst2" / "2")
    assert wait_for(lambda: running.repository.versions("sst2") == [2])


def test_a_second_server_on_a_port_in_use_fails(serving, base):
    running, _ = serving
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{running.port}"):
        start_server(str(base), port=running.port)


def tensor(dtype: int, dims: list[int], **values) -> tensor_pb2.TensorProto:
    proto = tensor_pb2.TensorProto(dtype=dtype, **values)
    for size in dims:
        proto.tensor_shape.dim.add(size=size)
    return proto


def raw_request(signature: str, **inputs: tensor_pb2.TensorProto) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "sst2"
    request.model_spec.signature_name = signature
    for name, proto in inputs.items():
        request.inputs[name].CopyFrom(proto)
    return request


def token_inputs(dims, content=None, **overrides):
    size = int(np.prod(dims))
    protos = {name: tensor(types_pb2.DT_INT32, dims, int_val=[value] * size)
              for name, value in (("input_word_ids", 5), ("input_mask", 1),
                                  ("input_type_ids", 0))}
    protos.update(overrides)
    return protos


@pytest.mark.parametrize("request_, message", [
    (raw_request("serving_default", text=tensor(types_pb2.DT_STRING, [200_000_000],
                                                string_val=[b"x"])),
     "input 'text': batch of 200000000 is over the limit of 256"),
    (raw_request("serve_tokens", **token_inputs(
        [1, 1], input_word_ids=tensor(types_pb2.DT_INT32, [1, 50_000_000], int_val=[5]))),
     "input 'input_word_ids': sequence of 50000000 is over the limit of 512"),
    (raw_request("serving_default", text=tensor(types_pb2.DT_STRING, [-5], string_val=[b"x"])),
     "input 'text': shape [-5] has a negative dimension"),
    (raw_request("serving_default", text=tensor(types_pb2.DT_STRING, [3], string_val=[b"x"])),
     "input 'text': shape [3] needs 3 values, got 1"),
    (raw_request("serve_tokens", **token_inputs(
        [1, 4], input_word_ids=tensor(types_pb2.DT_INT32, [1, 4], tensor_content=b"1234567"))),
     "input 'input_word_ids': tensor_content holds 7 bytes, shape [1, 4] of int32 needs 16"),
    (raw_request("serving_default", text=tensor(999, [1], string_val=[b"x"])),
     "input 'text': expected dtype string, got unknown dtype enum 999"),
], ids=["huge batch", "huge sequence", "negative dim", "too few values", "short content",
        "unknown dtype"])
def test_declared_shapes_are_checked_before_anything_is_allocated(serving, request_, message):
    _, stub = serving
    started = time.time()
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(request_, timeout=60)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.value.details()
    assert time.time() - started < 5
    assert predict(stub).outputs


@pytest.mark.parametrize("overrides, message", [
    ({"input_word_ids": tensor(types_pb2.DT_INT32, [1, 2], int_val=[5, 10**6])},
     "input_word_ids must lie in [0, "),
    ({"input_type_ids": tensor(types_pb2.DT_INT32, [1, 2], int_val=[0, 7])},
     "input_type_ids must lie in [0, 2)"),
    ({"input_mask": tensor(types_pb2.DT_INT32, [1, 2], int_val=[1, 3])},
     "input_mask must hold 0 or 1"),
    ({"input_mask": tensor(types_pb2.DT_INT32, [1, 3], int_val=[1, 1, 1])},
     "input_word_ids, input_mask and input_type_ids must have the same shape"),
], ids=["word id", "type id", "mask", "shapes"])
def test_out_of_range_tokens_get_a_message_naming_the_input(serving, overrides, message):
    _, stub = serving
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(raw_request("serve_tokens", **token_inputs([1, 2], **overrides)),
                     timeout=60)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.value.details()
    assert "Graph execution error" not in error.value.details()


def test_sequences_longer_than_the_model_takes_are_refused(base):
    """The graph itself refuses more tokens than the model has positions (for TF Serving, which
    has no such limit of ours): seen through a server whose own limit is higher."""
    positions = BertConfig.preset("tiny").max_position_embeddings
    running = start_server(str(base), port=0, limits=Limits(max_sequence_length=4 * positions))
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            stub.Predict(raw_request("serve_tokens", **token_inputs([1, positions + 1])),
                         timeout=60)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert f"sequences may have at most {positions} tokens" in error.value.details()
        channel.close()
    finally:
        running.stop()


def slowed_down(running, seconds: float) -> list[float]:
    """Makes every signature call of the served model take `seconds`; returns the list the
    start times of the calls go to."""
    model = running.repository.get("sst2")
    calls: list[float] = []
    original = model.signature

    class Slow:
        def __init__(self, function):
            self.function = function
            self.structured_input_signature = function.structured_input_signature

        def __call__(self, **inputs):
            calls.append(time.time())
            time.sleep(seconds)
            return self.function(**inputs)

    model.signature = lambda name: Slow(original(name))
    return calls


def test_abandoned_requests_are_not_computed(base):
    """Eight requests whose clients give up after 0.3 s, one model run at a time taking 0.5 s:
    the first runs, the others are dropped when their turn comes."""
    running = start_server(str(base), port=0, compute_slots=1)
    try:
        calls = slowed_down(running, 0.5)
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: status_of(lambda: predict(stub, timeout=0.3)),
                                  range(8)))
        assert codes == [grpc.StatusCode.DEADLINE_EXCEEDED] * 8
        time.sleep(8 * 0.5)  # long enough for the one worker to have run all eight
        assert len(calls) <= 2  # the first one or two started; the abandoned rest never ran
        started = time.time()
        assert predict(stub).outputs and time.time() - started < 2
        channel.close()
    finally:
        running.stop()


def test_the_queue_is_bounded(base):
    running = start_server(str(base), port=0, workers=1, max_concurrent_rpcs=2)
    try:
        slowed_down(running, 0.5)
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda _: status_of(lambda: predict(stub)), range(6)))
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes and grpc.StatusCode.OK in codes
        channel.close()
    finally:
        running.stop()


def resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def random_tensor(rng: random.Random) -> tensor_pb2.TensorProto:
    dtype = rng.choice([types_pb2.DT_STRING, types_pb2.DT_INT32, types_pb2.DT_INT64,
                        types_pb2.DT_FLOAT, types_pb2.DT_BOOL, types_pb2.DT_HALF,
                        rng.randrange(0, 400)])
    dims = [rng.choice([-3, 0, 1, 2, 7, 300, 10**9]) for _ in range(rng.randrange(0, 4))]
    proto = tensor(dtype, dims)
    if rng.random() < 0.2:
        proto.tensor_shape.unknown_rank = True
    kind = rng.randrange(4)
    if kind == 0:
        proto.string_val.extend(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
                                for _ in range(rng.randrange(0, 5)))
    elif kind == 1:
        proto.int_val.extend(rng.randrange(-2**31, 2**31) for _ in range(rng.randrange(0, 9)))
    elif kind == 2:
        proto.tensor_content = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
    else:
        proto.float_val.extend(rng.uniform(-1e9, 1e9) for _ in range(rng.randrange(0, 9)))
    return proto


def random_request(rng: random.Random) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = rng.choice(["sst2", "sst2", "sst2", "", "nope", "sst2\x00"])
    request.model_spec.signature_name = rng.choice(
        ["", "serving_default", "serve_tokens", "embed", "x" * 300])
    if rng.random() < 0.3:
        request.model_spec.version.value = rng.choice([0, 1, 2, -1, 2**40])
    names = ["text", "input_word_ids", "input_mask", "input_type_ids", "", "ünï"]
    for name in rng.sample(names, rng.randrange(0, 4)):
        request.inputs[name].CopyFrom(random_tensor(rng))
    if rng.random() < 0.2:
        request.output_filter.append(rng.choice(["label", "nope", ""]))
    return request


def test_fuzzed_requests_always_get_a_proper_status(serving):
    running, stub = serving
    rng = random.Random(20)
    predict(stub)  # warm
    before = resident_mb()
    codes = {}
    for index in range(400):
        request = random_request(rng)
        code = status_of(lambda: stub.Predict(request, timeout=60))
        assert code in PROPER, (index, code, request)
        codes[code] = codes.get(code, 0) + 1
    assert predict(stub).outputs  # still serving
    assert resident_mb() - before < 300
    assert codes.get(grpc.StatusCode.INVALID_ARGUMENT, 0) > 100
