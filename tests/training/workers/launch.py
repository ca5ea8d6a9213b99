"""Starts `train_tiny.py` in child processes, bounded in time and always cleaned up."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("train_tiny.py")


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that were free a moment ago (held together, so all distinct)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Worker:
    """One `train_tiny.py` (or `script`) process; a reader thread collects its output lines."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, script: Path = SCRIPT):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, str(script), *args], cwd=REPO, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                 **(env or {})})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _next_line(self, deadline: float, late: str) -> str | None:
        """The next output line (None once the worker's output ends); past `deadline` kills
        the worker and raises a TimeoutError saying `late`."""
        try:
            return self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            self.kill()
            raise TimeoutError(f"{late}:\n{self.output()}") from None

    def wait_for(self, marker: str, timeout: float) -> None:
        """Blocks until a line equal to `marker` is printed; fails on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline, f"no {marker!r} within {timeout} s")
            if line is None:
                raise RuntimeError(f"worker exited before {marker!r}:\n{self.output()}")
            self.lines.append(line)
            if line == marker:
                return

    def finish(self, timeout: float) -> None:
        """Waits for a clean exit (after `DONE`); kills the worker and fails otherwise."""
        self.wait_for("DONE", timeout)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        if self.process.returncode != 0:
            raise RuntimeError(f"worker failed ({self.process.returncode}):\n{self.output()}")

    def exit_status(self, timeout: float) -> int:
        """Waits for the worker to exit (collecting the rest of its output) and returns its
        status; kills it and fails if it is still running after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline, f"still running after {timeout} s")
            if line is None:
                break
            self.lines.append(line)
        try:
            return self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f"still running after {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def output(self) -> str:
        return "\n".join(self.lines[-60:])


def train(tmp_path: Path, name: str, *args: str, timeout: float = 120) -> dict:
    """Runs one worker to completion and returns its result arrays."""
    worker = Worker("--output", str(tmp_path / name), "--result", str(tmp_path / f"{name}.npz"),
                    *args)
    try:
        worker.finish(timeout)
    finally:
        worker.kill()
    return dict(np.load(tmp_path / f"{name}.npz"))
