"""TF Serving warmup requests (`assets.extra/tf_serving_warmup_requests`).

TF Serving replays these `PredictionLog` records when it loads a version, so the first real
request does not pay for graph initialization. Each record is a `PredictRequest` with real
text: one text, then a small batch, for `serving_default`, and one for `embed`.

Example:
    >>> write_warmup_requests("models/sst2/1", "sst2", {"text": ["Great film."]})  # doctest: +SKIP
    3
"""

from __future__ import annotations

import os
from typing import Sequence

import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from bert_keras import storage
from bert_keras.export.client import predict_request
from bert_keras.export.run_dir import TrainedModel
from bert_keras.export.signatures import input_names

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
SAMPLE_TEXTS = ("A gorgeous, moving film with wonderful performances.",
                "Dull, lifeless and far too long.",
                "Angela Merkel met Emmanuel Macron in Paris on Tuesday.")
SAMPLE_PAIRS = (("The company posted higher profits this quarter.",
                 "Profits at the company rose this quarter."),
                ("He plays the guitar.", "The weather was cold in Oslo."))
SAMPLE_QUESTIONS = (("Where did Merkel meet Macron?",
                     "Angela Merkel met Emmanuel Macron in Paris on Tuesday to discuss trade."),
                    ("When was the bridge finished?",
                     "Work on the bridge began in 1929. It was finished in 1932 and opened to "
                     "traffic a year later."))


def default_warmup_inputs(trained: TrainedModel, texts: Sequence[str] | None = None
                          ) -> dict[str, list[str]]:
    """`serving_default` inputs for the warmup requests: `texts` (a tab separates the two
    texts of a pair, or a question from its context) or built-in samples."""
    names = input_names(trained)
    if texts:
        rows = [text.split("\t") for text in texts]
        bad = [text for text, row in zip(texts, rows) if len(row) != len(names)]
        if bad:
            raise ValueError(f"warmup text {bad[0]!r}: expected {len(names)} tab-separated "
                             f"field(s) ({', '.join(names)})")
    else:
        samples = {"span_labeler": SAMPLE_QUESTIONS}.get(
            trained.kind, SAMPLE_PAIRS if len(names) == 2 else [(t,) for t in SAMPLE_TEXTS])
        rows = [list(row) for row in samples]
    return {name: [row[index] for row in rows] for index, name in enumerate(names)}


def write_warmup_requests(path: str, model_name: str, inputs: dict[str, list[str]]) -> int:
    """Writes the warmup records for `serving_default` `inputs` (all, and the first row
    alone) and `embed`; returns how many."""
    first = {name: values[:1] for name, values in inputs.items()}
    requests = [predict_request(model_name, "serving_default", first),
                predict_request(model_name, "serving_default", inputs),
                predict_request(model_name, "embed",
                                {"text": next(iter(inputs.values()))})]
    storage.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return len(requests)


def read_warmup_requests(path: str) -> list[predict_pb2.PredictRequest]:
    """The `PredictRequest`s of a warmup file (each record must parse as a `PredictionLog`)."""
    requests = []
    for number, record in enumerate(tf.data.TFRecordDataset(path).as_numpy_iterator(), 1):
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record)
        if not log.HasField("predict_log"):
            raise ValueError(f"{path}: record {number} is not a predict_log")
        requests.append(log.predict_log.request)
    return requests
