"""`bert-keras convert`: write a `.keras` file from a Google or Hugging Face checkpoint.

Example:
    $ bert-keras convert --input uncased_L-12_H-768_A-12 --output bert_base.keras
    $ bert-keras convert --input hf_bert_dir --output pretrainer.keras --pretrainer
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="write a .keras model from a Google TF1 or Hugging Face BERT checkpoint",
        description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True,
                        help="Hugging Face dir, Google checkpoint dir or prefix, or .keras file")
    parser.add_argument("--output", required=True, help="the .keras file to write")
    parser.add_argument("--pretrainer", action="store_true",
                        help="write bert_pretrainer with its MLM/NSP heads (else the encoder)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bert_keras.checkpoints.loading import load_checkpoint, load_pretrainer
    from bert_keras.model_files import save_model

    if not args.output.endswith(".keras"):
        raise ValueError(f"--output must end with .keras, got {args.output!r}")
    load = load_pretrainer if args.pretrainer else load_checkpoint
    print(f"Reading {args.input} ...", flush=True)
    config, model = load(args.input)
    save_model(model, args.output)
    print(f"Wrote {args.output}: {model.name}, {config.num_layers} layers, hidden "
          f"{config.hidden_size}, {model.count_params():,} parameters")
    return 0
