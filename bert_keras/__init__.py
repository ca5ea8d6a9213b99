"""bert-keras: BERT models in Keras 3 / TensorFlow.

Example:
    >>> from bert_keras import BertConfig
    >>> BertConfig.preset("tiny").hidden_size
    128
"""

from bert_keras import layers  # registers the layers, so keras.models.load_model finds them
from bert_keras.config import BertConfig

__all__ = ["BertConfig", "layers"]
__version__ = "0.1.0"
