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

from bert_keras.cli import fraction, positive_float, positive_int, probability
from bert_keras.data import DataError
from bert_keras.training.cli import add_run_arguments

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
    parser.add_argument("--seq-length", type=positive_int,
                        help="--text: sequence length (default 128); --data made by another "
                             "tool (no metadata.json): the length it was made with")
    parser.add_argument("--max-predictions", type=positive_int,
                        help="masked positions per sequence: --text (default 20), or --data "
                             "without metadata.json")
    parser.add_argument("--masked-lm-prob", type=probability, default=0.15, help="--text only")
    parser.add_argument("--whole-word-mask", action="store_true", help="--text only")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="per replica")
    parser.add_argument("--num-train-steps", type=positive_int, default=10_000,
                        help="optimizer updates")
    parser.add_argument("--accumulation-steps", type=positive_int, default=1,
                        help="batches whose gradients are averaged per update")
    parser.add_argument("--steps-per-epoch", type=positive_int, default=1000,
                        help="batches between metric logs and backups")
    parser.add_argument("--learning-rate", type=positive_float, default=1e-3)
    parser.add_argument("--warmup-ratio", type=fraction, default=0.01)
    add_run_arguments(parser, optimizer="lamb")
    parser.set_defaults(func=run_pretrain)


def run_pretrain(args: argparse.Namespace) -> int:
    from bert_keras.training.pretraining.pretrain import pretrain

    try:
        result = pretrain(
            args.output_dir, args.init, data_dir=args.data, text_files=args.text,
            vocab=args.vocab, cased=args.cased, seq_length=args.seq_length,
            max_predictions=args.max_predictions, masked_lm_prob=args.masked_lm_prob,
            whole_word_mask=args.whole_word_mask, batch_size=args.batch_size,
            num_train_steps=args.num_train_steps, steps_per_epoch=args.steps_per_epoch,
            accumulation_steps=args.accumulation_steps, learning_rate=args.learning_rate,
            warmup_ratio=args.warmup_ratio, weight_decay=args.weight_decay,
            optimizer=args.optimizer, strategy=args.strategy, precision=args.precision,
            xla=args.xla, seed=args.seed, save_every=args.save_every or "epoch",
            restart=args.restart)
    except _EXPECTED_ERRORS as error:
        print(f"bert-keras pretrain: {error}", file=sys.stderr)
        return 1
    for name, value in result.items():
        print(f"{name}: {value:.4f}")
    return 0
