"""`bert-keras export` (a finetune run -> a TF Serving model version) and `bert-keras serve`.

Example:
    $ bert-keras export --model runs/sst2 --output models/sst2
    exported runs/sst2 (classifier) to models/sst2/1: signatures embed, serve_tokens, serving_default
"""

from __future__ import annotations

import argparse
import sys
import time

from bert_keras.cli.arguments import port, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `export` command to the top-level parser."""
    parser = subparsers.add_parser(
        "export", help="export a fine-tuned model as a SavedModel for TF Serving",
        description="Write BASE_DIR/NAME/<version>/ (SavedModel with raw-text signatures, "
                    "tokenization in the graph, and TF Serving warmup requests).")
    parser.add_argument("--model", required=True, metavar="RUN_DIR|MODEL.keras",
                        help="output directory of `bert-keras finetune`, or the .keras file "
                             "of a raw-text model (bert_keras.text_models)")
    parser.add_argument("--output", required=True, metavar="BASE_DIR/NAME",
                        help="model directory; the version goes in a numbered subdirectory")
    parser.add_argument("--version", type=positive_int, default=None,
                        help="version number (default: the newest existing one plus one)")
    parser.add_argument("--warmup-text", nargs="+", default=None, metavar="TEXT",
                        help="texts for the warmup requests (a tab separates a pair's texts; "
                             "default: built-in sample sentences)")
    parser.set_defaults(func=run_export)

    serve = subparsers.add_parser(
        "serve", help="serve exported models over gRPC with TF Serving's API (development)",
        description="A local PredictionService/ModelService over BASE_DIR/NAME/<version>/, "
                    "picking up new versions as they appear. Not TF Serving: see the README "
                    "for the real server.")
    serve.add_argument("base_dir", metavar="BASE_DIR", help="directory of exported models")
    serve.add_argument("--port", type=port, default=8500, help="gRPC port (0: any free port)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default: localhost only)")
    serve.add_argument("--max-batch-size", type=positive_int, default=256,
                       help="largest batch a request may send")
    serve.set_defaults(func=run_serve)


def run_export(args: argparse.Namespace) -> int:
    """Exports a run directory or a raw-text model's `.keras` file as the next version."""
    from bert_keras.export.saved_model import export_model

    start = time.time()
    print(f"exporting {args.model} ...", file=sys.stderr, flush=True)
    exported = export_model(args.model, args.output, args.version, args.warmup_text)
    print(f"exported {args.model} ({exported.kind}) to {exported.path} in "
          f"{time.time() - start:.0f}s: signatures {', '.join(exported.signatures)}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Serves until interrupted."""
    from bert_keras.export.server import Limits, start_server

    server = start_server(args.base_dir, args.port, args.host,
                          Limits(max_batch_size=args.max_batch_size))
    for name, versions in server.repository.models().items():
        print(f"serving {name} version {versions[-1]}", flush=True)
    for key, why in server.repository.errors.items():
        print(f"not serving {key}: {why}", file=sys.stderr, flush=True)
    print(f"listening on {args.host}:{server.port} (Ctrl-C stops)", flush=True)
    try:
        server.server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(grace=1.0)
    return 0
