"""Benchmark: how long `bert-keras --help` and `--version` take, in fresh processes.

Each command runs `--repeats` times in a new interpreter (the median and the fastest wall
times are reported); for comparison, `import tensorflow` alone, and the parser of every
command built in full (what `--help` cost when it imported every command's module, and with
them TensorFlow). Prints a table and writes it as JSON.

    python benchmarks/cli_startup.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import ROOT, print_table, write_results  # noqa: E402

COMMANDS = {
    "bert-keras --help": ["-m", "bert_keras", "--help"],
    "bert-keras --version": ["-m", "bert_keras", "--version"],
    "bert-keras export --help": ["-m", "bert_keras", "export", "--help"],
    "import tensorflow": ["-c", "import tensorflow"],
    "every command's parser (the old --help)": [
        "-c", "from bert_keras.cli import build_parser; build_parser().format_help()"],
}


def wall_times(arguments: list[str], repeats: int) -> list[float]:
    """Seconds of `repeats` runs of `python arguments` (each must exit 0)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *arguments], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--output", default=os.path.join(HERE, "results", "cli_startup.json"))
    args = parser.parse_args()
    rows = []
    for name, arguments in COMMANDS.items():
        times = wall_times(arguments, args.repeats)
        rows.append({"command": name, "median_seconds": round(statistics.median(times), 3),
                     "min_seconds": round(min(times), 3)})
        print(f"{name}: median {rows[-1]['median_seconds']:.3f} s", flush=True)
    print()
    print_table(("command", "median s", "fastest s"),
                [(row["command"], f"{row['median_seconds']:.3f}", f"{row['min_seconds']:.3f}")
                 for row in rows])
    write_results(args.output, {"repeats": args.repeats, "python": sys.version.split()[0]},
                  rows)


if __name__ == "__main__":
    main()
