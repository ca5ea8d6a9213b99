"""Benchmark: peak memory of `bert-keras create-pretraining-data` on a corpus and on 10x of it.

Each run is a fresh subprocess running the CLI; its peak resident memory is the child's
`ru_maxrss` (from `os.wait4`). Baselines: a bare interpreter importing tensorflow, and one
importing what the command imports (tensorflow, tensorflow_text, bert_keras). Streaming keeps
the memory bounded by `--documents-per-chunk`, so the 10x corpus should need about as much
memory as the 1x one. Prints a table and writes it as JSON.

    python benchmarks/pretraining_data_memory.py \\
        --corpus ../shared/data/pretrain_text/wikitext2_test_sentences.txt \\
        --output benchmarks/results/pretraining_data_memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED_CORPUS = os.path.join(ROOT, "..", "shared", "data", "pretrain_text",
                             "wikitext2_test_sentences.txt")
SAMPLE_CORPUS = os.path.join(ROOT, "bert_keras", "samples", "wikitext_sample.txt")


def measure(command: list[str]) -> tuple[float, float]:
    """Runs `command` in a child process; returns (seconds, peak RSS in MB)."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                       PYTHONPATH=os.pathsep.join(filter(None, [ROOT,
                                                                os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{error.decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def concatenate(corpus: str, copies: int, path: str) -> None:
    """`copies` copies of `corpus`, a blank line between them so documents stay apart."""
    with open(corpus, "rb") as source:
        text = source.read()
    if not text.endswith(b"\n"):
        text += b"\n"
    with open(path, "wb") as target:
        for _ in range(copies):
            target.write(text + b"\n")


def run_cli(corpus: str, output: str, args: argparse.Namespace,
            documents_per_chunk: int) -> dict:
    command = [sys.executable, "-m", "bert_keras", "create-pretraining-data",
               "--input", corpus, "--output-dir", output, "--vocab", args.vocab,
               "--seq-length", str(args.max_seq_length),
               "--dupe-factor", str(args.dupe_factor),
               "--documents-per-chunk", str(documents_per_chunk), "--no-progress"]
    seconds, peak = measure(command)
    with open(os.path.join(output, "metadata.json"), encoding="utf-8") as file:
        statistics = json.load(file)["statistics"]
    return {"input_mb": os.path.getsize(corpus) / 2**20,
            "documents": statistics["documents"], "chunks": statistics["chunks"],
            "documents_per_chunk": documents_per_chunk,
            "instances": statistics["instances"], "seconds": seconds, "peak_rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None,
                        help="default: ../shared/data/pretrain_text/wikitext2_test_sentences.txt "
                             "if it exists, else bert_keras/samples/wikitext_sample.txt")
    parser.add_argument("--vocab", default=os.path.join(ROOT, "tests", "data", "text",
                                                        "bert_uncased_vocab.txt"))
    parser.add_argument("--scale", type=int, default=10, help="copies in the larger corpus")
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--dupe-factor", type=int, default=1)
    parser.add_argument("--documents-per-chunk", type=int, default=64,
                        help="chunk size of the streaming runs (default 64: about one chunk for "
                             "WikiText-2 test, 62 documents)")
    parser.add_argument("--no-single-chunk", action="store_true",
                        help="skip the comparison run that holds the whole larger corpus in "
                             "one chunk")
    parser.add_argument("--output", default="benchmarks/results/pretraining_data_memory.json")
    args = parser.parse_args()
    corpus = args.corpus or (SHARED_CORPUS if os.path.exists(SHARED_CORPUS) else SAMPLE_CORPUS)
    corpus, args.vocab = os.path.abspath(corpus), os.path.abspath(args.vocab)

    rows: dict[str, dict] = {}
    for name, code in (("python: import tensorflow", "import tensorflow"),
                       ("python: import tensorflow, tensorflow_text, bert_keras.text",
                        "import tensorflow, tensorflow_text, bert_keras.text")):
        seconds, peak = measure([sys.executable, "-c", code])
        rows[name] = {"seconds": seconds, "peak_rss_mb": peak}
    with tempfile.TemporaryDirectory() as temporary:
        larger = os.path.join(temporary, f"corpus_x{args.scale}.txt")
        concatenate(corpus, args.scale, larger)
        rows["corpus x1"] = run_cli(corpus, os.path.join(temporary, "x1"), args,
                                    args.documents_per_chunk)
        rows[f"corpus x{args.scale}"] = run_cli(larger, os.path.join(temporary, "xn"), args,
                                                args.documents_per_chunk)
        if not args.no_single_chunk:
            documents = rows[f"corpus x{args.scale}"]["documents"]
            rows[f"corpus x{args.scale}, one chunk"] = run_cli(
                larger, os.path.join(temporary, "xn_one"), args, documents + 1)

    baseline = rows["python: import tensorflow"]["peak_rss_mb"]
    small = rows["corpus x1"]
    for row in rows.values():
        row["above_tf_baseline_mb"] = row["peak_rss_mb"] - baseline
        if "input_mb" in row:
            row["input_ratio"] = row["input_mb"] / small["input_mb"]
            row["peak_rss_ratio"] = row["peak_rss_mb"] / small["peak_rss_mb"]
            row["above_baseline_ratio"] = (row["above_tf_baseline_mb"]
                                           / small["above_tf_baseline_mb"])
    print_table(rows, corpus, args)
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as file:
        json.dump({"corpus": os.path.relpath(corpus, ROOT), "scale": args.scale,
                   "max_seq_length": args.max_seq_length, "dupe_factor": args.dupe_factor,
                   "cpu_count": os.cpu_count(), "results": rows}, file, indent=2)
        file.write("\n")


def print_table(rows: dict[str, dict], corpus: str, args: argparse.Namespace) -> None:
    print(f"{os.path.relpath(corpus, ROOT)}, max_seq_length {args.max_seq_length}, "
          f"dupe_factor {args.dupe_factor}, {os.cpu_count()} CPU cores")
    print(f"{'run':60s} {'input MB':>8s} {'docs/chunk':>10s} {'instances':>9s} {'s':>6s} "
          f"{'peak MB':>8s} {'>TF MB':>7s} {'x input':>7s} {'x peak':>6s} {'x >TF':>6s}")
    for name, row in rows.items():
        if "input_mb" in row:
            print(f"{name:60s} {row['input_mb']:8.2f} {row['documents_per_chunk']:10d} "
                  f"{row['instances']:9d} {row['seconds']:6.1f} {row['peak_rss_mb']:8.0f} "
                  f"{row['above_tf_baseline_mb']:7.0f} {row['input_ratio']:7.1f} "
                  f"{row['peak_rss_ratio']:6.2f} {row['above_baseline_ratio']:6.2f}")
        else:
            print(f"{name:60s} {'':8s} {'':10s} {'':9s} {row['seconds']:6.1f} "
                  f"{row['peak_rss_mb']:8.0f} {row['above_tf_baseline_mb']:7.0f}")


if __name__ == "__main__":
    main()
