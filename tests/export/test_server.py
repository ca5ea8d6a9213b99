"""End to end over real gRPC on localhost: exported models -> `bert-keras serve`'s server ->
the client (`Predict`, `GetModelMetadata`, `Classify`, `Regress`, `GetModelStatus`)."""

import http.server
import json
import os
import shutil
import threading
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (classification_pb2, get_model_status_pb2, model_service_pb2_grpc,
                                     prediction_service_pb2_grpc, regression_pb2)

from bert_keras.cli import main
from bert_keras.export.client import PredictionClient, ServingError, rest_predict
from bert_keras.export.server import start_server
from bert_keras.export.warmup import WARMUP_FILE, read_warmup_requests

from conftest import FRESH_PROCESS_INPUTS

TEXTS = FRESH_PROCESS_INPUTS["sst2"]["text"]


@pytest.fixture(scope="module")
def server(exported, tmp_path_factory):
    """A server over a models directory of its own holding sst2 and stsb version 1 (the
    tests add versions to it)."""
    base = tmp_path_factory.mktemp("models")
    for task in ("sst2", "stsb"):
        shutil.copytree(exported(task), base / task / "1")
    running = start_server(str(base), port=0, poll_seconds=0.2)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    with PredictionClient(f"127.0.0.1:{server.port}", timeout=60) as client:
        yield client


def test_predict_and_metadata_match_the_saved_model(server, client, exported):
    outputs = client.predict("sst2", {"text": TEXTS})
    expected = tf.saved_model.load(exported("sst2")).signatures["serving_default"](
        text=tf.constant(TEXTS))

    assert set(outputs) == {"logits", "probabilities", "label_id", "label"}
    for name, value in expected.items():
        np.testing.assert_array_equal(outputs[name], value.numpy())
    metadata = client.metadata("sst2")
    assert set(metadata) == {"serving_default", "serve_tokens", "embed"}
    assert metadata["serving_default"]["inputs"] == {"text": "string"}
    assert metadata["serving_default"]["outputs"]["probabilities"] == "float32"


def test_warmup_requests_replay_against_the_server(server, exported):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    requests = read_warmup_requests(os.path.join(exported("sst2"), WARMUP_FILE))
    for request in requests:
        response = stub.Predict(request, timeout=60)
        assert response.model_spec.name == "sst2" and response.model_spec.version.value == 1
        assert response.outputs
    channel.close()


def test_classify_regress_and_status(server):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

    def examples(request, **features):
        for values in zip(*features.values()):
            example = request.input.example_list.examples.add()
            for name, value in zip(features, values):
                example.features.feature[name].bytes_list.value.append(value.encode())
        return request

    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "sst2"
    result = stub.Classify(examples(request, text=TEXTS[:2]), timeout=60).result
    assert [[c.label for c in row.classes] for row in result.classifications] == [
        ["negative", "positive"]] * 2
    assert all(sum(c.score for c in row.classes) == pytest.approx(1.0, abs=1e-5)
               for row in result.classifications)

    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "stsb"
    pairs = FRESH_PROCESS_INPUTS["stsb"]
    result = stub.Regress(examples(request, text_a=pairs["text_a"], text_b=pairs["text_b"]),
                          timeout=60).result
    assert len(result.regressions) == 2

    with pytest.raises(grpc.RpcError) as error:
        request = regression_pb2.RegressionRequest()
        request.model_spec.name = "sst2"
        stub.Regress(examples(request, text=TEXTS[:1]), timeout=60)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    status_stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "sst2"
    status = status_stub.GetModelStatus(request, timeout=60).model_version_status
    assert [(s.version, s.state) for s in status] == [
        (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE)]
    channel.close()


@pytest.mark.parametrize("model, inputs, signature, code, message", [
    ("nope", {"text": ["x"]}, "serving_default", "NOT_FOUND", "model 'nope' is not loaded"),
    ("sst2", {"text": ["x"]}, "classify", "INVALID_ARGUMENT", "has no signature 'classify'"),
    ("sst2", {"sentence": ["x"]}, "serving_default", "INVALID_ARGUMENT", "takes inputs ['text']"),
    ("sst2", {"text": [1.5]}, "serving_default", "INVALID_ARGUMENT", "expected dtype string"),
    ("sst2", {"text": []}, "serving_default", "INVALID_ARGUMENT", "empty batch"),
    ("sst2", {"text": [b"caf\xe9"]}, "serving_default", "INVALID_ARGUMENT", "not valid UTF-8"),
    ("sst2", {"text": ["a" * 1_000_000]}, "serving_default", "INVALID_ARGUMENT",
     "text of 1,000,000 bytes is over the limit"),
    ("sst2", {"text": ["x"] * 257}, "serving_default", "INVALID_ARGUMENT",
     "batch of 257 is over the limit of 256"),
    ("sst2", {"input_word_ids": [[1.0]], "input_mask": [[1]], "input_type_ids": [[0]]},
     "serve_tokens", "INVALID_ARGUMENT", "input 'input_word_ids': expected dtype int32"),
])
def test_bad_requests_get_a_clear_status_and_the_server_keeps_serving(
        client, model, inputs, signature, code, message):
    with pytest.raises(ServingError) as error:
        client.predict(model, inputs, signature)
    assert error.value.code == code and message in str(error.value)
    assert client.predict("sst2", {"text": ["still serving"]})["label"].shape == (1,)


def test_a_new_version_is_picked_up(server, client, exported):
    model_dir = os.path.join(server.repository.base_dir, "sst2")
    shutil.copytree(exported("sst2"), os.path.join(model_dir, ".incoming"))
    os.rename(os.path.join(model_dir, ".incoming"), os.path.join(model_dir, "2"))
    deadline = time.time() + 60
    while server.repository.versions("sst2") != [2] and time.time() < deadline:
        time.sleep(0.2)
    assert server.repository.versions("sst2") == [2]
    assert client.predict("sst2", {"text": ["new"]}, version=2)["label"].shape == (1,)
    with pytest.raises(ServingError, match="NOT_FOUND: model 'sst2' has no loaded version 1"):
        client.predict("sst2", {"text": ["old"]}, version=1)


def test_predict_many_batches_by_length_and_keeps_the_order(client):
    texts = TEXTS + ["An utterly charming, funny and moving film about friendship.", "Bad."]
    one_request = client.predict("sst2", {"text": texts})
    batched = client.predict_many("sst2", {"text": texts}, batch_size=2)
    np.testing.assert_array_equal(batched["label"], one_request["label"])
    np.testing.assert_allclose(batched["probabilities"], one_request["probabilities"], atol=1e-5)


def test_predict_command_prints_one_json_line_per_text(server, capsys):
    assert main(["predict", "--server", f"127.0.0.1:{server.port}", "--model", "sst2",
                 "A gorgeous film.", "Dull."]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["label"] in ("negative", "positive") for row in rows] == [True, True]
    assert main(["predict", "--server", f"127.0.0.1:{server.port}", "--model", "stsb",
                 "only one text"]) == 2
    assert "expected 2 tab-separated field(s) (text_a, text_b)" in capsys.readouterr().err


def test_unreachable_server_is_unavailable_after_retries(capsys):
    client = PredictionClient("127.0.0.1:9", timeout=2, retries=1, backoff=0.01)
    with pytest.raises(ServingError, match="UNAVAILABLE"):
        client.predict("sst2", {"text": ["x"]})
    client.close()


def test_rest_predict_speaks_tf_servings_json():
    received = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received["path"] = self.path
            received["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps({"outputs": {"label": ["positive"]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.handle_request)
    thread.start()
    outputs = rest_predict(f"http://127.0.0.1:{httpd.server_port}", "sst2", {"text": ["Fine."]})
    thread.join()
    httpd.server_close()

    assert outputs == {"label": ["positive"]}
    assert received == {"path": "/v1/models/sst2:predict", "body": {
        "signature_name": "serving_default", "inputs": {"text": ["Fine."]}}}


def test_serve_command_names_a_missing_directory(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing"), "--port", "0"]) == 2
    assert "missing: no such directory" in capsys.readouterr().err
