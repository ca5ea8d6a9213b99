"""Packaging for bert-keras: `pip install -e ".[test]"`."""

from setuptools import find_packages, setup

setup(
    name="bert-keras",
    version="0.1.0",
    description="BERT for Keras 3 / TensorFlow: pretrain, fine-tune, export for TF Serving.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["bert_keras*", "training*", "export*"]),
    package_data={"bert_keras": ["samples/*"]},
    install_requires=[
        "tensorflow==2.21.0",
        "tensorflow-text==2.21.1",
        "keras==3.15.1",
        "numpy>=1.26,<3",
        "ml-dtypes>=0.5",
        "safetensors==0.8.0",
        "scipy==1.17.1",
        "seqeval==1.2.2",
        "tensorboard==2.21.0",
        # TF Serving's request/response protos and gRPC stubs (warmup file, client, local server).
        "tensorflow-serving-api==2.21.0",
        "grpcio==1.85.1",
        "tqdm==4.70.1",
    ],
    extras_require={
        # Parity tests compare against Hugging Face transformers on the CPU build of torch.
        "test": [
            "pytest==9.0.3",
            "pytest-xdist==3.8.0",  # two workers: most test time is single-threaded tracing
            "torch==2.13.0",
            "transformers==5.23.0",
            # CI executes the notebooks in smoke mode; they plot with matplotlib.
            "nbclient==0.11.0",
            "nbformat==5.11.1",
            "ipykernel==7.4.0",
            "matplotlib==3.11.2",
            "scikit-learn==1.9.1",
        ],
        # benchmarks/ compares against KerasHub (and HF transformers from the test extra).
        "bench": [
            "keras-hub==0.32.0",
            "sentencepiece==0.2.3",
        ],
    },
    entry_points={"console_scripts": ["bert-keras=bert_keras.cli:main"]},
)
