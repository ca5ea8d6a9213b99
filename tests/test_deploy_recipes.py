"""The launch recipes in deploy/ stay runnable: every bert-keras command in them parses with the
CLI's own parser into valid options, and the TF_CONFIG each engine sets for the recipe's shape
(derived below from the engines' documented behaviour) is accepted by `--strategy
multi_worker` and makes exactly one replica the chief."""

from __future__ import annotations

import json
import subprocess
import types
from pathlib import Path
from typing import Any

import pytest
import tensorflow as tf
import yaml

from bert_keras.cli import build_parser
from bert_keras.cli.arguments import options_from
from bert_keras.training import strategy as strategy_module
from bert_keras.training.options import FinetuneOptions, PretrainOptions

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
OPTIONS = {"finetune": FinetuneOptions, "pretrain": PretrainOptions}


def load(name: str) -> Any:
    with open(DEPLOY / name, encoding="utf-8") as file:
        return yaml.safe_load(file)


def tfjob_tf_configs(job: dict) -> list[dict]:
    """The TF_CONFIG of each pod of a TFJob, as the Kubeflow training operator writes it
    (pkg/controller.v1/tensorflow/tensorflow.go, genClusterSpec and genTFConfigJSONStr): the
    cluster has one key per replica type, lower-cased, evaluators left out; replica i of type
    T of job J in namespace N is the headless service `J-t-i.N.svc:PORT` (PORT: the container
    port named "tfjob-port" of the container named "tensorflow", else 2222); each pod's task
    is its own type and index."""
    name, namespace = job["metadata"]["name"], job["metadata"].get("namespace", "default")
    cluster: dict[str, list[str]] = {}
    for replica_type, spec in job["spec"]["tfReplicaSpecs"].items():
        kind = replica_type.lower()
        if kind == "evaluator":
            continue
        container = next(c for c in spec["template"]["spec"]["containers"]
                         if c["name"] == "tensorflow")
        port = next((p["containerPort"] for p in container.get("ports", ())
                     if p.get("name") == "tfjob-port"), 2222)
        cluster[kind] = [f"{name}-{kind}-{index}.{namespace}.svc:{port}"
                         for index in range(spec.get("replicas", 1))]
    return [{"cluster": cluster, "task": {"type": kind, "index": index},
             "environment": "cloud"}
            for kind, members in cluster.items() for index in range(len(members))]


# Vertex AI, "Distributed training": workerPoolSpecs[0] is the primary replica (the chief),
# [1] the workers, [2] parameter servers, [3] evaluators; TF_CONFIG names them chief, worker,
# ps (evaluators are not in the training cluster), while CLUSTER_SPEC keeps workerpool0...3.
VERTEX_TASK_TYPES = ("chief", "worker", "ps")


def vertex_tf_configs(spec: dict) -> list[dict]:
    """The TF_CONFIG of each replica of a Vertex AI custom job, as the service sets it for
    this shape. The host names are the service's own; only the keys and the order matter."""
    cluster = {VERTEX_TASK_TYPES[pool]: [f"workerpool{pool}-{index}:2222"
                                         for index in range(pools["replicaCount"])]
               for pool, pools in enumerate(spec["workerPoolSpecs"][:3])}
    return [{"cluster": cluster, "task": {"type": kind, "index": index},
             "environment": "cloud", "job": {}}
            for kind, members in cluster.items() for index in range(len(members))]


def tpu_script_args(**env: str) -> list[str]:
    """PRETRAIN_ARGS of deploy/tpu/pretrain.sh, sourced (nothing runs) with `env` set."""
    script = DEPLOY / "tpu" / "pretrain.sh"
    done = subprocess.run(["bash", "-c", f'source "{script}"; printf "%s\\n" '
                           '"${PRETRAIN_ARGS[@]}"'], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.splitlines()


def parse(argv: list[str]) -> Any:
    """The options object the CLI would build from `argv` (a SystemExit on a bad flag)."""
    args = build_parser([argv[0]]).parse_args(argv)
    return options_from(OPTIONS[argv[0]], args)


def is_chief_under(tf_config: dict, monkeypatch: pytest.MonkeyPatch) -> bool:
    """What `is_chief` says on the replica with `tf_config`, after `--strategy multi_worker`'s
    own check of it; the strategy stands in without starting a server."""
    monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    strategy_module._check_tf_config()
    strategy = object.__new__(strategy_module._MultiWorkerMirroredStrategy)
    strategy._extended = types.SimpleNamespace(
        _cluster_resolver=tf.distribute.cluster_resolver.TFConfigClusterResolver())
    return strategy_module.is_chief(strategy)


def test_the_tfjob_runs_one_chief_and_two_workers(monkeypatch):
    job = load("kubeflow/tfjob.yaml")
    assert (job["apiVersion"], job["kind"]) == ("kubeflow.org/v1", "TFJob")
    configs = tfjob_tf_configs(job)
    assert configs[0]["cluster"] == {
        "chief": ["bert-pretrain-chief-0.default.svc:2222"],
        "worker": ["bert-pretrain-worker-0.default.svc:2222",
                   "bert-pretrain-worker-1.default.svc:2222"]}
    chiefs = [is_chief_under(config, monkeypatch) for config in configs]
    assert chiefs == [True, False, False]


def test_the_vertex_job_runs_the_chief_in_pool_0(monkeypatch):
    spec = load("vertex/custom_job.yaml")
    pools = spec["workerPoolSpecs"]
    assert pools[0]["replicaCount"] == 1  # Vertex AI requires a single primary replica
    configs = vertex_tf_configs(spec)
    assert list(configs[0]["cluster"]) == ["chief", "worker"]
    chiefs = [is_chief_under(config, monkeypatch) for config in configs]
    assert chiefs == [True] + [False] * pools[1]["replicaCount"]


def commands() -> list[tuple[str, list[str]]]:
    """Every bert-keras command of the recipes, without the program name."""
    job = load("kubeflow/tfjob.yaml")
    found = [(f"tfjob {kind}", container["command"][1:])
             for kind, spec in job["spec"]["tfReplicaSpecs"].items()
             for container in spec["template"]["spec"]["containers"]]
    for pool, spec in enumerate(load("vertex/custom_job.yaml")["workerPoolSpecs"]):
        assert spec["containerSpec"]["command"] == ["bert-keras"]
        found.append((f"vertex pool {pool}", spec["containerSpec"]["args"]))
    return found


@pytest.mark.parametrize("where,argv", commands(), ids=lambda value: str(value)[:20])
def test_every_command_parses_with_the_cli_and_uses_multi_worker(where, argv):
    assert parse(argv).strategy == "multi_worker", where
    for path in (argv[index + 1] for index, word in enumerate(argv)
                 if word in ("--data", "--vocab", "--output-dir", "--train-file", "--dev-file")):
        assert path.startswith("gs://"), (where, path)


def test_every_replica_of_a_job_runs_the_same_command():
    found = commands()
    assert all(argv == found[0][1] for where, argv in found if where.startswith("tfjob"))
    assert all(argv == found[-1][1] for where, argv in found if where.startswith("vertex"))


@pytest.mark.parametrize("hosts,tpu", [("1", "local"), ("4", "bert-v4-32")])
def test_the_tpu_script_names_the_tpu(hosts, tpu):
    argv = tpu_script_args(HOSTS=hosts, TPU_NAME="bert-v4-32", BUCKET="gs://my-bucket")
    options = parse(argv)
    assert (options.strategy, options.tpu, options.precision) == ("tpu", tpu, "mixed_bfloat16")
    assert argv[argv.index("--output-dir") + 1].startswith("gs://my-bucket/")
