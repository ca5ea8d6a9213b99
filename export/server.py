"""`bert-keras serve`: a local gRPC server with TF Serving's API, for development and tests.

Implements `PredictionService` (`Predict`, `GetModelMetadata`, `Classify` and `Regress` for
text classifiers and regressors) and `ModelService.GetModelStatus` over a TF Serving base
directory, picking up new versions as they are exported. It binds to localhost by default,
limits message size, batch size and text length, and answers a bad request with
`INVALID_ARGUMENT` or `NOT_FOUND` and a message that names the problem, then keeps serving.
It is not TF Serving: no server-side batching, one process (see the README for the real one).

Example:
    $ bert-keras serve models --port 8500
    >>> server = start_server("models", port=0)  # doctest: +SKIP
    >>> server.port  # doctest: +SKIP
    40123
"""

from __future__ import annotations

import dataclasses
import os
import threading
from concurrent import futures
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2,
                                     get_model_status_pb2, model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc, regression_pb2)

from bert_keras.export.model_repository import LoadedVersion, ModelNotFound, ModelRepository

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_BATCH_SIZE = 256
MAX_TEXT_BYTES = 64 * 1024
MAX_SEQUENCE_LENGTH = 512
MAX_CONCURRENT_RPCS = 64
# Where a TensorProto keeps its values when `tensor_content` is empty, by dtype.
VALUE_FIELDS = {tf.string: "string_val", tf.int32: "int_val", tf.int64: "int64_val",
                tf.float32: "float_val", tf.float64: "double_val", tf.bool: "bool_val"}


class BadRequest(ValueError):
    """A request the server refuses with `INVALID_ARGUMENT`."""


@dataclasses.dataclass
class Limits:
    """What one request may hold: rows, bytes per text, tokens per row (`serve_tokens`)."""

    max_batch_size: int = MAX_BATCH_SIZE
    max_text_bytes: int = MAX_TEXT_BYTES
    max_sequence_length: int = MAX_SEQUENCE_LENGTH


def _dtype_name(enum: int) -> str:
    try:
        return tf.dtypes.as_dtype(enum).name
    except TypeError:
        return f"unknown dtype enum {enum}"


def _request_shape(name: str, proto: Any, spec: tf.TensorSpec, limits: Limits) -> list[int]:
    """The shape a request tensor declares, checked against the signature and the limits
    before anything is allocated for it."""
    if proto.tensor_shape.unknown_rank:
        raise BadRequest(f"input {name!r}: the shape has unknown rank; expected rank "
                         f"{spec.shape.rank} (shape {spec.shape})")
    dims = [dim.size for dim in proto.tensor_shape.dim]
    if any(size < 0 for size in dims):
        raise BadRequest(f"input {name!r}: shape {dims} has a negative dimension")
    if len(dims) != spec.shape.rank:
        raise BadRequest(f"input {name!r}: expected rank {spec.shape.rank} "
                         f"(shape {spec.shape}), got shape {dims}")
    if dims[0] == 0:
        raise BadRequest(f"input {name!r}: empty batch")
    if dims[0] > limits.max_batch_size:
        raise BadRequest(f"input {name!r}: batch of {dims[0]} is over the limit of "
                         f"{limits.max_batch_size}")
    if len(dims) > 1 and dims[1] > limits.max_sequence_length:
        raise BadRequest(f"input {name!r}: sequence of {dims[1]} is over the limit of "
                         f"{limits.max_sequence_length}")
    if len(dims) > 2 or (len(dims) == 2 and dims[1] == 0):
        raise BadRequest(f"input {name!r}: expected shape {spec.shape}, got {dims}")
    return dims


def _check_payload(name: str, proto: Any, dtype: tf.DType, dims: list[int]) -> None:
    """The values present are exactly as many as the shape declares."""
    elements = int(np.prod(dims))
    if proto.tensor_content and dtype != tf.string:
        expected = elements * dtype.size
        if len(proto.tensor_content) != expected:
            raise BadRequest(f"input {name!r}: tensor_content holds {len(proto.tensor_content)} "
                             f"bytes, shape {dims} of {dtype.name} needs {expected}")
        return
    count = len(getattr(proto, VALUE_FIELDS[dtype]))
    if count != elements:
        raise BadRequest(f"input {name!r}: shape {dims} needs {elements} values, got {count}")


def request_inputs(model: LoadedVersion, signature: str, inputs: dict[str, Any],
                   limits: Limits) -> dict[str, tf.Tensor]:
    """Checks request tensors against the signature (names, dtypes, ranks, batch, text) and
    returns them as tensors; `BadRequest` names the first problem."""
    if signature not in model.signature_defs:
        raise BadRequest(f"model {model.name!r} has no signature {signature!r} (signatures: "
                         f"{', '.join(sorted(model.signature_defs))})")
    specs = model.signature(signature).structured_input_signature[1]
    if set(inputs) != set(specs):
        raise BadRequest(f"signature {signature!r} takes inputs {sorted(specs)}, got "
                         f"{sorted(inputs)}")
    tensors, batch = {}, None
    for name, proto in inputs.items():
        spec = specs[name]
        if proto.dtype != spec.dtype.as_datatype_enum:
            raise BadRequest(f"input {name!r}: expected dtype {spec.dtype.name}, got "
                             f"{_dtype_name(proto.dtype)}")
        dims = _request_shape(name, proto, spec, limits)
        if batch is not None and dims[0] != batch:
            raise BadRequest(f"inputs have different batch sizes ({batch} and "
                             f"{dims[0]} for {name!r})")
        batch = dims[0]
        _check_payload(name, proto, spec.dtype, dims)
        value = tf.make_ndarray(proto)
        if spec.dtype == tf.string:
            _check_texts(name, value, limits)
        tensors[name] = tf.constant(value, dtype=spec.dtype)
    return tensors


def _check_texts(name: str, values: np.ndarray, limits: Limits) -> None:
    for index, text in enumerate(values.ravel()):
        if len(text) > limits.max_text_bytes:
            raise BadRequest(f"input {name!r}[{index}]: text of {len(text):,} bytes is over "
                             f"the limit of {limits.max_text_bytes:,}")
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadRequest(f"input {name!r}[{index}]: not valid UTF-8 ({error.reason} at "
                             f"byte {error.start})") from None


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """TF Serving's `PredictionService` over a `ModelRepository`."""

    def __init__(self, repository: ModelRepository, limits: Limits,
                 compute_slots: int | None = None) -> None:
        self.repository = repository
        self.limits = limits
        # Requests compute a few at a time (the CPU's cores are shared anyway); the others wait
        # here, and those whose client gave up meanwhile are dropped before they run.
        self._compute = threading.BoundedSemaphore(compute_slots or os.cpu_count() or 1)

    def _model(self, spec, context) -> LoadedVersion:
        version = spec.version.value if spec.HasField("version") else None
        try:
            return self.repository.get(spec.name, version)
        except ModelNotFound as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))

    def _run(self, model, signature, inputs, context) -> dict[str, np.ndarray]:
        try:
            tensors = request_inputs(model, signature, inputs, self.limits)
        except BadRequest as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        remaining = context.time_remaining()
        if not self._compute.acquire(timeout=remaining):
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline passed while the "
                          "request waited for its turn")
        try:
            if not context.is_active():
                # The client gave up while the request waited: do not compute it.
                context.abort(grpc.StatusCode.CANCELLED, "the client cancelled the request "
                              "before it was run")
            return {name: value.numpy() for name, value in
                    model.signature(signature)(**tensors).items()}
        except tf.errors.InvalidArgumentError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, graph_error_detail(error.message))
        finally:
            self._compute.release()

    def Predict(self, request, context):
        model = self._model(request.model_spec, context)
        signature = request.model_spec.signature_name or "serving_default"
        outputs = self._run(model, signature, request.inputs, context)
        wanted = list(request.output_filter) or list(outputs)
        unknown = sorted(set(wanted) - set(outputs))
        if unknown:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"output_filter names unknown "
                          f"outputs {unknown} (outputs: {sorted(outputs)})")
        response = predict_pb2.PredictResponse()
        _fill_spec(response.model_spec, model, signature)
        for name in wanted:
            response.outputs[name].CopyFrom(tf.make_tensor_proto(outputs[name]))
        return response

    def GetModelMetadata(self, request, context):
        model = self._model(request.model_spec, context)
        fields = list(request.metadata_field)
        if fields != ["signature_def"]:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"metadata_field must be "
                          f"['signature_def'], got {fields}")
        signatures = get_model_metadata_pb2.SignatureDefMap()
        for name, signature in model.signature_defs.items():
            signatures.signature_def[name].CopyFrom(signature)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        _fill_spec(response.model_spec, model, "")
        response.metadata["signature_def"].Pack(signatures)
        return response

    def _examples_as_texts(self, model, request, context) -> tuple[str, dict[str, Any]]:
        """Classify/Regress: tf.Examples with bytes features named like the text inputs."""
        signature = request.model_spec.signature_name or "serving_default"
        if signature not in model.signature_defs:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"model {model.name!r} has no "
                          f"signature {signature!r}")
        names = sorted(model.signature(signature).structured_input_signature[1])
        examples = request.input.example_list.examples
        if not examples:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "input: expected a non-empty "
                          "example_list")
        texts: dict[str, list[bytes]] = {name: [] for name in names}
        for index, example in enumerate(examples):
            for name in names:
                feature = example.features.feature.get(name)
                if feature is None or len(feature.bytes_list.value) != 1:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"example {index}: "
                                  f"expected one bytes value in feature {name!r}")
                texts[name].append(feature.bytes_list.value[0])
        return signature, {name: tf.make_tensor_proto(values, dtype=tf.string)
                           for name, values in texts.items()}

    def Classify(self, request, context):
        model = self._model(request.model_spec, context)
        signature, inputs = self._examples_as_texts(model, request, context)
        outputs = self._run(model, signature, inputs, context)
        if "probabilities" not in outputs or outputs["probabilities"].ndim != 2:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"signature {signature!r} of "
                          f"{model.name!r} is not a text classifier")
        names = model.label_names or [str(i) for i in range(outputs["probabilities"].shape[1])]
        response = classification_pb2.ClassificationResponse()
        _fill_spec(response.model_spec, model, signature)
        for row in outputs["probabilities"]:
            classification = response.result.classifications.add()
            for label, score in zip(names, row):
                classification.classes.add(label=label, score=float(score))
        return response

    def Regress(self, request, context):
        model = self._model(request.model_spec, context)
        signature, inputs = self._examples_as_texts(model, request, context)
        outputs = self._run(model, signature, inputs, context)
        if "score" not in outputs:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"signature {signature!r} of "
                          f"{model.name!r} is not a regressor")
        response = regression_pb2.RegressionResponse()
        _fill_spec(response.model_spec, model, signature)
        for value in outputs["score"]:
            response.result.regressions.add(value=float(value))
        return response


def graph_error_detail(message: str) -> str:
    """The line of a TensorFlow graph error that says what was wrong (an assertion of the
    signature, an index out of range), without TensorFlow's node and traceback lines."""
    lines = [line.strip() for line in message.splitlines()]
    useful = [line for line in lines if line and not line.startswith((
        "Graph execution error", "Detected at node", "File ", "[[", "Stack trace", "in "))]
    for line in useful:
        if "assertion failed" in line:
            return line.split("assertion failed:", 1)[1].strip(" []")
    detail = useful[0] if useful else (lines[0] if lines else "graph error")
    return detail.split(" [Op:")[0].split("\t [[")[0].strip()


def _fill_spec(spec, model: LoadedVersion, signature: str) -> None:
    spec.name = model.name
    spec.version.value = model.version
    if signature:
        spec.signature_name = signature


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    """`GetModelStatus`: AVAILABLE for each loaded version."""

    def __init__(self, repository: ModelRepository) -> None:
        self.repository = repository

    def GetModelStatus(self, request, context):
        name = request.model_spec.name
        versions = self.repository.versions(name)
        if request.model_spec.HasField("version"):
            versions = [v for v in versions if v == request.model_spec.version.value]
        if not versions:
            context.abort(grpc.StatusCode.NOT_FOUND, f"model {name!r} has no loaded version "
                          "matching the request")
        response = get_model_status_pb2.GetModelStatusResponse()
        for version in versions:
            response.model_version_status.add(
                version=version, state=get_model_status_pb2.ModelVersionStatus.AVAILABLE)
        return response


@dataclasses.dataclass
class RunningServer:
    """A started server: `port` it listens on; `stop()` ends it."""

    server: grpc.Server
    port: int
    repository: ModelRepository

    def stop(self, grace: float | None = None) -> None:
        self.repository.stop()
        self.server.stop(grace).wait()


def start_server(base_dir: str, port: int = 8500, host: str = "127.0.0.1",
                 limits: Limits | None = None, workers: int = 8,
                 poll_seconds: float = 1.0,
                 max_concurrent_rpcs: int = MAX_CONCURRENT_RPCS,
                 compute_slots: int | None = None) -> RunningServer:
    """Loads the models under `base_dir` and starts serving on `host:port` (port 0: any free
    port) with `workers` threads, of which `compute_slots` (default: the CPU count) run a
    model at once; beyond `max_concurrent_rpcs` requests in progress or queued, new ones get
    RESOURCE_EXHAUSTED."""
    repository = ModelRepository(base_dir)
    repository.refresh()
    repository.start_polling(poll_seconds)
    # A bounded queue (RESOURCE_EXHAUSTED beyond it) and no SO_REUSEPORT, so a second server
    # on a port in use fails instead of taking half the connections.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                         maximum_concurrent_rpcs=max_concurrent_rpcs, options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0)])
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionService(repository, limits or Limits(), compute_slots), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(repository), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:  # grpcio raises where older versions returned 0
        bound = 0
    if not bound:
        repository.stop()
        raise OSError(f"cannot listen on {host}:{port} (in use by another process?)")
    server.start()
    return RunningServer(server, bound, repository)
