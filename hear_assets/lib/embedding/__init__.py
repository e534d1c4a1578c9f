"""Embedding a task with a model, and training learned models' weights."""
