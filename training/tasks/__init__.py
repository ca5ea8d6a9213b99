"""Fine-tuning recipes by task name, and the registry a new task joins.

A task is one recipe module (see `base.Recipe`) and one `register_recipe` call: the command
line offers every registered name and builds flags from the task's options dataclass (if it has
one), the run directory records the recipe's `kind` and its options, and export serves by that
kind, so neither needs to know the task.

Example:
    >>> get_recipe("mrpc").name
    'mrpc'
    >>> "squad" in task_names()
    True
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from bert_keras.options import flag, from_values
from bert_keras.training.tasks.base import Recipe, TaskData
from bert_keras.training.tasks.classification import ClassificationRecipe, TableOptions
from bert_keras.training.tasks.qa import QAOptions, QARecipe
from bert_keras.training.tasks.tagging import TaggingRecipe

# Task name -> (a function from the task's options, with defaults filled in, to its recipe;
# the options dataclass, or None for a task without options).
RecipeFactory = Callable[[dict[str, Any]], Recipe]
_RECIPES: dict[str, tuple[RecipeFactory, type | None]] = {}


def register_recipe(name: str, factory: RecipeFactory, options: type | None = None) -> None:
    """Makes `name` a task of `bert-keras finetune` (and of `evaluate`, `predict`, `export`);
    `options` is the dataclass of the task's options (fields made with
    `bert_keras.options.option`), from which the command line builds its flags.

    Example:
        >>> register_recipe("sst2_copy", lambda options: ClassificationRecipe("sst2"))
        ... # doctest: +SKIP
    """
    if name in _RECIPES:
        raise ValueError(f"task {name!r} is registered already")
    _RECIPES[name] = (factory, options)


def task_names() -> tuple[str, ...]:
    """The registered task names, in registration order."""
    return tuple(_RECIPES)


def task_options(task: str) -> type | None:
    """The options dataclass of `task`, or None if it takes no options."""
    return _RECIPES[task][1]


def resolve_options(task: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """`options` checked against the task's options dataclass, with its defaults filled in:
    what the run directory records. A name the task does not take, or a value out of range,
    is a ValueError naming it.

    Example:
        >>> resolve_options("squad", {"doc_stride": 64})["max_answer_length"]
        30
        >>> resolve_options("sst2", {"doc_stride": 64})
        Traceback (most recent call last):
        ValueError: --task sst2 takes no options, got doc_stride (--doc-stride)
    """
    if task not in _RECIPES:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(_RECIPES)}")
    options_class, options = task_options(task), dict(options or {})
    if options_class is None:
        if options:
            raise ValueError(f"--task {task} takes no options, got " + ", ".join(
                f"{name} ({flag(name)})" for name in options))
        return {}
    return dataclasses.asdict(from_values(options_class, options, f"--task {task}"))


def get_recipe(task: str, options: dict[str, Any] | None = None) -> Recipe:
    """The recipe for `task` (one of `task_names()`) with its options (see
    `resolve_options`)."""
    return _RECIPES[task][0](resolve_options(task, options))


for _glue in ("sst2", "mrpc", "rte", "stsb"):
    register_recipe(_glue, lambda options, task=_glue: ClassificationRecipe(task))
register_recipe("csv", lambda options: ClassificationRecipe(
    "csv", regression=options["regression"]), TableOptions)
register_recipe(TaggingRecipe.name, lambda options: TaggingRecipe())
register_recipe(QARecipe.name, QARecipe.from_options, QAOptions)

__all__ = ["Recipe", "RecipeFactory", "TaskData", "get_recipe", "register_recipe",
           "resolve_options", "task_names", "task_options"]
