"""lossproj: one-child families and parents who lost their only child (shidu) in China."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lossproj")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
