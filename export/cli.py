"""`bert-keras export`: a `bert-keras finetune` output directory -> a TF Serving model version.

Example:
    $ bert-keras export --model runs/sst2 --output models/sst2
    exported runs/sst2 (classifier) to models/sst2/1: signatures embed, serve_tokens, serving_default
"""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `export` command to the top-level parser."""
    parser = subparsers.add_parser(
        "export", help="export a fine-tuned model as a SavedModel for TF Serving",
        description="Write BASE_DIR/NAME/<version>/ (SavedModel with raw-text signatures, "
                    "tokenization in the graph, and TF Serving warmup requests).")
    parser.add_argument("--model", required=True, metavar="RUN_DIR",
                        help="output directory of `bert-keras finetune`")
    parser.add_argument("--output", required=True, metavar="BASE_DIR/NAME",
                        help="model directory; the version goes in a numbered subdirectory")
    parser.add_argument("--version", type=int, default=None,
                        help="version number (default: the newest existing one plus one)")
    parser.add_argument("--warmup-text", nargs="+", default=None, metavar="TEXT",
                        help="texts for the warmup requests (a tab separates a pair's texts; "
                             "default: built-in sample sentences)")
    parser.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Exports; returns 0, or 2 with a one-line message when the input is not exportable."""
    from export.graph_check import DisallowedOpsError
    from export.saved_model import export_model

    start = time.time()
    print(f"exporting {args.model} ...", file=sys.stderr, flush=True)
    try:
        exported = export_model(args.model, args.output, args.version, args.warmup_text)
    except (FileNotFoundError, FileExistsError, ValueError, NotImplementedError,
            DisallowedOpsError) as error:
        print(f"bert-keras export: error: {error}", file=sys.stderr)
        return 2
    print(f"exported {args.model} ({exported.kind}) to {exported.path} in "
          f"{time.time() - start:.0f}s: signatures {', '.join(exported.signatures)}")
    return 0
