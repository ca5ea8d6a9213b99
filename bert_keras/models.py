"""BERT models: the encoder, which carries its `BertConfig`, and the task models built on it.

Every builder takes either a `BertConfig` (new, randomly initialised encoder) or a
`BertEncoder` (for example from `load_checkpoint`: pretrained weights, shared not copied).

Example:
    >>> from bert_keras import BertConfig
    >>> config = BertConfig(vocab_size=100, hidden_size=32, num_layers=2, num_heads=4,
    ...                     intermediate_size=64)
    >>> classifier = bert_classifier(config, num_classes=2)
    >>> classifier.output_names
    ['logits']
    >>> encoder_of(classifier).config == config
    True
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras

from bert_keras.config import BertConfig
from bert_keras.layers import (BertEmbeddings, BertPooler, ClassificationHead, MaskedLMHead,
                               OutputBias, SpanLabelingHead, TransformerEncoderBlock)
from bert_keras.registration import register_all

ENCODER_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


def _encoder_inputs() -> dict[str, keras.KerasTensor]:
    return {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in ENCODER_INPUTS}


@keras.saving.register_keras_serializable(package="bert_keras")
class BertEncoder(keras.Model):
    """The BERT encoder: a functional Keras model that carries the `BertConfig` it was built from.

    Inputs (int32 `[batch, seq]`, the TF Hub names): `input_word_ids`, `input_mask`,
    `input_type_ids`. Outputs: `sequence_output` `[batch, seq, hidden]`, `pooled_output`
    `[batch, hidden]`, `encoder_outputs` (a list with each layer's sequence output).

    `config` is the `BertConfig`; `embeddings`, `transformer_layers` and `pooler` are its
    layers (weight paths `embeddings/...`, `transformer_layer_<i>/...`, `pooler/...`, which
    the checkpoint weight map names). It serializes through `get_config`, so `.keras` files
    rebuild it from the config.

    Example:
        >>> encoder = BertEncoder(BertConfig.preset("tiny", vocab_size=100))
        >>> sorted(encoder.output), len(encoder.transformer_layers), encoder.config.hidden_size
        (['encoder_outputs', 'pooled_output', 'sequence_output'], 2, 128)
    """

    def __init__(self, config: BertConfig, name: str = "bert_encoder",
                 dtype: str | keras.DTypePolicy | None = None, **kwargs: Any):
        if not isinstance(config, BertConfig):
            raise TypeError(f"expected a BertConfig, got {type(config).__name__}")
        inputs = _encoder_inputs()
        embeddings = BertEmbeddings(
            vocab_size=config.vocab_size, hidden_size=config.hidden_size,
            max_position_embeddings=config.max_position_embeddings,
            type_vocab_size=config.type_vocab_size, dropout_rate=config.dropout_rate,
            layer_norm_epsilon=config.layer_norm_epsilon,
            initializer_range=config.initializer_range, name="embeddings", dtype=dtype)
        hidden = embeddings(inputs["input_word_ids"], inputs["input_type_ids"])
        blocks = [TransformerEncoderBlock(
            num_heads=config.num_heads, intermediate_size=config.intermediate_size,
            activation=config.activation, dropout_rate=config.dropout_rate,
            attention_dropout_rate=config.attention_dropout_rate,
            layer_norm_epsilon=config.layer_norm_epsilon,
            initializer_range=config.initializer_range, name=f"transformer_layer_{index}",
            dtype=dtype)
            for index in range(config.num_layers)]
        encoder_outputs = []
        for block in blocks:
            hidden = block(hidden, padding_mask=inputs["input_mask"])
            encoder_outputs.append(hidden)
        pooler = BertPooler(config.initializer_range, name="pooler", dtype=dtype)
        outputs = {"sequence_output": hidden, "pooled_output": pooler(hidden),
                   "encoder_outputs": encoder_outputs}
        super().__init__(inputs, outputs, name=name, dtype=dtype, **kwargs)
        self._bert_config = config
        self._bert_layers = (embeddings, tuple(blocks), pooler)

    @property
    def config(self) -> BertConfig:
        return self._bert_config

    @property
    def embeddings(self) -> BertEmbeddings:
        return self._bert_layers[0]

    @property
    def transformer_layers(self) -> tuple[TransformerEncoderBlock, ...]:
        return self._bert_layers[1]

    @property
    def pooler(self) -> BertPooler:
        return self._bert_layers[2]

    def get_config(self) -> dict[str, Any]:
        return {**_base_config(self), "config": dataclasses.asdict(self.config)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BertEncoder":
        config = dict(config)
        return cls(BertConfig(**config.pop("config")), **config)


def _base_config(model: keras.Model) -> dict[str, Any]:
    """The settings every Keras layer serializes: name, trainable and the dtype policy (a
    model trained under mixed precision must load with it where the global policy differs)."""
    return {"name": model.name, "trainable": model.trainable,
            "dtype": keras.dtype_policies.serialize(model.dtype_policy)}


def bert_encoder(config: BertConfig, name: str = "bert_encoder") -> BertEncoder:
    """A new, randomly initialised `BertEncoder` for `config` (see `BertEncoder`).

    Example:
        >>> encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=100))
        >>> sorted(encoder.output)
        ['encoder_outputs', 'pooled_output', 'sequence_output']
    """
    return BertEncoder(config, name=name)


def _as_encoder(encoder_or_config: BertConfig | BertEncoder) -> BertEncoder:
    if isinstance(encoder_or_config, BertConfig):
        return BertEncoder(encoder_or_config)
    if isinstance(encoder_or_config, BertEncoder):
        return encoder_or_config
    raise TypeError("expected a BertConfig or a BertEncoder, got "
                    f"{type(encoder_or_config).__name__}")


def _dense_head_model(encoder_or_config: BertConfig | BertEncoder, encoder_output: str,
                      units: int, dropout_rate: float | None, name: str) -> keras.Model:
    """A `ClassificationHead` named `logits` on one output of the encoder; the head's dropout
    and initialisation default to the encoder's."""
    encoder = _as_encoder(encoder_or_config)
    config = encoder.config
    inputs = _encoder_inputs()
    logits = ClassificationHead(
        units, config.dropout_rate if dropout_rate is None else dropout_rate,
        config.initializer_range, name="logits")(encoder(inputs)[encoder_output])
    return keras.Model(inputs, logits, name=name)


def bert_classifier(encoder_or_config: BertConfig | BertEncoder, num_classes: int,
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


def bert_tagger(encoder_or_config: BertConfig | BertEncoder, num_labels: int,
                dropout_rate: float | None = None, name: str = "bert_tagger") -> keras.Model:
    """Token classifier (NER): `logits` float32 `[batch, seq, num_labels]`.

    Example:
        >>> model = bert_tagger(BertConfig.preset("tiny", vocab_size=100), num_labels=9)
        >>> model.output_shape
        (None, None, 9)
    """
    return _dense_head_model(encoder_or_config, "sequence_output", num_labels, dropout_rate, name)


def bert_span_labeler(encoder_or_config: BertConfig | BertEncoder,
                      name: str = "bert_span_labeler") -> keras.Model:
    """Extractive QA: `start_logits` and `end_logits`, float32 `[batch, seq]`.

    Padding positions get -1e9 so that no answer starts or ends there.

    Example:
        >>> model = bert_span_labeler(BertConfig.preset("tiny", vocab_size=100))
        >>> model.output_names
        ['end_logits', 'start_logits']
    """
    encoder = _as_encoder(encoder_or_config)
    initializer_range = encoder.config.initializer_range
    inputs = _encoder_inputs()
    sequence = encoder(inputs)["sequence_output"]
    start, end = SpanLabelingHead(initializer_range, name="span_logits")(
        sequence, inputs["input_mask"])
    # Identity layers give each output its own name (Keras names outputs after layers).
    outputs = {"start_logits": keras.layers.Identity(name="start_logits", dtype="float32")(start),
               "end_logits": keras.layers.Identity(name="end_logits", dtype="float32")(end)}
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="bert_keras")
class BertPretrainer(keras.Model):
    """Masked-LM and next-sentence-prediction model for pretraining, on a `BertEncoder`.

    Extra input: `masked_lm_positions` int32 `[batch, num_predictions]`. Outputs:
    `mlm_logits` float32 `[batch, num_predictions, vocab]` (projection tied to the word
    embeddings) and `nsp_logits` float32 `[batch, 2]`. `activation` of the MLM transform
    defaults to the encoder's feed-forward activation. `encoder` is the encoder; a `.keras`
    file rebuilds the pretrainer around it, so the tie survives a save and load.

    Example:
        >>> model = BertPretrainer(BertEncoder(BertConfig.preset("tiny", vocab_size=100)))
        >>> model.output_names, model.encoder.config.num_layers
        (['mlm_logits', 'nsp_logits'], 2)
    """

    def __init__(self, encoder: BertEncoder, activation: str | None = None,
                 name: str = "bert_pretrainer", dtype: str | keras.DTypePolicy | None = None,
                 **kwargs: Any):
        encoder = _as_encoder(encoder)
        config = encoder.config
        inputs = _encoder_inputs()
        masked_lm_positions = keras.Input(shape=(None,), dtype="int32",
                                          name="masked_lm_positions")
        outputs = encoder(inputs)
        hidden = MaskedLMHead(
            activation=activation or config.activation,
            layer_norm_epsilon=config.layer_norm_epsilon,
            initializer_range=config.initializer_range, name="mlm_transform", dtype=dtype,
        )(outputs["sequence_output"], masked_lm_positions)
        mlm_logits = OutputBias(name="mlm_logits", dtype=dtype)(
            encoder.embeddings(hidden, reverse=True))
        nsp_logits = ClassificationHead(
            2, dropout_rate=0.0, initializer_range=config.initializer_range, name="nsp_logits",
            dtype=dtype)(outputs["pooled_output"])
        super().__init__({**inputs, "masked_lm_positions": masked_lm_positions},
                         {"mlm_logits": mlm_logits, "nsp_logits": nsp_logits}, name=name,
                         dtype=dtype, **kwargs)
        self._encoder = encoder
        self._activation = activation

    @property
    def encoder(self) -> BertEncoder:
        return self._encoder

    def get_config(self) -> dict[str, Any]:
        return {**_base_config(self),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "activation": self._activation}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BertPretrainer":
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        return cls(encoder, **config)


def bert_pretrainer(encoder_or_config: BertConfig | BertEncoder,
                    activation: str | None = None,
                    name: str = "bert_pretrainer") -> BertPretrainer:
    """A `BertPretrainer` (masked-LM and next-sentence heads) on a new or given encoder.

    Example:
        >>> model = bert_pretrainer(BertConfig.preset("tiny", vocab_size=100))
        >>> model.output_names
        ['mlm_logits', 'nsp_logits']
    """
    return BertPretrainer(_as_encoder(encoder_or_config), activation=activation, name=name)


def encoder_of(model: keras.Model) -> BertEncoder:
    """The `BertEncoder` of any model built here (or the model itself if it is one).

    Example:
        >>> classifier = bert_classifier(BertConfig.preset("tiny", vocab_size=100), 2)
        >>> encoder_of(classifier).name
        'bert_encoder'
    """
    if isinstance(model, BertEncoder):
        return model
    if isinstance(model, BertPretrainer):
        return model.encoder
    encoders = [layer for layer in getattr(model, "layers", []) if isinstance(layer, BertEncoder)]
    if len(encoders) != 1:
        raise ValueError(f"model {model.name!r} does not contain one BertEncoder (found "
                         f"{len(encoders)}); a .keras file written before bert-keras had the "
                         "BertEncoder class must be fine-tuned again")
    return encoders[0]


register_all(finished=__name__)  # see bert_keras.registration
