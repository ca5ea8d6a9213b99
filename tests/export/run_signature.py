"""Runs signatures of SavedModels in a process that imports only tensorflow and tf-text.

    python run_signature.py JOBS_JSON

JOBS_JSON holds a list of `{"saved_model", "signature", "inputs", "output"}`; `inputs` maps
input names to lists of strings, and the outputs are saved by name to the `.npz` file
`output`, together with `_repo_modules`: the modules of this repository the process imported
(there must be none).
"""

import json
import sys

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tf-text ops the graph uses)

with open(sys.argv[1], encoding="utf-8") as file:
    jobs = json.load(file)
for job in jobs:
    function = tf.saved_model.load(job["saved_model"]).signatures[job["signature"]]
    inputs = {name: tf.constant(values) for name, values in job["inputs"].items()}
    outputs = {name: value.numpy() for name, value in function(**inputs).items()}
    repo = sorted(name for name in sys.modules if name.split(".")[0] == "bert_keras")
    np.savez(job["output"], _repo_modules=np.array(repo, dtype=str), **outputs)
