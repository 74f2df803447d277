"""Numba compilation of every lossproj kernel: cached on disk by default, one switch to turn it off.

Every kernel is decorated with :func:`njit` instead of ``numba.njit``. Compiled machine code is
then cached on disk (``cache=True``), so that a user pays for compilation once per install and
kernel version, not on every run — also in Dask worker processes, which load the same cache.

The one switch is the environment variable :data:`CACHE_ENV` (``LOSSPROJ_NUMBA_CACHE=0``
compiles in every process and writes nothing to disk). It is read when the kernel modules are
imported; Dask worker processes inherit it from the environment they are started in (on a
``dask.distributed`` cluster, set it where the workers start).

Where the cache goes is Numba's rule: ``NUMBA_CACHE_DIR`` when set, else the ``__pycache__``
folder next to the kernel's source file, else the user-wide cache folder (e.g.
``~/.cache/numba``). A read-only install therefore caches into ``NUMBA_CACHE_DIR``. When no
writable location exists, the kernels are compiled without a cache and a
:class:`~lossproj.errors.CompilationCacheWarning` says so.

Numba checks only the source file of the cached function itself, so a kernel would keep old
code inlined from a function or constant it imports from another file. :func:`njit` adds to
the freshness stamp of each cached kernel the contents of the lossproj modules its module
imports (transitively), so that a change in, e.g., ``rng.py`` recompiles the kernels that use it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numba

from lossproj.errors import CompilationCacheWarning

#: Environment variable switching the on-disk cache of compiled kernels: ``0`` (or ``false``,
#: ``no``, ``off``) turns it off; ``1`` (or ``true``, ``yes``, ``on``, unset) leaves it on.
CACHE_ENV = "LOSSPROJ_NUMBA_CACHE"
_ON = ("1", "true", "yes", "on", "")
_OFF = ("0", "false", "no", "off")

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def cache_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether compiled kernels are cached on disk, from :data:`CACHE_ENV`.

    Raises
    ------
    ValueError
        If the variable holds something else than the values listed in :data:`CACHE_ENV`.
    """
    value = (os.environ if environ is None else environ).get(CACHE_ENV, "1").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(
        f"{CACHE_ENV}={value!r}: use 1 (cache compiled kernels on disk, the default) or 0 "
        "(compile them in every process)"
    )


def njit(*args, **options) -> Callable:
    """``numba.njit`` with ``cache`` set by :func:`cache_enabled` (unless given).

    Used as ``@njit`` or ``@njit(parallel=True, ...)``; every other option goes to Numba
    unchanged.
    """
    if args and callable(args[0]) and len(args) == 1 and not options:
        return _compile(args[0], {})
    if args:
        raise TypeError("njit takes the function or keyword options only")
    return functools.partial(_compile, options=options)


def _compile(func: Callable, options: dict) -> Callable:
    options = dict(options)
    cache = options.pop("cache", None)
    if cache is None:
        cache = cache_enabled()
    if not cache:
        return numba.njit(**options)(func)
    try:
        dispatcher = numba.njit(cache=True, **options)(func)
    except RuntimeError as err:  # Numba found no writable cache location
        warnings.warn(
            f"{err}; lossproj kernels are compiled without a disk cache in this process. Set "
            f"NUMBA_CACHE_DIR to a writable folder (or {CACHE_ENV}=0 to silence this)",
            CompilationCacheWarning,
            stacklevel=3,
        )
        return numba.njit(**options)(func)
    _stamp_dependencies(dispatcher, inspect.getfile(func))
    return dispatcher


def _stamp_dependencies(dispatcher, source_file: str) -> None:
    """Make the cache of ``dispatcher`` stale when a lossproj module its module imports changes."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None or not hasattr(cache_file, "_source_stamp"):
        return  # a Numba without this cache layout: its own per-file check applies
    cache_file._source_stamp = (cache_file._source_stamp, dependency_digest(source_file))


@functools.cache
def dependency_digest(source_file: str) -> str:
    """SHA-256 of the lossproj source files that ``source_file`` imports, transitively."""
    digest = hashlib.sha256()
    for path in dependency_files(source_file):
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def dependency_files(source_file: str) -> tuple[Path, ...]:
    """``source_file`` and the lossproj modules it imports, transitively, sorted.

    Read from the ``import`` statements of the source (nothing is imported).
    """
    seen: set[Path] = set()
    todo = [Path(source_file).resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo.extend(_imported_files(path))
    return tuple(sorted(seen))


def _imported_files(path: Path) -> list[Path]:
    """The lossproj module files named by the import statements of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    files = []
    for name in names:
        parts = name.split(".")
        if parts[0] != "lossproj":
            continue
        base = _PACKAGE_DIR.joinpath(*parts[1:])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                files.append(candidate.resolve())
    return files
