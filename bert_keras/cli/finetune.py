"""`bert-keras finetune | evaluate | predict`: flags to `finetune`'s options, and runs.

Example:
    $ bert-keras finetune --task sst2 --init path/to/hf_bert --data-dir glue/SST-2 --output-dir runs/sst2
    $ bert-keras evaluate --model runs/sst2 --data-dir glue/SST-2
    $ bert-keras predict --model runs/sst2 "a gripping, beautifully made film"
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bert_keras import storage
from bert_keras.cli.arguments import (add_options, check_paths, given, options_from,
                                      positive_float)
from bert_keras.options import option_fields
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.progress import progress_shown
from bert_keras.training.tasks import task_names, task_options

def register(subparsers: argparse._SubParsersAction) -> None:
    finetune = subparsers.add_parser("finetune", help="fine-tune a BERT model on a task")
    finetune.add_argument("--task", required=True, choices=task_names())
    finetune.add_argument("--init", required=True,
                          help="pretrained weights: a Hugging Face dir, a Google checkpoint, a "
                               ".keras file or a run dir; or random weights of a preset size, "
                               "random:tiny ... random:large (needs --vocab)")
    finetune.add_argument("--output-dir", required=True)
    _add_data_arguments(finetune)
    finetune.add_argument("--train-file")
    finetune.add_argument("--vocab", help="vocab.txt (default: next to the --init weights)")
    finetune.add_argument("--cased", action="store_true", default=None,
                          help="keep case and accents (default: the checkpoint's own setting)")
    add_options(finetune.add_argument_group("training options"), FinetuneOptions)
    added: set[str] = set()
    for task in task_names():
        options_class = task_options(task)
        if options_class is not None:
            group = finetune.add_argument_group(f"options of --task {task}")
            added.update(add_options(group, options_class, only_given=True, skip=added))
    finetune.set_defaults(func=run_finetune)

    evaluate = subparsers.add_parser(
        "evaluate", help="score a fine-tuned model on dev data",
        description="Scores a fine-tuned model on --dev-file or --data-dir; with neither, on "
                    "the dev data the run was fine-tuned with (its task.json records it).")
    evaluate.add_argument("--model", required=True, help="a `bert-keras finetune` output dir")
    _add_data_arguments(evaluate)
    evaluate.set_defaults(func=run_evaluate)

    predict = subparsers.add_parser(
        "predict", help="predict with a fine-tuned model, or ask a server (--server)",
        description="Prints a line per input: the prediction, a tab and the input; with "
                    "--json (always with --server) a JSON object of the input and the "
                    "prediction's fields.")
    predict.add_argument("--model", required=True,
                         help="a `bert-keras finetune` output dir, or with --server the name "
                              "of a served model")
    predict.add_argument("--server", metavar="HOST:PORT",
                         help="send the texts to TF Serving (or `bert-keras serve`) over gRPC")
    predict.add_argument("--signature", default="serving_default",
                         help="with --server: the signature to run")
    predict.add_argument("--timeout", type=positive_float, default=30.0,
                         help="with --server: seconds before a request is given up")
    predict.add_argument("--input-file", metavar="FILE",
                         help="also predict each line of FILE (-: standard input), after the "
                              "texts given as arguments")
    predict.add_argument("--json", action="store_true",
                         help="print one JSON object per input (the input, then the label, "
                              "probabilities, tags and entities, or answer)")
    predict.add_argument("inputs", nargs="*",
                         help="texts; for pair tasks separate the two texts with a tab (QA: "
                              "question<TAB>context)")
    predict.set_defaults(func=run_predict, predict_parser=predict)


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the folder with the task's train and dev files "
                                           "(GLUE: train.tsv, dev.tsv; CoNLL: eng.train, "
                                           "eng.testa; SQuAD: train-v1.1.json, dev-v1.1.json)")
    parser.add_argument("--dev-file")


def _print_metrics(result: dict[str, float]) -> None:
    for name, value in result.items():
        print(f"{name}: {value:.4f}")


def run_finetune(args: argparse.Namespace) -> int:
    from bert_keras.training.finetune import finetune

    check_paths(args, "train_file", "dev_file", "data_dir", "vocab")
    result = finetune(
        args.task, args.init, args.output_dir, data_dir=args.data_dir,
        train_file=args.train_file, dev_file=args.dev_file, vocab=args.vocab,
        cased=args.cased, options=options_from(FinetuneOptions, args),
        task_options=given(args, _task_option_names()))
    _print_metrics(result)
    return 0


def _task_option_names() -> list[str]:
    """Every task's option names: those given on the command line go to the task chosen,
    whose recipe refuses the ones it does not take."""
    return [field.name for task in task_names() if task_options(task) is not None
            for field in option_fields(task_options(task))]


def run_evaluate(args: argparse.Namespace) -> int:
    from bert_keras.training.finetune import Run

    check_paths(args, "model", "dev_file", "data_dir")
    run = Run.load(args.model)
    with progress_shown(label="evaluate"):
        result = run.evaluate(args.data_dir, args.dev_file)
    _print_metrics(result)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    inputs = list(args.inputs)
    if args.input_file:
        inputs += read_inputs(args.input_file)
    elif not inputs:
        args.predict_parser.error("give texts to predict, or --input-file")
    if not inputs:
        return 0
    if args.server:
        from bert_keras.export.client import predict_command

        return predict_command(args.server, args.model, inputs, args.signature, args.timeout)
    from bert_keras.training.finetune import Run

    check_paths(args, "model")
    run = Run.load(args.model)
    with progress_shown(label="predict"):
        if args.json:
            results = predict_results(run, inputs)
        else:
            predictions = run.predict(inputs)
    if args.json:
        for text, result in zip(inputs, results):
            print(json.dumps({"input": text, **result}, ensure_ascii=False))
    else:
        for text, prediction in zip(inputs, predictions):
            print(f"{prediction}\t{text}")
    return 0


def predict_results(run: Any, inputs: list[str]) -> list[dict[str, Any]]:
    """The recipe's structured predictions (`predict_results`: label and probabilities,
    score, tags and entities, or answer), or for a recipe without them its text lines as
    `{"prediction": line}`."""
    recipe = run.recipe
    if hasattr(recipe, "predict_results"):
        return recipe.predict_results(run.model, inputs, run.tokenizer, run.spec.seq_length,
                                      run.spec.label_names)
    return [{"prediction": line} for line in run.predict(inputs)]


def read_inputs(path: str) -> list[str]:
    """The lines of the UTF-8 file `path` (`-`: standard input), without their line ends.

    Raises:
        ValueError: the file is not UTF-8.
    """
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            text = (stream.read().decode("utf-8-sig") if stream is not None
                    else sys.stdin.read())
        else:
            with storage.open_file(path, encoding="utf-8-sig") as file:
                text = file.read()
    except UnicodeDecodeError as error:
        name = "standard input" if path == "-" else path
        raise ValueError(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
                         ) from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the end of the last line
    return [line[:-1] if line.endswith("\r") else line for line in lines]
