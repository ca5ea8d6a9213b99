"""Every docstring example in the packages runs, so the examples cannot rot."""

import doctest
import importlib
import pkgutil

import pytest

import bert_keras
import bert_keras.export
import bert_keras.training

PACKAGES = (bert_keras, bert_keras.training, bert_keras.export)
MODULES = sorted(set(
    [package.__name__ for package in PACKAGES]
    + [info.name for package in PACKAGES
       for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
       if not info.name.endswith("__main__")]))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
