"""The one table that names every BERT weight in each checkpoint format.

Each `WeightSpec` pairs a Keras variable path (as in `bert_encoder` / `bert_pretrainer`) with
its name in Google's TF1 checkpoints and in Hugging Face state dicts (without the `bert.`
prefix). `transpose` marks weights stored as `[out, in]` in that format.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class WeightSpec:
    keras_path: str
    google_name: str
    hf_name: str
    google_transpose: bool = False
    hf_transpose: bool = False


def _dense(keras_layer: str, google_layer: str, hf_layer: str) -> list[WeightSpec]:
    return [WeightSpec(f"{keras_layer}/kernel", f"{google_layer}/kernel", f"{hf_layer}.weight",
                       hf_transpose=True),
            WeightSpec(f"{keras_layer}/bias", f"{google_layer}/bias", f"{hf_layer}.bias")]


def _layer_norm(keras_layer: str, google_layer: str, hf_layer: str) -> list[WeightSpec]:
    return [WeightSpec(f"{keras_layer}/gamma", f"{google_layer}/gamma", f"{hf_layer}.weight"),
            WeightSpec(f"{keras_layer}/beta", f"{google_layer}/beta", f"{hf_layer}.bias")]


def encoder_weight_specs(num_layers: int) -> list[WeightSpec]:
    """Specs for every weight of a `bert_encoder` with `num_layers` Transformer layers."""
    specs = [WeightSpec(f"embeddings/{name}", f"bert/embeddings/{name}",
                        f"embeddings.{name}.weight")
             for name in ("word_embeddings", "position_embeddings", "token_type_embeddings")]
    specs += _layer_norm("embeddings/layer_norm", "bert/embeddings/LayerNorm",
                         "embeddings.LayerNorm")
    for index in range(num_layers):
        keras_layer = f"transformer_layer_{index}"
        google_layer = f"bert/encoder/layer_{index}"
        hf_layer = f"encoder.layer.{index}"
        for name in ("query", "key", "value"):
            specs += _dense(f"{keras_layer}/{name}", f"{google_layer}/attention/self/{name}",
                            f"{hf_layer}.attention.self.{name}")
        specs += _dense(f"{keras_layer}/attention_output", f"{google_layer}/attention/output/dense",
                        f"{hf_layer}.attention.output.dense")
        specs += _layer_norm(f"{keras_layer}/attention_layer_norm",
                             f"{google_layer}/attention/output/LayerNorm",
                             f"{hf_layer}.attention.output.LayerNorm")
        specs += _dense(f"{keras_layer}/intermediate", f"{google_layer}/intermediate/dense",
                        f"{hf_layer}.intermediate.dense")
        specs += _dense(f"{keras_layer}/output", f"{google_layer}/output/dense",
                        f"{hf_layer}.output.dense")
        specs += _layer_norm(f"{keras_layer}/output_layer_norm", f"{google_layer}/output/LayerNorm",
                             f"{hf_layer}.output.LayerNorm")
    specs += _dense("pooler/dense", "bert/pooler/dense", "pooler.dense")
    return specs


def pretraining_head_specs() -> list[WeightSpec]:
    """Specs for the masked-LM and next-sentence heads of `bert_pretrainer`."""
    return [
        *_dense("mlm_transform/dense", "cls/predictions/transform/dense",
                "cls.predictions.transform.dense"),
        *_layer_norm("mlm_transform/layer_norm", "cls/predictions/transform/LayerNorm",
                     "cls.predictions.transform.LayerNorm"),
        WeightSpec("mlm_logits/bias", "cls/predictions/output_bias", "cls.predictions.bias"),
        WeightSpec("nsp_logits/dense/kernel", "cls/seq_relationship/output_weights",
                   "cls.seq_relationship.weight", google_transpose=True, hf_transpose=True),
        WeightSpec("nsp_logits/dense/bias", "cls/seq_relationship/output_bias",
                   "cls.seq_relationship.bias"),
    ]
