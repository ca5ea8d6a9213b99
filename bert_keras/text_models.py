"""Keras models on raw strings: the preprocessor inside, `fit`/`evaluate`/`predict` on text.

`BertTextModel` wraps a task model of `bert_keras.models` (which takes token ids) and a
`BertPreprocessor` into one Keras model whose inputs are strings. `fit`, `evaluate` and
`predict` take Python lists, NumPy string or object arrays, `tf.Tensor`s and `tf.data`
datasets of strings (a tuple of two for sentence pairs). It saves to and loads from `.keras`
(the vocabulary travels inside), and `bert-keras export` serves it like a run directory.

Build one with `text_classifier`, `text_tagger` or `text_span_labeler` from an encoder and its
tokenizer (`bert_keras.from_pretrained` gives both).

Example:
    >>> from bert_keras import BertConfig
    >>> from bert_keras.models import bert_encoder
    >>> from bert_keras.text import BertTokenizer
    >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"]
    >>> encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=len(vocab)))
    >>> model = text_classifier(encoder, BertTokenizer(vocab), ["negative", "positive"])
    >>> model.predict(["good film", "bad film"], verbose=0).shape
    (2, 2)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from bert_keras.models import (BertEncoder, bert_classifier, bert_span_labeler, bert_tagger,
                               encoder_of)
from bert_keras.registration import register_all
from bert_keras.run_dir import KINDS
from bert_keras.tasks.span_labeling import SpanLabelingOptions
from bert_keras.text import BertPreprocessor, BertTokenizer

# The string inputs of each kind of model, as the exported `serving_default` names them.
INPUT_NAMES = {1: ("text",), 2: ("text_a", "text_b")}
SPAN_INPUT_NAMES = ("question", "context")
_BATCH_SIZE = 32


@keras.saving.register_keras_serializable(package="bert_keras")
class BertTextModel(keras.Model):
    """A task model with its `BertPreprocessor` inside: raw strings in, the task's outputs out.

    Args:
        model: a task model of `bert_keras.models` (token ids in).
        preprocessor: the `BertPreprocessor` of the model's vocabulary and sequence length.
        kind: "classifier", "regression", "tagger" or "span_labeler" (what export serves).
        segments: texts per example (2 for sentence pairs; a span labeler takes question and
            context).
        label_names: class or tag names in id order (None for regression and span labeling).
        options: settings serving needs (a span labeler's `SpanLabelingOptions` as a dict).

    Targets for `fit` are what `model` is trained on: class ids (or floats for regression),
    a label id per packed token position for a tagger, and start and end token positions for
    a span labeler.
    """

    def __init__(self, model: keras.Model, preprocessor: BertPreprocessor, kind: str,
                 segments: int = 1, label_names: Sequence[str] | None = None,
                 options: dict[str, Any] | None = None, name: str = "bert_text_model",
                 **kwargs: Any):
        if kind not in KINDS or kind == "pretrainer":
            raise ValueError(f"kind must be a task model's, got {kind!r}")
        names = SPAN_INPUT_NAMES if kind == "span_labeler" else INPUT_NAMES.get(segments)
        if names is None:
            raise ValueError(f"segments must be 1 or 2, got {segments!r}")
        inputs = [keras.Input(shape=(), dtype="string", name=input_name)
                  for input_name in names]
        outputs = model(preprocessor(tuple(inputs)))
        super().__init__(inputs, outputs, name=name, **kwargs)
        self.token_model = model
        self.preprocessor = preprocessor
        self.kind = kind
        self.segments = len(names) if kind != "span_labeler" else 1
        self.label_names = tuple(label_names) if label_names is not None else None
        self._serving_options = tuple((options or {}).items())

    @property
    def encoder(self) -> BertEncoder:
        return encoder_of(self.token_model)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self._serving_options)

    @property
    def tokenizer(self) -> BertTokenizer:
        return self.preprocessor.tokenizer

    @property
    def seq_length(self) -> int:
        return self.preprocessor.packer.seq_length

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable,
                "model": keras.saving.serialize_keras_object(self.token_model),
                "preprocessor": keras.saving.serialize_keras_object(self.preprocessor),
                "kind": self.kind, "segments": self.segments, "label_names": list(self.label_names) if self.label_names else None,
                "options": self.options}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BertTextModel":
        config = dict(config)
        model = keras.saving.deserialize_keras_object(config.pop("model"))
        preprocessor = keras.saving.deserialize_keras_object(config.pop("preprocessor"))
        return cls(model, preprocessor, **config)

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            validation_data: Any = None, shuffle: bool = True, **kwargs: Any):
        """`keras.Model.fit` on texts (see the class); `validation_data` may be texts too."""
        data = self._dataset(x, y, batch_size, shuffle=shuffle)
        if validation_data is not None:
            validation_data = self._dataset(*_split(validation_data), batch_size, shuffle=False)
        return super().fit(data, epochs=epochs, validation_data=validation_data, shuffle=False,
                           **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 **kwargs: Any):
        """`keras.Model.evaluate` on texts."""
        return super().evaluate(self._dataset(x, y, batch_size, shuffle=False), **kwargs)

    def predict(self, x: Any, batch_size: int | None = None, **kwargs: Any):
        """`keras.Model.predict` on texts."""
        return super().predict(self._dataset(x, None, batch_size, shuffle=False), **kwargs)

    def _dataset(self, x: Any, y: Any, batch_size: int | None, shuffle: bool
                 ) -> tf.data.Dataset:
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError("give the targets inside the tf.data.Dataset, not as y")
            return x
        texts = self._texts(x)
        features = {tensor.name: text for tensor, text in zip(self.inputs, texts)}
        rows = features if y is None else (features, tf.nest.map_structure(_as_tensor, y))
        dataset = tf.data.Dataset.from_tensor_slices(rows)
        if shuffle:
            dataset = dataset.shuffle(int(texts[0].shape[0]), reshuffle_each_iteration=True)
        return dataset.batch(batch_size or _BATCH_SIZE).prefetch(tf.data.AUTOTUNE)

    def _texts(self, x: Any) -> tuple[tf.Tensor, ...]:
        """One `[batch]` string tensor per input, from any of the forms the class takes."""
        expected = len(self.inputs)
        if isinstance(x, dict):
            missing = [tensor.name for tensor in self.inputs if tensor.name not in x]
            if missing:
                raise ValueError(f"{self.name} takes the text inputs "
                                 f"{', '.join(tensor.name for tensor in self.inputs)}; "
                                 f"missing: {', '.join(missing)}")
            x = tuple(x[tensor.name] for tensor in self.inputs)
        elif expected == 1 and isinstance(x, tuple) and all(
                isinstance(item, (str, bytes)) for item in x):
            x = (list(x),)
        elif expected == 1 and not isinstance(x, tuple):
            x = (x,)
        if not isinstance(x, (tuple, list)) or len(x) != expected:
            raise ValueError(f"{self.name} takes {expected} text input(s) "
                             f"({', '.join(tensor.name for tensor in self.inputs)}): pass "
                             + ("a list or array of strings" if expected == 1 else
                                "a tuple of that many lists or arrays of strings"))
        texts = tuple(_as_strings(value, tensor.name) for value, tensor in zip(x, self.inputs))
        if len({int(text.shape[0]) for text in texts}) > 1:
            raise ValueError(f"the text inputs have different lengths: "
                             f"{[int(text.shape[0]) for text in texts]}")
        return texts


def _split(data: Any) -> tuple[Any, Any]:
    if isinstance(data, tf.data.Dataset):
        return data, None
    if isinstance(data, tuple) and len(data) == 2:
        return data
    raise ValueError("validation_data must be a tf.data.Dataset or a tuple (texts, targets)")


def _as_strings(value: Any, name: str) -> tf.Tensor:
    """A `[batch]` tf.string tensor from a list, a NumPy str/object array or a tensor."""
    if isinstance(value, (str, bytes)):
        value = [value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "US":
        value = value.astype(object)
    try:
        tensor = tf.convert_to_tensor(value, dtype=tf.string)
    except (TypeError, ValueError):
        raise ValueError(f"input {name!r}: expected strings, got "
                         f"{type(value).__name__}") from None
    if tensor.shape.rank != 1:
        raise ValueError(f"input {name!r}: expected a flat list of strings, got shape "
                         f"{tensor.shape}")
    return tensor


def _as_tensor(value: Any) -> tf.Tensor:
    return tf.convert_to_tensor(np.asarray(value) if isinstance(value, list) else value)


def _text_model(model: keras.Model, tokenizer: BertTokenizer, seq_length: int, **kwargs: Any
                ) -> BertTextModel:
    preprocessor = BertPreprocessor(tokenizer, seq_length=seq_length, pad_to="longest")
    return BertTextModel(model, preprocessor, **kwargs)


def text_classifier(encoder: BertEncoder, tokenizer: BertTokenizer,
                    label_names: Sequence[str] | None, segments: int = 1,
                    seq_length: int = 128) -> BertTextModel:
    """A classifier on raw strings (`label_names`; None makes a regressor with one output),
    one text or a pair (`segments=2`) per example. Outputs logits `[batch, labels]`.

    Example:
        >>> encoder, tokenizer = from_pretrained("path/to/hf_bert")  # doctest: +SKIP
        >>> model = text_classifier(encoder, tokenizer, ["negative", "positive"])  # doctest: +SKIP
        >>> model.compile("adam", "sparse_categorical_crossentropy")  # doctest: +SKIP
        >>> model.fit(["a fine film", "a dull film"], [1, 0])  # doctest: +SKIP
    """
    num_classes = 1 if label_names is None else len(label_names)
    return _text_model(bert_classifier(encoder, num_classes), tokenizer, seq_length,
                       kind="regression" if label_names is None else "classifier",
                       segments=segments, label_names=label_names)


def text_tagger(encoder: BertEncoder, tokenizer: BertTokenizer, label_names: Sequence[str],
                seq_length: int = 128) -> BertTextModel:
    """A token classifier (NER) on raw strings: logits `[batch, tokens, labels]` per packed
    token position ([CLS] first); export serves word labels and entities."""
    return _text_model(bert_tagger(encoder, len(label_names)), tokenizer, seq_length,
                       kind="tagger", label_names=label_names)


def text_span_labeler(encoder: BertEncoder, tokenizer: BertTokenizer, seq_length: int = 384,
                      options: dict[str, Any] | None = None) -> BertTextModel:
    """Extractive QA on raw `(questions, contexts)`: start and end logits per packed token
    position (a pair longer than `seq_length` is cut here; the exported model cuts long
    contexts into windows and serves answers). `options` are `SpanLabelingOptions` fields
    (serving's windows and decoding)."""
    settings = dataclasses.asdict(SpanLabelingOptions(**(options or {})))
    return _text_model(bert_span_labeler(encoder), tokenizer, seq_length, kind="span_labeler",
                       options=settings)


register_all(finished=__name__)  # see bert_keras.registration
