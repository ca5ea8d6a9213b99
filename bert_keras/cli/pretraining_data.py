"""`bert-keras create-pretraining-data`: masked-LM / next-sentence records from raw text.

Example:
    $ bert-keras create-pretraining-data --input "corpus/*.txt" --output-dir data/pretrain \\
        --vocab vocab.txt --seq-length 128 --dupe-factor 5
"""

from __future__ import annotations

import argparse
import glob
import sys

from bert_keras import storage
from bert_keras.cli.arguments import argument_type, check_paths, fraction, positive_int, probability
from bert_keras.options import Check

COMMAND = "create-pretraining-data"
# [CLS] A [SEP] B [SEP] with a token each in A and B.
room_for_a_pair = argument_type(Check(int, "an integer >= 5 (room for [CLS] A [SEP] B [SEP])",
                                      lambda value: value >= 5))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        COMMAND, help="make pretraining records (google-research/bert's recipe) from text",
        description="Text files (one sentence per line, a blank line between documents) to "
                    "tf.train.Example shards with google-research/bert's features, streamed "
                    "in chunks of documents.")
    parser.add_argument("--input", nargs="+", required=True, metavar="FILE",
                        help="text files; globs are expanded (quote them)")
    parser.add_argument("--output-dir", required=True, metavar="DIR",
                        help="gets part-NNNNN.tfrecord shards, vocab.txt and metadata.json")
    parser.add_argument("--vocab", required=True, help="vocab.txt")
    parser.add_argument("--seq-length", type=room_for_a_pair, default=128,
                        help="tokens per instance, [CLS] and [SEP]s included (default 128; "
                             "Google's --max_seq_length)")
    parser.add_argument("--max-predictions", type=positive_int, default=20,
                        help="masked positions per instance at most (default 20; Google's "
                             "--max_predictions_per_seq)")
    parser.add_argument("--masked-lm-prob", type=probability, default=0.15)
    parser.add_argument("--short-seq-prob", type=fraction, default=0.1,
                        help="chance of a random shorter target length (default 0.1)")
    parser.add_argument("--dupe-factor", type=positive_int, default=10,
                        help="passes over the data, each with new pairs and masks (default 10)")
    parser.add_argument("--whole-word-mask", action="store_true",
                        help="mask all pieces of a word together")
    parser.add_argument("--cased", action="store_true",
                        help="keep case and accents (for cased vocabularies)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--documents-per-chunk", type=positive_int, default=1000,
                        help="documents tokenized, paired and shuffled together; memory grows "
                             "with it, and random next sentences come from the same chunk "
                             "(default 1000)")
    parser.add_argument("--instances-per-shard", type=positive_int, default=10000)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the pretraining data in a non-empty --output-dir")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (there is none when stderr is not a terminal: "
                             "a log file gets no carriage returns)")
    parser.set_defaults(func=run)


def expand_inputs(patterns: list[str]) -> list[str]:
    """Expands globs (sorted); a path without glob characters is kept as given.

    Raises:
        FileNotFoundError: a glob matches nothing.
    """
    paths = []
    for pattern in patterns:
        if not glob.has_magic(pattern):
            paths.append(pattern)
            continue
        matches = sorted(storage.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"No input file matches {pattern}")
        paths.extend(matches)
    return paths


def run(args: argparse.Namespace) -> int:
    from bert_keras.training.pretraining.create_data import create_pretraining_data
    from bert_keras.training.progress import is_terminal

    check_paths(args, "vocab")
    statistics = create_pretraining_data(
        expand_inputs(args.input), args.output_dir, args.vocab,
        max_seq_length=args.seq_length, max_predictions_per_seq=args.max_predictions,
        masked_lm_prob=args.masked_lm_prob, short_seq_prob=args.short_seq_prob,
        dupe_factor=args.dupe_factor, do_whole_word_mask=args.whole_word_mask,
        lowercase=not args.cased, seed=args.seed,
        documents_per_chunk=args.documents_per_chunk,
        instances_per_shard=args.instances_per_shard, overwrite=args.overwrite,
        progress=not args.no_progress and is_terminal(sys.stderr))
    print(summary(statistics, args.output_dir))
    return 0


def summary(statistics: dict, output: str) -> str:
    """A few lines on what was written.

    Example:
        >>> print(summary(dict(documents=3, sentences=30, sentence_tokens=600, instances=40,
        ...                    random_next_instances=20, instance_tokens=1000, masked_tokens=150,
        ...                    shards=1, chunks=1, seconds=2.5), "out"))
        wrote 40 instances in 1 shard(s) to out (2.5 s)
        input: 3 documents, 30 sentences, 600 tokens, in 1 chunk(s)
        masked: 150 of 880 maskable tokens (17.05%); random next sentence: 20 (50.0%)
    """
    instances = statistics["instances"]
    maskable = statistics["instance_tokens"] - 3 * instances
    skipped = []
    if statistics.get("lines_without_tokens"):
        skipped.append(f"skipped {statistics['lines_without_tokens']} line(s) without tokens "
                       f"({statistics.get('documents_without_tokens', 0)} document(s) left empty)")
    return "\n".join([
        f"wrote {instances} instances in {statistics['shards']} shard(s) to {output} "
        f"({statistics['seconds']:.1f} s)",
        f"input: {statistics['documents']} documents, {statistics['sentences']} sentences, "
        f"{statistics['sentence_tokens']} tokens, in {statistics['chunks']} chunk(s)",
        f"masked: {statistics['masked_tokens']} of {maskable} maskable tokens "
        f"({100 * statistics['masked_tokens'] / max(maskable, 1):.2f}%); random next sentence: "
        f"{statistics['random_next_instances']} "
        f"({100 * statistics['random_next_instances'] / max(instances, 1):.1f}%)",
    ] + skipped)
