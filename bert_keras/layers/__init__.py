"""BERT building blocks as serializable Keras layers."""

from bert_keras.layers.embeddings import BertEmbeddings
from bert_keras.layers.heads import ClassificationHead, MaskedLMHead, OutputBias, SpanLabelingHead
from bert_keras.layers.pooler import BertPooler
from bert_keras.layers.transformer import TransformerEncoderBlock
from bert_keras.registration import register_all

__all__ = ["BertEmbeddings", "BertPooler", "ClassificationHead", "MaskedLMHead", "OutputBias",
           "SpanLabelingHead", "TransformerEncoderBlock"]


register_all(finished=__name__)  # see bert_keras.registration
