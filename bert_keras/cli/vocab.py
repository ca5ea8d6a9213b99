"""`bert-keras vocab build`: train a WordPiece vocabulary from text files.

Example:
    $ bert-keras vocab build --input a.txt b.txt --output vocab.txt --vocab-size 8000 --lowercase
"""

from __future__ import annotations

import argparse
import sys
import time

from bert_keras.cli.arguments import positive_int

# `bert_keras.text.vocab.SPECIAL_TOKENS`, named here so that `--help` needs no TensorFlow
# (tests/test_cli_quiet.py checks that they agree).
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `vocab` command (with its `build` subcommand) to the top-level parser."""
    vocab = subparsers.add_parser("vocab", help="WordPiece vocabulary tools")
    actions = vocab.add_subparsers(dest="vocab_command", required=True)
    build = actions.add_parser(
        "build",
        help="train a WordPiece vocabulary from text files",
        description=(
            "Train a WordPiece vocabulary with BERT's basic tokenization; the special tokens "
            f"{' '.join(SPECIAL_TOKENS)} come first."
        ),
    )
    build.add_argument("--input", nargs="+", required=True, metavar="FILE", help="UTF-8 text files")
    build.add_argument("--output", required=True, metavar="VOCAB_TXT", help="vocab.txt to write")
    build.add_argument("--vocab-size", type=positive_int, default=30522, help="maximum number of tokens")
    case = build.add_mutually_exclusive_group()
    case.add_argument(
        "--lowercase", dest="lowercase", action="store_true", default=True,
        help="uncased: lowercase and strip accents (default)",
    )
    case.add_argument(
        "--cased", dest="lowercase", action="store_false", help="keep case and accents"
    )
    build.set_defaults(func=run_build, command_name="vocab build")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_build(args: argparse.Namespace) -> int:
    """Builds and writes the vocabulary."""
    from bert_keras.text.vocab_builder import build_vocabulary, write_vocabulary

    start = time.time()
    tokens = build_vocabulary(args.input, args.vocab_size, args.lowercase, progress=_progress)
    write_vocabulary(tokens, args.output)
    print(f"wrote {len(tokens)} tokens to {args.output} in {time.time() - start:.0f}s")
    return 0
