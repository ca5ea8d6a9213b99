"""Shared by the text tests: paths, a tiny vocabulary, the parity sample, the reference script.

(A module rather than a second conftest.py: under --doctest-modules pytest imports every
conftest.py as a module named `conftest`, and two of them clash.)
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TEXT_DATA = REPO_ROOT / "tests" / "data" / "text"
VOCAB_FILES = {
    "uncased": TEXT_DATA / "bert_uncased_vocab.txt",
    "cased": TEXT_DATA / "bert_cased_vocab.txt",
}
TINY_VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "hello", "world", "##s", "!", ",", ".", "$", "^", "`", "cafe", "café", "Hello",
    "中", "文", "a", "##a", "b", "##b", "un", "##aff", "##able", "the",
]


def load_parity_script():
    """`scripts/tokenizer_parity.py` as a module (it holds the reference tokenizer setup)."""
    spec = importlib.util.spec_from_file_location(
        "tokenizer_parity", REPO_ROOT / "scripts" / "tokenizer_parity.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def parity_sample() -> tuple[str, ...]:
    """The texts of `tests/data/text/parity_sample.jsonl`."""
    with open(TEXT_DATA / "parity_sample.jsonl", encoding="utf-8") as f:
        return tuple(json.loads(line)["text"] for line in f)
