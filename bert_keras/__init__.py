"""bert-keras: BERT models in Keras 3 / TensorFlow.

Example:
    >>> from bert_keras import BertConfig
    >>> BertConfig.preset("tiny").hidden_size
    128
"""

from bert_keras.config import BertConfig

__all__ = ["BertConfig"]
__version__ = "0.1.0"
