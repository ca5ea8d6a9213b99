"""Benchmark: in-graph tokenization + packing vs Hugging Face `tokenizers` (Rust).

Sentences per second on SST-2 train (67,349 sentences), seq_length 128, same batch size,
both in this process. Prints a table and writes it as JSON.

    python benchmarks/tokenization.py --data ../shared/data --output benchmarks/results/tokenization.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time

import tensorflow as tf

from bert_keras.text import BertPreprocessor, BertTokenizer


def read_sentences(data_dir: str) -> list[str]:
    with open(os.path.join(data_dir, "sst2", "train.tsv"), encoding="utf-8") as file:
        return [row["sentence"] for row in csv.DictReader(file, delimiter="\t",
                                                           quoting=csv.QUOTE_NONE)]


def best_of(repeats: int, function) -> float:
    """Shortest wall time of `repeats` runs (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--vocab", default=None, help="default: <data>/vocab/bert_uncased_vocab.txt")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="benchmarks/results/tokenization.json")
    args = parser.parse_args()
    vocab = args.vocab or os.path.join(args.data, "vocab", "bert_uncased_vocab.txt")
    sentences = read_sentences(args.data)
    batches = [sentences[i:i + args.batch_size] for i in range(0, len(sentences), args.batch_size)]

    preprocessor = BertPreprocessor(BertTokenizer(vocab), seq_length=args.seq_length)
    pack = tf.function(preprocessor, input_signature=[tf.TensorSpec([None], tf.string)])
    dataset = tf.data.Dataset.from_tensor_slices(sentences).batch(args.batch_size).map(
        preprocessor, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    pack(tf.constant(batches[0]))  # trace once

    def ours_function():
        for batch in batches:
            pack(tf.constant(batch))

    def ours_dataset():
        for _ in dataset:
            pass

    from tokenizers import BertWordPieceTokenizer

    rust = BertWordPieceTokenizer(vocab, lowercase=True)
    rust.enable_truncation(args.seq_length)
    rust.enable_padding(length=args.seq_length)

    def hugging_face():
        for batch in batches:
            rust.encode_batch(batch)

    rows = {
        "bert_keras tf.function (per batch)": best_of(args.repeats, ours_function),
        "bert_keras tf.data map (parallel)": best_of(args.repeats, ours_dataset),
        "huggingface tokenizers encode_batch": best_of(args.repeats, hugging_face),
    }
    reference = rows["huggingface tokenizers encode_batch"]
    table = {name: {"sentences_per_second": len(sentences) / seconds,
                    "ratio_to_huggingface": reference / seconds}
             for name, seconds in rows.items()}
    print(f"{len(sentences)} SST-2 train sentences, batch {args.batch_size}, "
          f"seq_length {args.seq_length}, {os.cpu_count()} CPU cores")
    print(f"{'':40s} {'sentences/s':>12s} {'vs HF':>7s}")
    for name, row in table.items():
        print(f"{name:40s} {row['sentences_per_second']:12,.0f} "
              f"{row['ratio_to_huggingface']:6.2f}x")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as file:
        json.dump({"sentences": len(sentences), "batch_size": args.batch_size,
                   "seq_length": args.seq_length, "cpu_count": os.cpu_count(),
                   "results": table}, file, indent=2)


if __name__ == "__main__":
    main()
