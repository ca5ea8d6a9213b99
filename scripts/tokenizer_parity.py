"""Compares `bert_keras.text.BertTokenizer` with the reference tokenizer on real datasets.

The reference is Hugging Face's slow (pure Python) BERT tokenizer, which implements Google's
`tokenization.py`; its word-length limit is set to Google's 200 characters (HF's default is 100).
For every dataset and vocabulary it prints how many texts were compared and how many differ
(token ids before packing), and for pair datasets how many packed pairs differ at `--seq-length`
(HF `truncation="longest_first"` vs `BertPacker(truncation="round_robin")`).

Usage (from the repository root):
    python scripts/tokenizer_parity.py [DATA_DIR] [--limit N] [--vocab uncased|cased] [--show 5]

DATA_DIR defaults to ../shared/data (see its README for the file formats).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data"
VOCABS = {"uncased": "bert_uncased_vocab.txt", "cased": "bert_cased_vocab.txt"}
REFERENCE_MAX_CHARS_PER_WORD = 200  # Google tokenization.py's WordpieceTokenizer limit.
BATCH_SIZE = 256

Texts = list[str]
Pairs = list[tuple[str, str]]


def _tsv_rows(path: Path, skip_header: bool) -> Iterator[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if skip_header:
            next(rows)
        yield from rows


def _pairs_dataset(files: Sequence[Path], columns: tuple[int, int], skip_header: bool) -> Pairs:
    return [
        (row[columns[0]], row[columns[1]])
        for path in files
        for row in _tsv_rows(path, skip_header)
    ]


def read_sst2(data_dir: Path) -> tuple[Texts, Pairs]:
    files = [data_dir / "sst2" / "train.tsv", data_dir / "sst2" / "dev.tsv"]
    return [row[0] for path in files for row in _tsv_rows(path, skip_header=True)], []


def read_mrpc(data_dir: Path) -> tuple[Texts, Pairs]:
    files = [data_dir / "mrpc" / "train.tsv", data_dir / "mrpc" / "dev.tsv"]
    pairs = _pairs_dataset(files, (3, 4), skip_header=True)
    return [t for pair in pairs for t in pair], pairs


def read_rte(data_dir: Path) -> tuple[Texts, Pairs]:
    files = [data_dir / "rte" / "train.tsv", data_dir / "rte" / "dev.tsv"]
    pairs = _pairs_dataset(files, (0, 1), skip_header=True)
    return [t for pair in pairs for t in pair], pairs


def read_stsb(data_dir: Path) -> tuple[Texts, Pairs]:
    files = [data_dir / "stsb" / "sts-train.tsv", data_dir / "stsb" / "sts-dev.tsv"]
    pairs = _pairs_dataset(files, (5, 6), skip_header=False)
    return [t for pair in pairs for t in pair], pairs


def read_conll2003(data_dir: Path) -> tuple[Texts, Pairs]:
    sentences, words = [], []
    for name in ("eng.train", "eng.testa"):
        with open(data_dir / "conll2003" / name, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if fields and fields[0] != "-DOCSTART-":
                    words.append(fields[0])
                elif words:
                    sentences.append(" ".join(words))
                    words = []
    if words:
        sentences.append(" ".join(words))
    return sentences, []


def read_squad(data_dir: Path) -> tuple[Texts, Pairs]:
    path = data_dir / "squad_v1.1_train_subset" / "train-v1.1-subset-44articles.json"
    with open(path, encoding="utf-8") as f:
        articles = json.load(f)["data"]
    texts, pairs = [], []
    for article in articles:
        for paragraph in article["paragraphs"]:
            texts.append(paragraph["context"])
            for qa in paragraph["qas"]:
                texts.append(qa["question"])
                pairs.append((qa["question"], paragraph["context"]))
    return texts, pairs


DATASETS: dict[str, Callable[[Path], tuple[Texts, Pairs]]] = {
    "sst2": read_sst2,
    "mrpc": read_mrpc,
    "rte": read_rte,
    "stsb": read_stsb,
    "conll2003": read_conll2003,
    "squad": read_squad,
}


def reference_tokenizer(vocab_path: str | Path, lowercase: bool):
    """Hugging Face's slow BERT tokenizer configured like Google's tokenization.py."""
    import transformers
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    # Silences the per-pair note that longest_first returns no overflowing tokens.
    transformers.logging.set_verbosity_error()
    tokenizer = BertTokenizerLegacy(
        str(vocab_path), do_lower_case=lowercase, tokenize_chinese_chars=True
    )
    tokenizer.wordpiece_tokenizer.max_input_chars_per_word = REFERENCE_MAX_CHARS_PER_WORD
    return tokenizer


def reference_ids(reference, texts: Sequence[str]) -> list[list[int]]:
    return [reference.convert_tokens_to_ids(reference.tokenize(text)) for text in texts]


def reference_pair_ids(
    reference, pairs: Sequence[tuple[str, str]], seq_length: int
) -> list[list[int]]:
    return [
        reference(a, b, truncation="longest_first", max_length=seq_length)["input_ids"]
        for a, b in pairs
    ]


class Ours:
    """Batched, compiled `BertTokenizer` (+ `BertPacker` for pairs)."""

    def __init__(self, vocab_path: str | Path, lowercase: bool, seq_length: int) -> None:
        import tensorflow as tf

        from bert_keras.text import BertPacker, BertTokenizer

        self.tokenizer = BertTokenizer(str(vocab_path), lowercase=lowercase)
        packer = BertPacker.from_tokenizer(self.tokenizer, seq_length=seq_length, pad_to="longest")
        spec = tf.TensorSpec([None], tf.string)
        self._tokenize = tf.function(self.tokenizer, input_signature=[spec])
        self._pack = tf.function(
            lambda a, b: packer([self.tokenizer(a), self.tokenizer(b)]),
            input_signature=[spec, spec],
        )

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        out: list[list[int]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            out.extend(self._tokenize(list(texts[i : i + BATCH_SIZE])).to_list())
        return out

    def pair_ids(self, pairs: Sequence[tuple[str, str]]) -> list[list[int]]:
        out: list[list[int]] = []
        for i in range(0, len(pairs), BATCH_SIZE):
            a, b = zip(*pairs[i : i + BATCH_SIZE])
            packed = self._pack(list(a), list(b))
            for row, mask in zip(packed["input_word_ids"].numpy(), packed["input_mask"].numpy()):
                out.append(row[mask == 1].tolist())
        return out


def _differences(ours: list[list[int]], reference: list[list[int]], items: Sequence) -> list:
    return [(item, o, r) for item, o, r in zip(items, ours, reference) if o != r]


def run(
    data_dir: Path, vocabs: Sequence[str], limit: int | None, seq_length: int, show: int
) -> int:
    """Prints the parity table; returns the total number of differences."""
    total_diffs = 0
    header = ("vocab", "dataset", "texts", "differ", "pairs", "differ", "sec")
    print("{:8} {:10} {:>8} {:>7} {:>7} {:>7} {:>6}".format(*header))
    for vocab in vocabs:
        vocab_path = data_dir / "vocab" / VOCABS[vocab]
        lowercase = vocab == "uncased"
        reference = reference_tokenizer(vocab_path, lowercase)
        ours = Ours(vocab_path, lowercase, seq_length)
        for name, reader in DATASETS.items():
            start = time.time()
            texts, pairs = reader(data_dir)
            texts, pairs = texts[:limit], pairs[:limit]
            text_diffs = _differences(ours.ids(texts), reference_ids(reference, texts), texts)
            pair_diffs = _differences(
                ours.pair_ids(pairs), reference_pair_ids(reference, pairs, seq_length), pairs
            )
            total_diffs += len(text_diffs) + len(pair_diffs)
            print(
                f"{vocab:8} {name:10} {len(texts):8} {len(text_diffs):7} {len(pairs):7} "
                f"{len(pair_diffs):7} {time.time() - start:6.0f}",
                flush=True,
            )
            for item, o, r in (text_diffs + pair_diffs)[:show]:
                print(f"    DIFF {item!r}\n      ours {o}\n      ref  {r}")
    return total_diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--vocab", choices=sorted(VOCABS), action="append")
    parser.add_argument("--limit", type=int, default=None, help="texts/pairs per dataset")
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--show", type=int, default=3, help="differences printed per dataset")
    args = parser.parse_args(argv)
    if not (args.data_dir / "vocab").is_dir():
        parser.error(f"{args.data_dir} has no vocab/ folder; pass the shared data directory")
    diffs = run(args.data_dir, args.vocab or list(VOCABS), args.limit, args.seq_length, args.show)
    print(f"total differences: {diffs}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
