"""Fit-time code: strategies, optimizers, callbacks, task recipes (see ../shared/DESIGN.md)."""
