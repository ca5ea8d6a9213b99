"""Serving signatures: raw text in, named dense outputs with a leading batch dimension out.

Tokenization runs in the graph (`bert_keras.text`, tf-text), so a client sends strings. Every
model gets `serve_tokens` (the three encoder inputs) and `embed` (sentence vectors); the task
decides `serving_default`:

    classifier     text [, pair: text_a, text_b] -> logits, probabilities, label_id, label
    regression     text [, pair: text_a, text_b] -> score
    tagger         text -> tokens and entities with labels, scores, offsets (`.tagger`)
    span_labeler   question, context -> answer, start, end, score (`.span_labeler`)

A sentence-pair model's `serving_default` takes `text_a` and `text_b` and it has no single-text
signature (it was never trained on one).

Example:
    >>> functions = serving_functions(load_trained("runs/sst2"))  # doctest: +SKIP
    >>> sorted(functions)  # doctest: +SKIP
    ['embed', 'serve_tokens', 'serving_default']
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from bert_keras.models import ENCODER_INPUTS, encoder_of
from bert_keras.text import BertPreprocessor
from bert_keras.export.run_dir import TrainedModel
from bert_keras.export.span_labeler import span_labeler_outputs
from bert_keras.export.tagger import tagger_outputs

TOKENS = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in ENCODER_INPUTS}
TEXT_SIGNATURES = {1: ("text",), 2: ("text_a", "text_b")}


def input_names(trained: TrainedModel) -> tuple[str, ...]:
    """The string inputs of the model's `serving_default`."""
    if trained.kind == "span_labeler":
        return ("question", "context")
    return ("text",) if trained.kind == "tagger" else TEXT_SIGNATURES[trained.segments]


def serving_functions(trained: TrainedModel) -> dict[str, Callable]:
    """The `tf.function`s (with input signatures) to save, by signature name."""
    heads = {"classifier": _classifier_outputs, "regression": _regression_outputs,
             "tagger": _classifier_outputs, "span_labeler": _span_logits}
    model = trained.model
    head = heads[trained.kind](trained)
    preprocessor = BertPreprocessor(trained.tokenizer, seq_length=trained.seq_length,
                                    pad_to="longest")
    encoder = encoder_of(model)

    def from_text(*texts: tf.Tensor) -> dict[str, tf.Tensor]:
        return head(model(preprocessor(list(texts)), training=False))

    def embed(text: tf.Tensor) -> dict[str, tf.Tensor]:
        inputs = preprocessor([text])
        outputs = encoder(inputs, training=False)
        mask = tf.cast(inputs["input_mask"], outputs["sequence_output"].dtype)[:, :, None]
        mean = tf.reduce_sum(outputs["sequence_output"] * mask, 1) / tf.reduce_sum(mask, 1)
        return {"pooled_output": tf.cast(outputs["pooled_output"], tf.float32),
                "mean_pooled_output": tf.cast(mean, tf.float32)}

    config = encoder.config

    def serve_tokens(input_word_ids, input_mask, input_type_ids) -> dict[str, tf.Tensor]:
        inputs = {"input_word_ids": input_word_ids, "input_mask": input_mask,
                  "input_type_ids": input_type_ids}
        with tf.control_dependencies(_token_checks(inputs, config)):
            return head(model({name: tf.identity(value) for name, value in inputs.items()},
                              training=False))

    serving_default = from_text
    if trained.kind == "tagger":
        serving_default = tagger_outputs(trained)
    elif trained.kind == "span_labeler":
        serving_default = span_labeler_outputs(trained, trained.spec.options)
    return {  # input names come from the TensorSpec names
        "serving_default": tf.function(serving_default, input_signature=_texts(*input_names(trained))),
        "serve_tokens": tf.function(serve_tokens, input_signature=list(TOKENS.values())),
        "embed": tf.function(embed, input_signature=_texts("text")),
    }


def _token_checks(inputs: dict[str, tf.Tensor], config) -> list[tf.Operation]:
    """Assertions that make a bad `serve_tokens` request fail with a message naming the input
    and the allowed range (instead of an index error deep in the graph), in TF Serving too."""
    ids, mask, types = (inputs[name] for name in ENCODER_INPUTS)
    shape = tf.shape(ids)

    def check(condition, message):
        return tf.debugging.Assert(condition, [message])

    return [
        check(tf.reduce_all(tf.equal(tf.shape(mask), shape)) &
              tf.reduce_all(tf.equal(tf.shape(types), shape)),
              "input_word_ids, input_mask and input_type_ids must have the same shape"),
        check(shape[1] <= config.max_position_embeddings,
              f"sequences may have at most {config.max_position_embeddings} tokens "
              "(the model's max_position_embeddings)"),
        check(tf.reduce_all((ids >= 0) & (ids < config.vocab_size)),
              f"input_word_ids must lie in [0, {config.vocab_size})"),
        check(tf.reduce_all((types >= 0) & (types < config.type_vocab_size)),
              f"input_type_ids must lie in [0, {config.type_vocab_size})"),
        check(tf.reduce_all((mask == 0) | (mask == 1)), "input_mask must hold 0 or 1"),
    ]


def _texts(*names: str) -> list[tf.TensorSpec]:
    return [tf.TensorSpec([None], tf.string, name=name) for name in names]


def _classifier_outputs(trained: TrainedModel) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """Logits `[..., labels]` -> logits, probabilities, label_id and label (for taggers, per
    position)."""
    label_names = tf.constant(list(trained.label_names))

    def outputs(logits: tf.Tensor) -> dict[str, tf.Tensor]:
        logits = tf.cast(logits, tf.float32)
        label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1),
                "label_id": label_id, "label": tf.gather(label_names, label_id)}
    return outputs


def _regression_outputs(trained: TrainedModel) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    def outputs(logits: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"score": tf.cast(logits[:, 0], tf.float32)}
    return outputs


def _span_logits(trained: TrainedModel) -> Callable[[dict], dict[str, tf.Tensor]]:
    def outputs(logits: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return {name: tf.cast(logits[name], tf.float32) for name in ("start_logits",
                                                                     "end_logits")}
    return outputs
