"""Fine-tuning recipes by task name.

Example:
    >>> get_recipe("mrpc").name
    'mrpc'
"""

from __future__ import annotations

from bert_keras.training.tasks.base import Recipe, TaskData
from bert_keras.training.tasks.classification import ClassificationRecipe
from bert_keras.training.tasks.qa import QARecipe
from bert_keras.training.tasks.tagging import TaggingRecipe

TEXT_TASKS = ("sst2", "mrpc", "rte", "stsb", "csv")
TASKS = TEXT_TASKS + (TaggingRecipe.name, QARecipe.name)


def get_recipe(task: str, options: dict | None = None) -> Recipe:
    """The recipe for `task` (one of `TASKS`); `options` are the task's read options."""
    options = options or {}
    if task in TEXT_TASKS:
        return ClassificationRecipe(task, regression=bool(options.get("regression")))
    if task == TaggingRecipe.name:
        return TaggingRecipe()
    if task == QARecipe.name:
        return QARecipe.from_options(options)
    raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")


__all__ = ["Recipe", "TASKS", "TaskData", "get_recipe"]
