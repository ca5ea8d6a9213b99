#!/usr/bin/env bash
# Pretrain BERT-base on a Cloud TPU VM (one host, e.g. v4-8, v5litepod-8) or a pod slice (several
# hosts, e.g. v4-32, v5litepod-64) with bert-keras. See docs/scaling.md.
#
#   TPU_NAME=bert-v4-32 ZONE=us-central2-b ACCELERATOR_TYPE=v4-32 BUCKET=gs://my-bucket \
#       deploy/tpu/pretrain.sh create install train
#   ... deploy/tpu/pretrain.sh delete
#
# Steps (any of them, in the order given):
#   create   gcloud compute tpus tpu-vm create: the TPU VM(s), with a TensorFlow runtime
#   install  pip install bert-keras on every host of the slice (--worker=all)
#   train    one host: `--tpu local` (its own chips); a pod slice: worker 0 runs the program
#            and reaches every host's chips through `--tpu $TPU_NAME` (TensorFlow on TPU pods
#            is one client driving the whole slice; the other hosts run the TPU runtime's
#            servers, and the input pipeline runs on each host's CPU)
#   delete   gcloud compute tpus tpu-vm delete
#
# RUNTIME_VERSION: TensorFlow runtimes are named tpu-vm-tf-X.Y.Z[-pod][-pjrt] (-pod for a
# slice of several hosts); pick the one whose TensorFlow is the version bert-keras needs
# (`gcloud compute tpus tpu-vm versions list --zone=$ZONE` lists them). `install` keeps that
# TensorFlow (pip fails clearly if bert-keras needs another one).
#
# Data and output are gs:// paths (TensorFlow's file system, so no disk is mounted); the TPU
# VMs' service account needs to read BUCKET/bert and write the run directory. Pretraining
# records from `bert-keras create-pretraining-data` (--data) are best on a pod slice: masking
# raw text (--text) needs tensorflow-text's ops on every host.
set -euo pipefail

TPU_NAME=${TPU_NAME:-bert-tpu}
ZONE=${ZONE:-us-central2-b}
ACCELERATOR_TYPE=${ACCELERATOR_TYPE:-v4-8}
RUNTIME_VERSION=${RUNTIME_VERSION:-}  # required by create, see above
BUCKET=${BUCKET:-gs://BUCKET}
HOSTS=${HOSTS:-1}  # hosts in the slice: 1 for v4-8 or v5litepod-8, 4 for v4-32, 16 for v5litepod-64
# What `install` passes to pip: a published name, a wheel in a bucket copied first, or
# "bert-keras @ git+<this repository's URL>".
BERT_KERAS_SPEC=${BERT_KERAS_SPEC:-bert-keras}

if [[ "$HOSTS" == 1 ]]; then
    TPU=local  # this VM's own chips
    CLIENT_ENV=""
else
    TPU=$TPU_NAME  # the slice, looked up by name with the Cloud TPU API
    CLIENT_ENV="TPU_LOAD_LIBRARY=0"  # the client leaves worker 0's chips to the TPU runtime
fi

# The command each recipe runs (tests/test_deploy_recipes.py parses it with bert-keras' own
# parser). Google's recipe at sequence length 512: 1M steps of 256 sequences; on a TPU the
# global batch is --batch-size x the number of cores (replicas), e.g. 32 x 16 = 512 on a v4-32
# (docs/scaling.md has the steps and LAMB learning rate for that batch).
PRETRAIN_ARGS=(
    pretrain
    --data "$BUCKET/bert/pretraining-data"
    --init random:base
    --vocab "$BUCKET/bert/vocab.txt"
    --output-dir "$BUCKET/bert/runs/pretrain-base-tpu"
    --strategy tpu
    --tpu "$TPU"
    --precision mixed_bfloat16
    --batch-size 32
    --num-train-steps 500000
    --steps-per-epoch 1000
    --save-every 1000
)

create() {
    if [[ -z "$RUNTIME_VERSION" ]]; then
        echo "$0: set RUNTIME_VERSION (tpu-vm-tf-X.Y.Z[-pod]-pjrt, see the top of $0)" >&2
        return 2
    fi
    gcloud compute tpus tpu-vm create "$TPU_NAME" --zone="$ZONE" \
        --accelerator-type="$ACCELERATOR_TYPE" --version="$RUNTIME_VERSION"
}

install() {
    # Keep the runtime's TensorFlow: bert-keras is installed next to it, not over it.
    gcloud compute tpus tpu-vm ssh "$TPU_NAME" --zone="$ZONE" --worker=all --command="
        TF=\$(python3 -c 'import tensorflow as tf; print(tf.__version__)') &&
        python3 -m pip install '$BERT_KERAS_SPEC' \"tensorflow==\$TF\""
}

train() {
    # One host runs the program (on a pod slice worker 0, the client of the whole slice).
    gcloud compute tpus tpu-vm ssh "$TPU_NAME" --zone="$ZONE" --worker=0 \
        --command="$CLIENT_ENV python3 -m bert_keras ${PRETRAIN_ARGS[*]}"
}

delete() {
    gcloud compute tpus tpu-vm delete "$TPU_NAME" --zone="$ZONE" --quiet
}

main() {
    if [[ $# == 0 ]]; then
        echo "usage: $0 create|install|train|delete ..." >&2
        return 2
    fi
    for step in "$@"; do
        case "$step" in
            create | install | train | delete) "$step" ;;
            *) echo "$0: unknown step $step (create, install, train or delete)" >&2; return 2 ;;
        esac
    done
}

# Sourced (as the test does), only the settings above are defined.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
