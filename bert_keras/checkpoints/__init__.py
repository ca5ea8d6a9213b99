"""Load BERT weights from Google TF1 checkpoints, Hugging Face directories and `.keras` files.

Example:
    >>> from bert_keras.checkpoints import load_checkpoint
    >>> config, encoder = load_checkpoint("path/to/hf_bert_dir")  # doctest: +SKIP
"""

from bert_keras.checkpoints.loading import load_checkpoint, load_pretrainer

__all__ = ["load_checkpoint", "load_pretrainer"]
