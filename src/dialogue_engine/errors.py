"""Errors that end in one clear line for the user (file, field or cause), never a traceback."""


class QDError(Exception):
    """Base class for user-facing errors; ``str(err)`` is the one-line message."""


class ConfigError(QDError):
    """A setting is missing or invalid."""
