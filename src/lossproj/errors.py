"""Exceptions and warnings raised by lossproj."""


class LossprojError(Exception):
    """Base class of every error lossproj raises on purpose."""


class DataError(LossprojError):
    """A packaged or user-supplied data table is malformed.

    The message names the file, the row and column, and what was expected.
    """


class ConfigError(LossprojError):
    """A scenario configuration is invalid; the message lists every problem found."""


class LossprojWarning(UserWarning):
    """Base class of lossproj's own warnings (the test suite turns these into errors)."""
