"""Peer implementations of a bert_keras classifier, for benchmarks: KerasHub and HF torch.

Both functions copy *every* weight (encoder, pooler, classification head) from `our_model`
(a `bert_keras.models.bert_classifier`), so a fine-tuned model of ours is reproduced exactly;
`hf_dir` (a local Hugging Face BERT directory) only supplies the config and `vocab.txt` /
tokenizer files. Nothing is downloaded.

Needs the bench extra: `pip install -e ".[bench]"` (keras-hub 0.32.0 and sentencepiece;
transformers and torch come with the test extra).
"""

from __future__ import annotations

import os

import numpy as np

from bert_keras.checkpoints.weight_map import encoder_weight_specs
from bert_keras.models import encoder_of

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HEAD_LAYER = "logits"  # our ClassificationHead: Dropout -> Dense "logits/dense"


def _our_parts(our_model):
    encoder = encoder_of(our_model)
    head = our_model.get_layer(HEAD_LAYER)
    weights = {v.path: v.numpy() for v in encoder.weights}
    return encoder.config, weights, head


def keras_hub_weight_map(num_layers: int) -> list[tuple[str, str]]:
    """(our Keras path, KerasHub BertBackbone variable path) for every encoder weight.

    KerasHub keeps q/k/v kernels as [hidden, heads, head_dim], biases as [heads, head_dim]
    and the attention-output kernel as [heads, head_dim, hidden]; a plain reshape converts.
    """
    pairs = [
        ("embeddings/word_embeddings", "token_embedding/embeddings"),
        ("embeddings/position_embeddings", "position_embedding/embeddings"),
        ("embeddings/token_type_embeddings", "segment_embedding/embeddings"),
        ("embeddings/layer_norm/gamma", "embeddings_layer_norm/gamma"),
        ("embeddings/layer_norm/beta", "embeddings_layer_norm/beta"),
    ]
    for i in range(num_layers):
        ours, kh = f"transformer_layer_{i}", f"transformer_layer_{i}"
        for name in ("query", "key", "value", "attention_output"):
            for w in ("kernel", "bias"):
                pairs.append((f"{ours}/{name}/{w}", f"{kh}/self_attention_layer/{name}/{w}"))
        pairs += [
            (f"{ours}/attention_layer_norm/gamma", f"{kh}/self_attention_layer_norm/gamma"),
            (f"{ours}/attention_layer_norm/beta", f"{kh}/self_attention_layer_norm/beta"),
            (f"{ours}/intermediate/kernel", f"{kh}/feedforward_intermediate_dense/kernel"),
            (f"{ours}/intermediate/bias", f"{kh}/feedforward_intermediate_dense/bias"),
            (f"{ours}/output/kernel", f"{kh}/feedforward_output_dense/kernel"),
            (f"{ours}/output/bias", f"{kh}/feedforward_output_dense/bias"),
            (f"{ours}/output_layer_norm/gamma", f"{kh}/feedforward_layer_norm/gamma"),
            (f"{ours}/output_layer_norm/beta", f"{kh}/feedforward_layer_norm/beta"),
        ]
    pairs += [("pooler/dense/kernel", "pooled_dense/kernel"),
              ("pooler/dense/bias", "pooled_dense/bias")]
    return pairs


def keras_hub_tokenizer(hf_dir: str, lowercase: bool = True):
    """KerasHub BertTokenizer from a local vocab.txt, normalizing like Google/HF BERT.

    KerasHub's `lowercase=True` does NOT strip accents (HF and Google do for uncased
    models), so pass `strip_accents=lowercase` explicitly.
    """
    import keras_hub
    return keras_hub.models.BertTokenizer(
        vocabulary=os.path.join(hf_dir, "vocab.txt"), lowercase=lowercase,
        strip_accents=lowercase)


def keras_hub_classifier(hf_dir: str, our_model, sequence_length: int = 128,
                         exact_gelu: bool = True, lowercase: bool = True):
    """A `keras_hub.models.BertTextClassifier` with `our_model`'s weights and preprocessor.

    `exact_gelu=True` swaps KerasHub's hard-coded tanh-approximate GELU for the exact erf GELU
    that HF `hidden_act="gelu"` and our encoder use (needed for a ~1e-6 match; with the tanh
    form the logits differ by ~1e-3). Set False to benchmark KerasHub exactly as shipped.
    """
    import keras_hub

    config, weights, head = _our_parts(our_model)
    if config.layer_norm_epsilon != 1e-12:
        raise ValueError("KerasHub BertBackbone hard-codes layer_norm_epsilon=1e-12")
    if config.dropout_rate != config.attention_dropout_rate:
        raise ValueError("KerasHub BertBackbone has one dropout rate for both")
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=config.vocab_size, num_layers=config.num_layers,
        num_heads=config.num_heads, hidden_dim=config.hidden_size,
        intermediate_dim=config.intermediate_size, dropout=config.dropout_rate,
        max_sequence_length=config.max_position_embeddings,
        num_segments=config.type_vocab_size)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(
        tokenizer=keras_hub_tokenizer(hf_dir, lowercase), sequence_length=sequence_length)
    classifier = keras_hub.models.BertTextClassifier(
        backbone, num_classes=head.num_classes, preprocessor=preprocessor,
        dropout=head.dropout_rate)

    kh_vars = {v.path: v for v in backbone.weights}
    pairs = keras_hub_weight_map(config.num_layers)
    if not len(pairs) == len(kh_vars) == len(weights):
        raise ValueError(f"weight counts differ: map {len(pairs)}, KerasHub {len(kh_vars)}, "
                         f"ours {len(weights)}")
    for ours, kh in pairs:
        var = kh_vars[kh]
        var.assign(np.reshape(weights[ours], var.shape))
    dense = classifier.get_layer("logits")  # Dense(num_classes) after "classifier_dropout"
    dense.kernel.assign(head.dense.kernel.numpy())
    dense.bias.assign(head.dense.bias.numpy())

    if exact_gelu and config.activation == "gelu":
        use_exact_gelu(backbone)
    elif config.activation not in ("gelu", "gelu_approximate"):
        raise ValueError(f"activation {config.activation!r} has no KerasHub equivalent")
    return classifier


def use_exact_gelu(backbone) -> None:
    """Swaps KerasHub's tanh-approximate GELU for the exact erf GELU in every block.

    Not part of a saved preset: call it again on a backbone loaded with `from_preset`.
    """
    import keras

    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        block._feedforward_intermediate_dense.activation = keras.activations.gelu


def hf_tokenizer(hf_dir: str):
    """HF fast tokenizer (in transformers 5, `BertTokenizerFast is BertTokenizer`)."""
    from transformers import BertTokenizerFast
    return BertTokenizerFast.from_pretrained(hf_dir, local_files_only=True)


def hf_classifier(hf_dir: str, our_model):
    """`transformers.BertForSequenceClassification` (float32, eval mode) with our weights."""
    import torch
    from transformers import BertForSequenceClassification
    from transformers.utils import logging

    config, weights, head = _our_parts(our_model)
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # "classifier.* newly initialized" is expected: we overwrite
    try:
        model = BertForSequenceClassification.from_pretrained(
            hf_dir, num_labels=head.num_classes, local_files_only=True,
            dtype=torch.float32, classifier_dropout=head.dropout_rate)
    finally:
        logging.set_verbosity(verbosity)
    state = model.state_dict()
    new = {}
    for spec in encoder_weight_specs(config.num_layers):
        value = weights[spec.keras_path]
        new["bert." + spec.hf_name] = value.T if spec.hf_transpose else value
    new["classifier.weight"] = head.dense.kernel.numpy().T  # Linear stores [out, in]
    new["classifier.bias"] = head.dense.bias.numpy()
    missing = set(state) - set(new) - {"bert.embeddings.position_ids"}
    if missing or set(new) - set(state):
        raise ValueError(f"HF weights not set: {sorted(missing)}; unknown: "
                         f"{sorted(set(new) - set(state))}")
    with torch.no_grad():
        for key, value in new.items():
            state[key].copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model.eval()
