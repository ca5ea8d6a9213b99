"""Clients for TF Serving (and `bert-keras serve`): gRPC `PredictionService` and the REST API.

gRPC calls have a deadline and retry `UNAVAILABLE` (server starting or restarting) with
backoff; any other failure raises `ServingError` with the status code and the server's message.

Example:
    >>> client = PredictionClient("localhost:8500")  # doctest: +SKIP
    >>> client.predict("sst2", {"text": ["A moving film."]})["label"]  # doctest: +SKIP
    array([b'positive'], dtype=object)
    >>> rest_predict("http://localhost:8501", "sst2", {"text": ["A moving film."]})  # doctest: +SKIP
    {'label': ['positive'], ...}
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Sequence

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (get_model_metadata_pb2, predict_pb2,
                                     prediction_service_pb2_grpc)

from bert_keras.export.batching import predict_batched


class ServingError(RuntimeError):
    """A request the server refused or could not answer: `code` (gRPC status name or HTTP
    status) and the server's message."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


def predict_request(model: str, signature: str, inputs: dict[str, Sequence[Any]],
                    version: int | None = None) -> predict_pb2.PredictRequest:
    """A `PredictRequest`: lists of `str`/`bytes` become string tensors (an empty list too),
    anything else goes through `tf.make_tensor_proto`."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    for name, values in inputs.items():
        texts = all(isinstance(v, (str, bytes)) for v in values)
        values = [v.encode("utf-8") if isinstance(v, str) else v for v in values]
        request.inputs[name].CopyFrom(tf.make_tensor_proto(
            values, dtype=tf.string if texts else None))
    return request


class PredictionClient:
    """A gRPC client of one server (`host:port`)."""

    def __init__(self, target: str, timeout: float = 30.0, retries: int = 3,
                 backoff: float = 0.5) -> None:
        self.target = target
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._channel = grpc.insecure_channel(target, options=[
            ("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "PredictionClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _call(self, method, request):
        for attempt in range(self.retries + 1):
            try:
                return method(request, timeout=self.timeout)
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.UNAVAILABLE and attempt < self.retries:
                    time.sleep(self.backoff * 2 ** attempt)
                    continue
                raise ServingError(error.code().name, error.details() or "") from None

    def predict(self, model: str, inputs: dict[str, Sequence[Any]],
                signature: str = "serving_default", version: int | None = None
                ) -> dict[str, np.ndarray]:
        """Runs `signature` of `model` on `inputs` (lists of strings, or arrays) and returns
        its outputs as arrays."""
        request = predict_request(model, signature, inputs, version)
        response = self._call(self._stub.Predict, request)
        return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}

    def predict_many(self, model: str, inputs: dict[str, Sequence[str]],
                     signature: str = "serving_default", batch_size: int = 32
                     ) -> dict[str, np.ndarray]:
        """`predict` for any number of text rows: one request per `batch_size` rows of
        similar length (`bert_keras.export.batching.predict_batched`), outputs in the rows'
        order."""
        return predict_batched(lambda batch: self.predict(model, batch, signature), inputs,
                               batch_size)

    def metadata(self, model: str) -> dict[str, Any]:
        """`{signature: {"inputs": {name: dtype}, "outputs": {name: dtype}}}` of `model`."""
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = model
        request.metadata_field.append("signature_def")
        response = self._call(self._stub.GetModelMetadata, request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signatures)
        return {name: {side: {key: tf.dtypes.as_dtype(info.dtype).name
                              for key, info in getattr(signature, side).items()}
                       for side in ("inputs", "outputs")}
                for name, signature in signatures.signature_def.items()}


# The order in which texts split at tabs fill a signature's string inputs.
INPUT_ORDER = ("text", "text_a", "text_b", "question", "context")


def predict_command(server: str, model: str, texts: Sequence[str], signature: str,
                    timeout: float) -> int:
    """`bert-keras predict --server`: per text a JSON line of the text (`input`) and the
    signature's outputs; 2 on an error."""
    import sys

    try:
        with PredictionClient(server, timeout=timeout) as client:
            signatures = client.metadata(model)
            if signature not in signatures:
                raise ServingError("INVALID_ARGUMENT", f"model {model!r} has no signature "
                                   f"{signature!r} (signatures: {', '.join(sorted(signatures))})")
            names = sorted(signatures[signature]["inputs"], key=lambda name: (
                INPUT_ORDER.index(name) if name in INPUT_ORDER else len(INPUT_ORDER), name))
            rows = [text.split("\t") for text in texts]
            for text, row in zip(texts, rows):
                if len(row) != len(names):
                    raise ServingError("INVALID_ARGUMENT", f"{text[:60]!r}: expected "
                                       f"{len(names)} tab-separated field(s) ({', '.join(names)})")
            outputs = client.predict_many(model, {name: [row[i] for row in rows]
                                                  for i, name in enumerate(names)}, signature)
    except ServingError as error:
        print(f"bert-keras predict: error: {server}: {error}", file=sys.stderr)
        return 2
    for index, text in enumerate(texts):
        print(json.dumps({"input": text, **{name: _plain(value[index])
                                            for name, value in sorted(outputs.items())}},
                         ensure_ascii=False))
    return 0


def _plain(value: Any) -> Any:
    """An output row as JSON-ready Python values (bytes decoded)."""
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.item() if isinstance(value, np.generic) else value


def rest_predict(url: str, model: str, inputs: dict[str, Sequence[Any]],
                 signature: str = "serving_default", timeout: float = 30.0) -> dict[str, Any]:
    """TF Serving's REST `:predict` (port 8501) in its columnar form; returns the outputs."""
    body = json.dumps({"signature_name": signature, "inputs": {
        name: list(values) for name, values in inputs.items()}}).encode("utf-8")
    request = urllib.request.Request(f"{url.rstrip('/')}/v1/models/{model}:predict", body,
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            outputs = json.load(response)["outputs"]
    except urllib.error.HTTPError as error:
        message = error.read().decode("utf-8", "replace")
        raise ServingError(str(error.code), message) from None
    except urllib.error.URLError as error:
        raise ServingError("UNAVAILABLE", str(error.reason)) from None
    return outputs if isinstance(outputs, dict) else {"output": outputs}
