"""Benchmark: `bert-keras serve` under load, and its answers to bad requests.

Starts `bert-keras serve BASE_DIR --port 0` in its own process, then sends `--requests`
Predict calls (one SST-2 dev sentence each) from `--clients` concurrent client threads, each
with its own gRPC channel. Reports throughput, p50/p99 latency and errors, then sends each bad
request of the export issue and checks the status code and that a good request still works.
Without `--base-dir` it fine-tunes a tiny model on the shipped SST-2 sample and exports it
(the numbers then measure the server and the in-graph tokenizer more than the model).
Prints a table and writes it as JSON.

    python benchmarks/serving_load.py [--base-dir models --model sst2] \\
        --output benchmarks/results/serving_load.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from bert_keras.export.client import PredictionClient, ServingError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SAMPLES = os.path.join(ROOT, "bert_keras", "samples")
BAD_REQUESTS = [  # (case, model, inputs, signature, expected status)
    ("unknown model", "no_such_model", {"text": ["x"]}, "serving_default", "NOT_FOUND"),
    ("unknown signature", None, {"text": ["x"]}, "no_such_signature", "INVALID_ARGUMENT"),
    ("wrong input name", None, {"sentence": ["x"]}, "serving_default", "INVALID_ARGUMENT"),
    ("wrong dtype", None, {"text": [1.0]}, "serving_default", "INVALID_ARGUMENT"),
    ("empty batch", None, {"text": []}, "serving_default", "INVALID_ARGUMENT"),
    ("non-UTF-8 bytes", None, {"text": [b"\xff\xfe"]}, "serving_default", "INVALID_ARGUMENT"),
    ("text of 1 MB", None, {"text": ["a" * 1_000_000]}, "serving_default", "INVALID_ARGUMENT"),
]


def sentences() -> list[str]:
    with open(os.path.join(SAMPLES, "sst2_dev.tsv"), encoding="utf-8") as file:
        return [row["sentence"] for row in csv.DictReader(file, delimiter="\t",
                                                          quoting=csv.QUOTE_NONE)]


def tiny_export(folder: str) -> str:
    """Fine-tunes a tiny model on the shipped SST-2 sample and exports it; returns BASE_DIR."""
    from bert_keras.export.saved_model import export_model
    from bert_keras.training.finetune import finetune
    from bert_keras.training.options import FinetuneOptions

    run = os.path.join(folder, "run")
    vocab = os.path.join(ROOT, "tests", "data", "text", "bert_uncased_vocab.txt")
    finetune("sst2", "random:tiny", run, train_file=os.path.join(SAMPLES, "sst2_train_sample.tsv"),
             dev_file=os.path.join(SAMPLES, "sst2_dev.tsv"), vocab=vocab, verbose=0,
             options=FinetuneOptions(seq_length=128, batch_size=32, epochs=1,
                                     max_train_examples=256))
    export_model(run, os.path.join(folder, "models", "sst2"))
    return os.path.join(folder, "models")


def start_server(base_dir: str) -> tuple[subprocess.Popen, str]:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    process = subprocess.Popen([sys.executable, "-m", "bert_keras", "serve", base_dir,
                                "--port", "0"], env=environment, stdout=subprocess.PIPE,
                               text=True)
    for line in process.stdout:
        print(f"  server: {line.rstrip()}", flush=True)
        if line.startswith("listening on "):
            return process, line.split()[2]
    raise RuntimeError(f"bert-keras serve exited with {process.wait()}")


def load(target: str, model: str, texts: list[str], requests: int, clients: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(requests))
    lock = threading.Lock()

    def worker() -> None:
        with PredictionClient(target, timeout=60) as client:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                start = time.perf_counter()
                try:
                    client.predict(model, {"text": [texts[index % len(texts)]]})
                except ServingError as error:
                    errors.append(str(error))
                    continue
                latencies.append(time.perf_counter() - start)

    with PredictionClient(target, timeout=120) as client:  # first call traces the graph
        client.predict(model, {"text": texts[:1]})
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    done = 0
    while any(thread.is_alive() for thread in threads):
        time.sleep(2)
        if len(latencies) + len(errors) - done >= requests // 10:
            done = len(latencies) + len(errors)
            print(f"  {done}/{requests} requests", flush=True)
    seconds = time.perf_counter() - start
    milliseconds = np.asarray(latencies) * 1000
    return {"requests": requests, "clients": clients, "errors": len(errors),
            "first_errors": errors[:3], "seconds": round(seconds, 2),
            "requests_per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(float(np.percentile(milliseconds, 50)), 1),
            "p99_ms": round(float(np.percentile(milliseconds, 99)), 1)}


def bad_requests(target: str, model: str) -> list[dict]:
    results = []
    with PredictionClient(target, timeout=60) as client:
        for case, name, inputs, signature, expected in BAD_REQUESTS:
            try:
                client.predict(name or model, inputs, signature)
                status, message = "OK", ""
            except ServingError as error:
                status, message = error.code, str(error)
            after = client.predict(model, {"text": ["still serving?"]})["label"][0].decode()
            results.append({"case": case, "expected": expected, "status": status,
                            "message": message[:120], "good_request_after": after})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-dir", help="exported models (default: export a tiny model)")
    parser.add_argument("--model", default="sst2")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--output", default=os.path.join(HERE, "results", "serving_load.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        base_dir = args.base_dir or tiny_export(folder)
        server, target = start_server(base_dir)
        try:
            result = load(target, args.model, sentences(), args.requests, args.clients)
            result["bad_requests"] = bad_requests(target, args.model)
        finally:
            server.terminate()
            server.wait()
    result["model"] = "tiny (hidden 128, 2 layers)" if not args.base_dir else args.model
    print(f"\n{result['requests']} requests from {result['clients']} clients: "
          f"{result['requests_per_second']} requests/s, p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms, errors {result['errors']}")
    print("\n| bad request | expected | got | good request after |\n|---|---|---|---|")
    for row in result["bad_requests"]:
        print(f"| {row['case']} | {row['expected']} | {row['status']} | "
              f"{row['good_request_after']} |")
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as file:
        json.dump(result, file, indent=2)
    ok = result["errors"] == 0 and all(r["status"] == r["expected"]
                                       for r in result["bad_requests"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
