"""`bert-keras pretrain`: masked-LM + next-sentence pretraining with `model.fit`.

Example:
    $ bert-keras create-pretraining-data --input corpus.txt --output data/wiki --vocab vocab.txt
    $ bert-keras pretrain --data data/wiki --init random:mini --output-dir runs/mini
    $ bert-keras pretrain --text corpus.txt --init path/to/hf_bert --output-dir runs/continued
    $ bert-keras finetune --task sst2 --init runs/mini --data-dir glue/SST-2 --output-dir runs/sst2
"""

from __future__ import annotations

import argparse

from bert_keras.cli.arguments import add_options, check_paths, options_from
from bert_keras.training.options import PretrainOptions



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pretrain", help="pretrain BERT with masked-LM + NSP")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a `create-pretraining-data` output dir (TFRecords)")
    source.add_argument("--text", nargs="+",
                        help="raw text files (a sentence per line, a blank line between "
                             "documents) for dynamic masking: a new mask on every pass")
    parser.add_argument("--init", required=True,
                        help="random weights of a preset size (random:tiny ... random:large), "
                             "or pretrained weights: a Hugging Face dir, a Google checkpoint, "
                             "a .keras file or a run dir")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--vocab", help="vocab.txt (default: the data's, else next to --init)")
    parser.add_argument("--cased", action="store_true", default=None)
    add_options(parser.add_argument_group("training options"), PretrainOptions)
    parser.set_defaults(func=run_pretrain)


def run_pretrain(args: argparse.Namespace) -> int:
    from bert_keras.training.pretraining.pretrain import pretrain

    check_paths(args, "data", "text", "vocab")
    result = pretrain(args.output_dir, args.init, data_dir=args.data, text_files=args.text,
                      vocab=args.vocab, cased=args.cased,
                      options=options_from(PretrainOptions, args))
    for name, value in result.items():
        print(f"{name}: {value:.4f}")
    return 0
