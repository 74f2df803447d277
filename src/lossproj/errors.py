"""Exceptions and warnings raised by lossproj.

Every error lossproj raises on purpose is a :class:`LossprojError`: the command line prints
its message as one paragraph, without a traceback, and exits with status 2. Anything else is
a bug in lossproj and keeps its traceback (docs/configuration.md, "Errors").

``LossprojError``
    ``ConfigError`` (``ValueError``): a scenario file or a command-line option.
    ``DataError`` (``ValueError``): a data table, a rate bundle or a result file.
    ``ModelError`` (``ValueError``): the inputs are valid one by one but the model cannot turn
    them into a trustworthy result (fertility not met, non-finite counts, too few simulated
    women).
    ``OutputError`` (``OSError``): the output directory is taken, not writable or not valid.
"""


class LossprojError(Exception):
    """Base class of every error lossproj raises on purpose."""


class DataError(LossprojError, ValueError):
    """A packaged or user-supplied data table, rate bundle or result file is malformed.

    The message names the file, the row and column, and what was expected.
    """


class ConfigError(LossprojError, ValueError):
    """A scenario configuration or option is invalid; the message lists every problem found."""


class ModelError(LossprojError, ValueError):
    """Valid inputs that the model cannot turn into a trustworthy result; the message says why
    and what to change."""


class OutputError(LossprojError, OSError):
    """The output directory cannot be used (taken by another run, not writable, not valid)."""


class LossprojWarning(UserWarning):
    """Base class of lossproj's own warnings (the test suite turns these into errors)."""


class CompilationCacheWarning(LossprojWarning):
    """Compiled kernels cannot be cached on disk: they are compiled again in every process."""
