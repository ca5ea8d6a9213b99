"""Functional BERT models: the encoder and the task models built on it.

Every builder takes either a `BertConfig` (new, randomly initialised encoder) or an encoder
returned by `bert_encoder` / `load_checkpoint` (pretrained weights, shared not copied).

Example:
    >>> from bert_keras import BertConfig
    >>> config = BertConfig(vocab_size=100, hidden_size=32, num_layers=2, num_heads=4,
    ...                     intermediate_size=64)
    >>> classifier = bert_classifier(config, num_classes=2)
    >>> classifier.output_names
    ['logits']
"""

from __future__ import annotations

import keras

from bert_keras.config import BertConfig
from bert_keras.layers import (BertEmbeddings, BertPooler, ClassificationHead, MaskedLMHead,
                               OutputBias, SpanLabelingHead, TransformerEncoderBlock)

ENCODER_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")
EMBEDDINGS_LAYER = "embeddings"
POOLER_LAYER = "pooler"


def transformer_layer_name(index: int) -> str:
    return f"transformer_layer_{index}"


def _encoder_inputs() -> dict[str, keras.KerasTensor]:
    return {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in ENCODER_INPUTS}


def bert_encoder(config: BertConfig, name: str = "bert_encoder") -> keras.Model:
    """The BERT encoder with TF Hub input and output names.

    Inputs (int32 `[batch, seq]`): `input_word_ids`, `input_mask`, `input_type_ids`.
    Outputs: `sequence_output` `[batch, seq, hidden]`, `pooled_output` `[batch, hidden]`,
    `encoder_outputs` (a list with each layer's sequence output).

    Example:
        >>> encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=100))
        >>> sorted(encoder.output)
        ['encoder_outputs', 'pooled_output', 'sequence_output']
    """
    inputs = _encoder_inputs()
    hidden = BertEmbeddings(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size, dropout_rate=config.dropout_rate,
        layer_norm_epsilon=config.layer_norm_epsilon,
        initializer_range=config.initializer_range, name=EMBEDDINGS_LAYER,
    )(inputs["input_word_ids"], inputs["input_type_ids"])
    encoder_outputs = []
    for index in range(config.num_layers):
        hidden = TransformerEncoderBlock(
            num_heads=config.num_heads, intermediate_size=config.intermediate_size,
            activation=config.activation, dropout_rate=config.dropout_rate,
            attention_dropout_rate=config.attention_dropout_rate,
            layer_norm_epsilon=config.layer_norm_epsilon,
            initializer_range=config.initializer_range, name=transformer_layer_name(index),
        )(hidden, padding_mask=inputs["input_mask"])
        encoder_outputs.append(hidden)
    pooled = BertPooler(config.initializer_range, name=POOLER_LAYER)(hidden)
    outputs = {"sequence_output": hidden, "pooled_output": pooled,
               "encoder_outputs": encoder_outputs}
    return keras.Model(inputs, outputs, name=name)


def _as_encoder(encoder_or_config: BertConfig | keras.Model) -> keras.Model:
    if isinstance(encoder_or_config, BertConfig):
        return bert_encoder(encoder_or_config)
    if isinstance(encoder_or_config, keras.Model):
        return encoder_or_config
    raise TypeError("expected a BertConfig or an encoder keras.Model, got "
                    f"{type(encoder_or_config).__name__}")


def _head_settings(encoder: keras.Model) -> tuple[float, float]:
    """(dropout rate, initializer range) of the encoder, reused by its heads."""
    embeddings = encoder.get_layer(EMBEDDINGS_LAYER)
    return embeddings.dropout_rate, embeddings.initializer_range


def _dense_head_model(encoder_or_config: BertConfig | keras.Model, encoder_output: str,
                      units: int, dropout_rate: float | None, name: str) -> keras.Model:
    """A `ClassificationHead` named `logits` on one output of the encoder."""
    encoder = _as_encoder(encoder_or_config)
    default_dropout, initializer_range = _head_settings(encoder)
    inputs = _encoder_inputs()
    logits = ClassificationHead(
        units, default_dropout if dropout_rate is None else dropout_rate, initializer_range,
        name="logits")(encoder(inputs)[encoder_output])
    return keras.Model(inputs, logits, name=name)


def bert_classifier(encoder_or_config: BertConfig | keras.Model, num_classes: int,
                    dropout_rate: float | None = None,
                    name: str = "bert_classifier") -> keras.Model:
    """Sentence (pair) classifier on the pooled output; `num_classes=1` means regression.

    Output: `logits` float32 `[batch, num_classes]`.

    Example:
        >>> model = bert_classifier(BertConfig.preset("tiny", vocab_size=100), num_classes=1)
        >>> model.output_shape
        (None, 1)
    """
    return _dense_head_model(encoder_or_config, "pooled_output", num_classes, dropout_rate, name)


def bert_tagger(encoder_or_config: BertConfig | keras.Model, num_labels: int,
                dropout_rate: float | None = None, name: str = "bert_tagger") -> keras.Model:
    """Token classifier (NER): `logits` float32 `[batch, seq, num_labels]`.

    Example:
        >>> model = bert_tagger(BertConfig.preset("tiny", vocab_size=100), num_labels=9)
        >>> model.output_shape
        (None, None, 9)
    """
    return _dense_head_model(encoder_or_config, "sequence_output", num_labels, dropout_rate, name)


def bert_span_labeler(encoder_or_config: BertConfig | keras.Model,
                      name: str = "bert_span_labeler") -> keras.Model:
    """Extractive QA: `start_logits` and `end_logits`, float32 `[batch, seq]`.

    Padding positions get -1e9 so that no answer starts or ends there.

    Example:
        >>> model = bert_span_labeler(BertConfig.preset("tiny", vocab_size=100))
        >>> model.output_names
        ['end_logits', 'start_logits']
    """
    encoder = _as_encoder(encoder_or_config)
    _, initializer_range = _head_settings(encoder)
    inputs = _encoder_inputs()
    sequence = encoder(inputs)["sequence_output"]
    start, end = SpanLabelingHead(initializer_range, name="span_logits")(
        sequence, inputs["input_mask"])
    # Identity layers give each output its own name (Keras names outputs after layers).
    outputs = {"start_logits": keras.layers.Identity(name="start_logits", dtype="float32")(start),
               "end_logits": keras.layers.Identity(name="end_logits", dtype="float32")(end)}
    return keras.Model(inputs, outputs, name=name)


def bert_pretrainer(encoder_or_config: BertConfig | keras.Model,
                    activation: str | None = None,
                    name: str = "bert_pretrainer") -> keras.Model:
    """Masked-LM and next-sentence-prediction model for pretraining.

    Extra input: `masked_lm_positions` int32 `[batch, num_predictions]`. Outputs:
    `mlm_logits` float32 `[batch, num_predictions, vocab]` (projection tied to the word
    embeddings) and `nsp_logits` float32 `[batch, 2]`. `activation` of the MLM transform
    defaults to the encoder's feed-forward activation.

    The model extends the encoder's own graph rather than nesting it, so that the tied
    embedding layer stays one shared layer through a `.keras` save and load;
    `encoder_of(pretrainer)` gives the encoder back.

    Example:
        >>> model = bert_pretrainer(BertConfig.preset("tiny", vocab_size=100))
        >>> model.output_names
        ['mlm_logits', 'nsp_logits']
    """
    encoder = _as_encoder(encoder_or_config)
    embeddings = encoder.get_layer(EMBEDDINGS_LAYER)
    first_block = encoder.get_layer(transformer_layer_name(0))
    inputs = {name: encoder.input[name] for name in ENCODER_INPUTS}
    masked_lm_positions = keras.Input(shape=(None,), dtype="int32", name="masked_lm_positions")
    hidden = MaskedLMHead(
        activation=activation or first_block.activation,
        layer_norm_epsilon=embeddings.layer_norm_epsilon,
        initializer_range=embeddings.initializer_range, name="mlm_transform",
    )(encoder.output["sequence_output"], masked_lm_positions)
    mlm_logits = OutputBias(name="mlm_logits")(embeddings(hidden, reverse=True))
    nsp_logits = ClassificationHead(2, dropout_rate=0.0,
                                    initializer_range=embeddings.initializer_range,
                                    name="nsp_logits")(encoder.output["pooled_output"])
    return keras.Model({**inputs, "masked_lm_positions": masked_lm_positions},
                       {"mlm_logits": mlm_logits, "nsp_logits": nsp_logits}, name=name)


def encoder_of(model: keras.Model) -> keras.Model:
    """The BERT encoder inside any model built here (or the model itself if it is one).

    Example:
        >>> classifier = bert_classifier(BertConfig.preset("tiny", vocab_size=100), 2)
        >>> encoder_of(classifier).name
        'bert_encoder'
    """
    layer_names = {layer.name for layer in model.layers}
    if EMBEDDINGS_LAYER not in layer_names:
        nested = [layer for layer in model.layers if isinstance(layer, keras.Model)
                  and EMBEDDINGS_LAYER in {inner.name for inner in layer.layers}]
        if len(nested) != 1:
            raise ValueError(f"model {model.name!r} does not contain one BERT encoder "
                             f"(found {len(nested)})")
        return nested[0]
    if set(model.output) == {"sequence_output", "pooled_output", "encoder_outputs"}:
        return model
    # A pretrainer: the encoder is the part of its graph up to the pooler.
    num_layers = sum(name.startswith("transformer_layer_") for name in layer_names)
    encoder_outputs = [model.get_layer(transformer_layer_name(index)).output
                       for index in range(num_layers)]
    outputs = {"sequence_output": encoder_outputs[-1],
               "pooled_output": model.get_layer(POOLER_LAYER).output,
               "encoder_outputs": encoder_outputs}
    return keras.Model({name: model.input[name] for name in ENCODER_INPUTS}, outputs,
                       name="bert_encoder")
