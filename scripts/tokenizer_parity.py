"""Compares `bert_keras.text.BertTokenizer` with Google's BERT tokenizer on real datasets and
on every code point.

The reference is Google's own `tokenization.py` (PyPI `bert-tensorflow==1.0.4`,
`FullTokenizer`), the code the published vocabularies and checkpoints were made with; packed
pairs are truncated with its `run_classifier._truncate_seq_pair`. Differences from Hugging
Face's slow (pure Python) BERT tokenizer, which departs from Google's code in places (it deletes
every "C*" code point and composes text to NFC), are counted apart, as information (`--hf`).

For every dataset and vocabulary it prints how many texts were compared and how many differ
(token ids before packing), and for pair datasets how many packed pairs differ at `--seq-length`.
`--code-points` compares every code point of the Basic Multilingual Plane (`bmp`) or of all
planes (`all`), alone and inside a word.

Usage (from the repository root, with the test extra installed):
    python scripts/tokenizer_parity.py [DATA_DIR] [--limit N] [--vocab uncased|cased] [--show 5]
    python scripts/tokenizer_parity.py --code-points all [--vocab-dir tests/data/text]

DATA_DIR defaults to ../shared/data (see its README for the file formats).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import types
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data"
VOCABS = {"uncased": "bert_uncased_vocab.txt", "cased": "bert_cased_vocab.txt"}
HF_MAX_CHARS_PER_WORD = 200  # Google's WordpieceTokenizer limit (Hugging Face's default is 100).
BATCH_SIZE = 1024
# Where a code point is placed for the scan: alone, and inside a word.
CODE_POINT_FORMS = ("{}", "ab{}cd")
SURROGATES = range(0xD800, 0xE000)

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


def google_modules() -> types.SimpleNamespace:
    """Google's `bert.tokenization` and `bert.run_classifier` (TF1 code) made importable under
    TensorFlow 2: their `tf` is `tensorflow.compat.v1`, their absl flags are marked parsed, and
    `tensorflow.contrib` (gone in TF 2; imported by `bert.modeling`, whose functions the
    comparison never calls) is an empty stand-in."""
    import tensorflow as tf

    sys.modules.setdefault("tensorflow.contrib", types.SimpleNamespace(layers=None))
    import bert.run_classifier
    import bert.tokenization

    bert.tokenization.tf = tf.compat.v1
    bert.tokenization.FLAGS.mark_as_parsed()
    return types.SimpleNamespace(tokenization=bert.tokenization,
                                 truncate_seq_pair=bert.run_classifier._truncate_seq_pair)


def reference_tokenizer(vocab_path: str | Path, lowercase: bool):
    """Google's `FullTokenizer`."""
    return google_modules().tokenization.FullTokenizer(str(vocab_path), do_lower_case=lowercase)


def reference_ids(reference, texts: Sequence[str]) -> list[list[int]]:
    return [reference.convert_tokens_to_ids(reference.tokenize(text)) for text in texts]


def reference_pair_ids(
    reference, pairs: Sequence[tuple[str, str]], seq_length: int
) -> list[list[int]]:
    """`[CLS] a [SEP] b [SEP]` ids, truncated by Google's `_truncate_seq_pair`."""
    truncate = google_modules().truncate_seq_pair
    rows = []
    for a, b in pairs:
        tokens_a, tokens_b = reference.tokenize(a), reference.tokenize(b)
        truncate(tokens_a, tokens_b, seq_length - 3)
        rows.append(reference.convert_tokens_to_ids(
            ["[CLS]", *tokens_a, "[SEP]", *tokens_b, "[SEP]"]))
    return rows


def hf_tokenizer(vocab_path: str | Path, lowercase: bool):
    """Hugging Face's slow BERT tokenizer with Google's word-length limit (information only)."""
    import transformers
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    transformers.logging.set_verbosity_error()
    tokenizer = BertTokenizerLegacy(str(vocab_path), do_lower_case=lowercase)
    tokenizer.wordpiece_tokenizer.max_input_chars_per_word = HF_MAX_CHARS_PER_WORD
    return tokenizer


def code_points(planes: str) -> list[int]:
    """Every code point of the BMP (`bmp`) or of all planes (`all`), surrogates excepted."""
    last = 0xFFFF if planes == "bmp" else sys.maxunicode
    return [cp for cp in range(last + 1) if cp not in SURROGATES]


def code_point_differences(ours: "Ours", reference, planes: str = "bmp") -> list[tuple]:
    """`(code point, form, ours, reference)` for every code point whose tokens differ in any of
    `CODE_POINT_FORMS`."""
    points = code_points(planes)
    differences = []
    for form in CODE_POINT_FORMS:
        texts = [form.format(chr(cp)) for cp in points]
        for cp, text, got, expected in zip(points, texts, ours.ids(texts),
                                           reference_ids(reference, texts)):
            if got != expected:
                differences.append((cp, form, got, expected))
    return differences


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
    data_dir: Path, vocabs: Sequence[str], limit: int | None, seq_length: int, show: int,
    compare_hf: bool = False,
) -> int:
    """Prints the parity table; returns the number of differences from Google's tokenizer."""
    total_diffs = 0
    header = ("vocab", "dataset", "texts", "differ", "pairs", "differ", "HF differs", "sec")
    print("{:8} {:10} {:>8} {:>7} {:>7} {:>7} {:>10} {:>6}".format(*header))
    for vocab in vocabs:
        vocab_path = data_dir / "vocab" / VOCABS[vocab]
        lowercase = vocab == "uncased"
        reference = reference_tokenizer(vocab_path, lowercase)
        hf = hf_tokenizer(vocab_path, lowercase) if compare_hf else None
        ours = Ours(vocab_path, lowercase, seq_length)
        for name, reader in DATASETS.items():
            start = time.time()
            texts, pairs = reader(data_dir)
            texts, pairs = texts[:limit], pairs[:limit]
            our_ids = ours.ids(texts)
            text_diffs = _differences(our_ids, reference_ids(reference, texts), texts)
            pair_diffs = _differences(
                ours.pair_ids(pairs), reference_pair_ids(reference, pairs, seq_length), pairs
            )
            hf_diffs = (len(_differences(our_ids, reference_ids(hf, texts), texts))
                        if hf else "-")
            total_diffs += len(text_diffs) + len(pair_diffs)
            print(
                f"{vocab:8} {name:10} {len(texts):8} {len(text_diffs):7} {len(pairs):7} "
                f"{len(pair_diffs):7} {hf_diffs:>10} {time.time() - start:6.0f}",
                flush=True,
            )
            for item, o, r in (text_diffs + pair_diffs)[:show]:
                print(f"    DIFF {item!r}\n      ours {o}\n      ref  {r}")
    return total_diffs


def run_code_points(vocab_dir: Path, vocabs: Sequence[str], planes: str, show: int) -> int:
    """Prints the code-point scan per vocabulary; returns the number of differences."""
    total = 0
    for vocab in vocabs:
        vocab_path = vocab_dir / VOCABS[vocab]
        lowercase = vocab == "uncased"
        start = time.time()
        differences = code_point_differences(Ours(vocab_path, lowercase, 128),
                                             reference_tokenizer(vocab_path, lowercase), planes)
        count = len(code_points(planes))
        print(f"{vocab:8} code points ({planes}): {count} x {len(CODE_POINT_FORMS)} forms, "
              f"{len(differences)} differ ({time.time() - start:.0f} s)", flush=True)
        for cp, form, got, expected in differences[:show]:
            print(f"    DIFF U+{cp:04X} ({unicodedata.category(chr(cp))}) in {form!r}\n"
                  f"      ours {got}\n      ref  {expected}")
        total += len(differences)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--vocab", choices=sorted(VOCABS), action="append")
    parser.add_argument("--limit", type=int, default=None, help="texts/pairs per dataset")
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--show", type=int, default=3, help="differences printed per dataset")
    parser.add_argument("--hf", action="store_true",
                        help="also count texts where Hugging Face's slow tokenizer differs")
    parser.add_argument("--code-points", choices=("bmp", "all"),
                        help="scan code points instead of the datasets")
    parser.add_argument("--vocab-dir", type=Path,
                        help="folder of the two vocabularies (default: DATA_DIR/vocab)")
    args = parser.parse_args(argv)
    vocab_dir = args.vocab_dir or args.data_dir / "vocab"
    if not vocab_dir.is_dir():
        parser.error(f"{vocab_dir} is not a folder; pass the shared data directory or "
                     "--vocab-dir")
    vocabs = args.vocab or list(VOCABS)
    if args.code_points:
        diffs = run_code_points(vocab_dir, vocabs, args.code_points, args.show)
    else:
        diffs = run(args.data_dir, vocabs, args.limit, args.seq_length, args.show, args.hf)
    print(f"total differences: {diffs}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
