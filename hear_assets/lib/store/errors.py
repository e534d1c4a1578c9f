"""The error types every layer raises (each names the file or thing at fault and the fix)."""

from hear_models.api import HearError


class TaskDataError(HearError):
    """A task's files or metadata are missing, malformed or inconsistent."""


class UnknownTaskError(HearError):
    """A task name that is neither built in nor registered."""


__all__ = ["HearError", "TaskDataError", "UnknownTaskError"]
