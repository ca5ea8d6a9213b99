"""`bert-keras pretrain`: masked-LM + next-sentence pretraining with `model.fit`.

Example:
    $ bert-keras create-pretraining-data --input corpus.txt --output data/wiki --vocab vocab.txt
    $ bert-keras pretrain --data data/wiki --init mini --output-dir runs/mini
    $ bert-keras pretrain --text corpus.txt --init path/to/hf_bert --output-dir runs/continued
    $ bert-keras finetune --task sst2 --init runs/mini --data-dir glue/SST-2 --output-dir runs/sst2
"""

from __future__ import annotations

import argparse
import sys

from bert_keras.cli.arguments import add_options, options_from
from bert_keras.data import DataError
from bert_keras.training.options import PretrainOptions

_EXPECTED_ERRORS = (DataError, FileNotFoundError, ValueError)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pretrain", help="pretrain BERT with masked-LM + NSP")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a `create-pretraining-data` output dir (TFRecords)")
    source.add_argument("--text", nargs="+",
                        help="raw text files (a sentence per line, a blank line between "
                             "documents) for dynamic masking: a new mask on every pass")
    parser.add_argument("--init", required=True,
                        help="a preset name (random weights), HF dir, Google checkpoint, "
                             ".keras file or run dir")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--vocab", help="vocab.txt (default: the data's, else next to --init)")
    parser.add_argument("--cased", action="store_true", default=None)
    add_options(parser.add_argument_group("training options"), PretrainOptions)
    parser.set_defaults(func=run_pretrain)


def run_pretrain(args: argparse.Namespace) -> int:
    from bert_keras.training.pretraining.pretrain import pretrain

    try:
        result = pretrain(args.output_dir, args.init, data_dir=args.data, text_files=args.text,
                          vocab=args.vocab, cased=args.cased,
                          options=options_from(PretrainOptions, args))
    except _EXPECTED_ERRORS as error:
        print(f"bert-keras pretrain: {error}", file=sys.stderr)
        return 1
    for name, value in result.items():
        print(f"{name}: {value:.4f}")
    return 0
