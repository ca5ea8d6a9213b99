"""Text preprocessing for BERT: WordPiece tokenization and input packing, as Keras layers.

All layers run in `tf.data` and inside exported graphs (only core TF ops plus the tf-text ops
that stock TF Serving links in).

Example:
    >>> from bert_keras.text import BertPacker, BertTokenizer
    >>> tokenizer = BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hi"])
    >>> packer = BertPacker.from_tokenizer(tokenizer, seq_length=4)
    >>> packer(tokenizer(["Hi"]))["input_word_ids"].numpy().tolist()
    [[2, 5, 3, 0]]
"""

from bert_keras.text.packer import BertPacker
from bert_keras.text.preprocessor import BertPreprocessor
from bert_keras.text.tokenizer import BertTokenizer
from bert_keras.registration import register_all

__all__ = ["BertPacker", "BertPreprocessor", "BertTokenizer"]


register_all(finished=__name__)  # see bert_keras.registration
