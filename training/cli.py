"""`bert-keras finetune | evaluate | predict`.

Example:
    $ bert-keras finetune --task sst2 --init path/to/hf_bert --data-dir glue/SST-2 --output-dir runs/sst2
    $ bert-keras evaluate --model runs/sst2 --data-dir glue/SST-2
    $ bert-keras predict --model runs/sst2 "a gripping, beautifully made film"
"""

from __future__ import annotations

import argparse
import sys

from bert_keras.cli import (fraction, non_negative_float, open_fraction, positive_float,
                            positive_int)
from bert_keras.data import DataError
from bert_keras.training.tasks import task_names

_EXPECTED_ERRORS = (DataError, FileNotFoundError, ValueError)


def register(subparsers: argparse._SubParsersAction) -> None:
    finetune = subparsers.add_parser("finetune", help="fine-tune a BERT model on a task")
    finetune.add_argument("--task", required=True, choices=task_names())
    finetune.add_argument("--init", required=True,
                          help="HF dir, Google checkpoint, .keras file, finetune run dir, or a "
                               "preset name (random weights; needs --vocab)")
    finetune.add_argument("--output-dir", required=True)
    _add_data_arguments(finetune)
    finetune.add_argument("--train-file")
    finetune.add_argument("--vocab", help="vocab.txt (default: next to the --init weights)")
    finetune.add_argument("--cased", action="store_true", default=None,
                          help="keep case and accents (default: the checkpoint's own setting)")
    finetune.add_argument("--text-columns", nargs="+", help="csv task: one or two text columns")
    finetune.add_argument("--label-column", help="csv task: the label column")
    finetune.add_argument("--regression", action="store_true", default=None,
                          help="csv task: float labels")
    finetune.add_argument("--doc-stride", type=positive_int,
                          help="squad: tokens between windows of a long context (default 128)")
    finetune.add_argument("--max-answer-length", type=positive_int,
                          help="squad: longest answer decoded, in tokens (default 30)")
    finetune.add_argument("--n-best", type=positive_int,
                          help="squad: start/end positions tried per window (default 20)")
    finetune.add_argument("--version-2-with-negative", action="store_true", default=None,
                          help="squad: SQuAD v2.0, with unanswerable questions")
    finetune.add_argument("--null-score-threshold", type=float,
                          help="squad v2.0: answer nothing when the no-answer score beats the "
                               "best span's by more than this (default 0)")
    finetune.add_argument("--dev-fraction", type=open_fraction,
                          help="squad: hold out this fraction of the training file's articles "
                               "as the dev set (instead of --dev-file)")
    finetune.add_argument("--seq-length", type=positive_int, default=128)
    finetune.add_argument("--batch-size", type=positive_int, default=32, help="per replica")
    finetune.add_argument("--epochs", type=positive_int, default=3)
    finetune.add_argument("--learning-rate", type=positive_float, default=5e-5)
    finetune.add_argument("--warmup-ratio", type=fraction, default=0.1)
    add_run_arguments(finetune, optimizer="adamw")
    finetune.add_argument("--max-train-examples", type=positive_int,
                          help="use only the first N training examples")
    finetune.set_defaults(func=run_finetune)

    evaluate = subparsers.add_parser(
        "evaluate", help="score a fine-tuned model on dev data",
        description="Scores a fine-tuned model on --dev-file or --data-dir; with neither, on "
                    "the dev data the run was fine-tuned with (its task.json records it).")
    evaluate.add_argument("--model", required=True, help="a `bert-keras finetune` output dir")
    _add_data_arguments(evaluate)
    evaluate.set_defaults(func=run_evaluate)

    predict = subparsers.add_parser(
        "predict", help="predict with a fine-tuned model, or ask a server (--server)")
    predict.add_argument("--model", required=True,
                         help="a `bert-keras finetune` output dir, or with --server the name "
                              "of a served model")
    predict.add_argument("--server", metavar="HOST:PORT",
                         help="send the texts to TF Serving (or `bert-keras serve`) over gRPC")
    predict.add_argument("--signature", default="serving_default",
                         help="with --server: the signature to run")
    predict.add_argument("--timeout", type=positive_float, default=30.0,
                         help="with --server: seconds before a request is given up")
    predict.add_argument("inputs", nargs="+",
                         help="texts; for pair tasks separate the two texts with a tab (QA: "
                              "question<TAB>context)")
    predict.set_defaults(func=run_predict)


def add_run_arguments(parser: argparse.ArgumentParser, optimizer: str) -> None:
    """The options every training command shares: optimizer, weight decay, strategy,
    precision, XLA, seed, crash backups and restarting (`optimizer` is the default
    optimizer)."""
    parser.add_argument("--weight-decay", type=non_negative_float, default=0.01)
    parser.add_argument("--optimizer", choices=("adamw", "lamb"), default=optimizer)
    parser.add_argument("--strategy", default="auto",
                        choices=("auto", "default", "one_device", "mirrored", "multi_worker",
                                 "tpu"))
    parser.add_argument("--precision", default="auto",
                        choices=("auto", "float32", "mixed_float16", "mixed_bfloat16"))
    parser.add_argument("--xla", action="store_true", help="compile train steps with XLA")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-every", type=positive_int, default=None,
                        help="back up for crash recovery every N batches (default: each epoch)")
    parser.add_argument("--restart", action="store_true",
                        help="delete a backup in --output-dir and start afresh (without it, "
                             "a backup is resumed only when settings and data are the same)")


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the folder with the task's train and dev files "
                                           "(GLUE: train.tsv, dev.tsv; CoNLL: eng.train, "
                                           "eng.testa; SQuAD: train-v1.1.json, dev-v1.1.json)")
    parser.add_argument("--dev-file")


def _fail(command: str, error: Exception) -> int:
    print(f"bert-keras {command}: {error}", file=sys.stderr)
    return 1


def _print_metrics(result: dict[str, float]) -> None:
    for name, value in result.items():
        print(f"{name}: {value:.4f}")


def run_finetune(args: argparse.Namespace) -> int:
    from bert_keras.training.finetune import finetune

    options = {key: value for key, value in (("text_columns", args.text_columns),
                                             ("label_column", args.label_column),
                                             ("regression", args.regression),
                                             ("doc_stride", args.doc_stride),
                                             ("max_answer_length", args.max_answer_length),
                                             ("n_best", args.n_best),
                                             ("version_2_with_negative",
                                              args.version_2_with_negative),
                                             ("null_score_threshold", args.null_score_threshold),
                                             ("dev_fraction", args.dev_fraction))
               if value is not None}
    try:
        result = finetune(
            args.task, args.init, args.output_dir, data_dir=args.data_dir,
            train_file=args.train_file, dev_file=args.dev_file, vocab=args.vocab,
            cased=args.cased, seq_length=args.seq_length, batch_size=args.batch_size,
            epochs=args.epochs, learning_rate=args.learning_rate,
            warmup_ratio=args.warmup_ratio, weight_decay=args.weight_decay,
            optimizer=args.optimizer, strategy=args.strategy, precision=args.precision,
            xla=args.xla, seed=args.seed, save_every=args.save_every or "epoch",
            max_train_examples=args.max_train_examples, options=options, restart=args.restart)
    except _EXPECTED_ERRORS as error:
        return _fail("finetune", error)
    _print_metrics(result)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from bert_keras.training.finetune import Run

    try:
        result = Run.load(args.model).evaluate(args.data_dir, args.dev_file)
    except _EXPECTED_ERRORS as error:
        return _fail("evaluate", error)
    _print_metrics(result)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    if args.server:
        from bert_keras.export.client import predict_command

        return predict_command(args.server, args.model, args.inputs, args.signature,
                               args.timeout)
    from bert_keras.training.finetune import Run

    try:
        predictions = Run.load(args.model).predict(args.inputs)
    except _EXPECTED_ERRORS as error:
        return _fail("predict", error)
    for text, prediction in zip(args.inputs, predictions):
        print(f"{prediction}\t{text}")
    return 0
