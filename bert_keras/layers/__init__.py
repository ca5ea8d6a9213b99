"""BERT building blocks as serializable Keras layers."""

from bert_keras.layers.embeddings import BertEmbeddings
from bert_keras.layers.heads import ClassificationHead, MaskedLMHead, OutputBias, SpanLabelingHead
from bert_keras.layers.pooler import BertPooler
from bert_keras.layers.transformer import TransformerEncoderBlock

__all__ = ["BertEmbeddings", "BertPooler", "ClassificationHead", "MaskedLMHead", "OutputBias",
           "SpanLabelingHead", "TransformerEncoderBlock"]
