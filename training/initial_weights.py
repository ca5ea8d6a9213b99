"""Where a run's initial weights come from: `--init` resolved to weights, vocabulary and casing
(for `finetune` and `pretrain`).

Example:
    >>> resolve_init("tiny", vocab="vocab.txt")
    Init(source='tiny', vocab='vocab.txt', lowercase=True)
"""

from __future__ import annotations

import dataclasses
import json
import os

from bert_keras.config import PRESETS
from bert_keras.run_dir import MODEL_FILE, SPEC_FILE, VOCAB_FILE, RunSpec


@dataclasses.dataclass
class Init:
    """Where initial weights come from, with the vocabulary and casing that go with them."""

    source: str
    vocab: str
    lowercase: bool


def _hf_lowercase(directory: str) -> bool | None:
    path = os.path.join(directory, "tokenizer_config.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as file:
            value = json.load(file).get("do_lower_case")
        return None if value is None else bool(value)
    return None


def resolve_init(init: str, vocab: str | None = None, cased: bool | None = None) -> Init:
    """Finds the vocabulary and casing for `--init` (a preset, HF/Google dir, .keras or run dir).

    A preset means random initialisation and needs `vocab`; otherwise the vocabulary next to
    the weights is used unless `vocab` overrides it. Casing: `cased`, else the source's own
    setting (HF `tokenizer_config.json`, a run's task.json), else uncased unless "cased" is
    in the source's name.
    """
    if init in PRESETS:
        if not vocab:
            raise ValueError(f"--init {init} (a preset, random weights) needs --vocab vocab.txt")
        return Init(init, vocab, not cased)
    directory = init if os.path.isdir(init) else os.path.dirname(os.path.abspath(init))
    if os.path.isdir(init) and os.path.exists(os.path.join(init, SPEC_FILE)):
        run = RunSpec.load(init)
        return Init(os.path.join(init, MODEL_FILE), vocab or os.path.join(init, VOCAB_FILE),
                    run.lowercase if cased is None else not cased)
    vocab = vocab or os.path.join(directory, VOCAB_FILE)
    if not os.path.exists(vocab):
        raise FileNotFoundError(f"{init}: no vocab.txt next to the weights; pass --vocab")
    if cased is None:
        lowercase = _hf_lowercase(directory)
        name = os.path.basename(os.path.normpath(directory)).lower()
        cased = (not lowercase) if lowercase is not None else (
            "cased" in name and "uncased" not in name)
    return Init(init, vocab, not cased)
