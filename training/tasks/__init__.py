"""Fine-tuning recipes by task name, and the registry a new task joins.

A task is one recipe module (see `base.Recipe`) and one `register_recipe` call: the command
line offers every registered name, the run directory records the recipe's `kind`, and export
serves by that kind, so neither needs to know the task.

Example:
    >>> get_recipe("mrpc").name
    'mrpc'
    >>> "squad" in task_names()
    True
"""

from __future__ import annotations

from typing import Any, Callable

from bert_keras.training.tasks.base import Recipe, TaskData
from bert_keras.training.tasks.classification import ClassificationRecipe
from bert_keras.training.tasks.qa import QARecipe
from bert_keras.training.tasks.tagging import TaggingRecipe

# Task name -> a function from the task's options (as task.json records them) to its recipe.
RecipeFactory = Callable[[dict[str, Any]], Recipe]
_RECIPES: dict[str, RecipeFactory] = {}


def register_recipe(name: str, factory: RecipeFactory) -> None:
    """Makes `name` a task of `bert-keras finetune` (and of `evaluate`, `predict`, `export`).

    Example:
        >>> register_recipe("sst2_copy", lambda options: ClassificationRecipe("sst2"))
        ... # doctest: +SKIP
    """
    if name in _RECIPES:
        raise ValueError(f"task {name!r} is registered already")
    _RECIPES[name] = factory


def task_names() -> tuple[str, ...]:
    """The registered task names, in registration order."""
    return tuple(_RECIPES)


def get_recipe(task: str, options: dict[str, Any] | None = None) -> Recipe:
    """The recipe for `task` (one of `task_names()`); `options` are the task's options."""
    if task not in _RECIPES:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(_RECIPES)}")
    return _RECIPES[task](dict(options or {}))


for _glue_or_table in ("sst2", "mrpc", "rte", "stsb", "csv"):
    register_recipe(_glue_or_table, lambda options, task=_glue_or_table: ClassificationRecipe(
        task, regression=bool(options.get("regression"))))
register_recipe(TaggingRecipe.name, lambda options: TaggingRecipe())
register_recipe(QARecipe.name, QARecipe.from_options)

__all__ = ["Recipe", "RecipeFactory", "TaskData", "get_recipe", "register_recipe",
           "task_names"]
