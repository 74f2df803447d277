"""Compiled kernels are cached on disk by default, with one switch, and stay fresh.

The subprocess tests run a copy of the package whose kernel folder cannot hold a cache (its
``__pycache__`` is a file, as in a read-only install) and compile one small kernel,
``rng.uniform``, in a new process each time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lossproj.engines import jit, micro_kernels, rng
from lossproj.errors import CompilationCacheWarning

PACKAGE = Path(jit.__file__).resolve().parents[1]

PROBE = """
import json, numpy as np, warnings
warnings.simplefilter("always")
from lossproj.engines import rng
value = rng.uniform(np.uint64(5), 1990, 3, 1)
stats = rng.uniform.stats
print(json.dumps({"file": rng.__file__, "value": value, "cache": type(rng.uniform._cache).__name__,
                  "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("1", True), ("", True), ("on", True),
                                                ("0", False), ("false", False), (" OFF ", False)])
def test_switch_values(value, enabled):
    environ = {} if value is None else {jit.CACHE_ENV: value}
    assert jit.cache_enabled(environ) is enabled


def test_switch_rejects_other_values():
    with pytest.raises(ValueError, match=r"LOSSPROJ_NUMBA_CACHE='maybe': use 1 .* or 0"):
        jit.cache_enabled({jit.CACHE_ENV: "maybe"})


def _kernels():
    """Every Numba dispatcher defined in a lossproj module."""
    import importlib
    import pkgutil

    import numba.core.registry

    import lossproj

    found = {}
    for info in pkgutil.walk_packages(lossproj.__path__, "lossproj."):
        if info.name.endswith("__main__"):
            continue  # runs the command line
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (isinstance(obj, numba.core.registry.CPUDispatcher)
                    and obj.py_func.__module__ == module.__name__):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_kernel_is_compiled_through_the_cached_njit():
    kernels = _kernels()
    assert {"lossproj.engines.rng.uniform", "lossproj.engines.micro_kernels.run_blocks",
            "lossproj.engines.expected_kernels.cohort_process"} <= set(kernels)
    for name, kernel in kernels.items():
        assert type(kernel._cache).__name__ == "FunctionCache", f"{name} is not cached"
        stamp = kernel._cache._cache_file._source_stamp
        assert isinstance(stamp, tuple) and len(stamp) == 2, f"{name}: use lossproj.engines.jit.njit"


def test_dependencies_of_the_micro_kernels_are_followed():
    names = {p.relative_to(PACKAGE).as_posix() for p in jit.dependency_files(micro_kernels.__file__)}
    assert {"engines/micro_kernels.py", "engines/rng.py", "conventions.py"} <= names
    assert "engines/micro.py" not in names


@pytest.fixture(scope="module")
def read_only_copy(tmp_path_factory) -> Path:
    """A copy of the package whose ``engines/__pycache__`` cannot be created."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(PACKAGE, site / "lossproj", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "lossproj" / "engines" / "__pycache__").write_text("not a folder")
    return site


def _probe(site: Path, **env: str) -> tuple[dict, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", jit.CACHE_ENV)}
    environ.update(PYTHONPATH=str(site), **env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True,
                          text=True, check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_read_only_install_caches_into_numba_cache_dir_and_stays_fresh(read_only_copy, tmp_path):
    cache_dir = tmp_path / "cache"
    first, _ = _probe(read_only_copy, NUMBA_CACHE_DIR=str(cache_dir))
    assert first["file"].startswith(str(read_only_copy))
    assert (first["hits"], first["misses"]) == (0, 1)
    assert any(cache_dir.rglob("rng.uniform-*.nbi"))
    second, _ = _probe(read_only_copy, NUMBA_CACHE_DIR=str(cache_dir))
    assert (second["hits"], second["misses"]) == (1, 0)
    assert second["value"] == first["value"]
    # a change in a module that rng.py imports (not in rng.py itself) recompiles the kernel
    with open(read_only_copy / "lossproj" / "errors.py", "a", encoding="utf-8") as fh:
        fh.write("\n# changed\n")
    third, _ = _probe(read_only_copy, NUMBA_CACHE_DIR=str(cache_dir))
    assert (third["hits"], third["misses"]) == (0, 1)


def test_no_writable_cache_warns_and_still_runs(read_only_copy, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the user cache folder would be")
    out, err = _probe(read_only_copy, XDG_CACHE_HOME=str(blocked / "cache"), HOME=str(blocked))
    assert out["cache"] == "NullCache"
    assert out["value"] == pytest.approx(float(rng.uniform(np.uint64(5), 1990, 3, 1)), abs=0)
    assert CompilationCacheWarning.__name__ in err and "NUMBA_CACHE_DIR" in err


def test_switch_off_writes_nothing(read_only_copy, tmp_path):
    cache_dir = tmp_path / "cache"
    out, _ = _probe(read_only_copy, NUMBA_CACHE_DIR=str(cache_dir), **{jit.CACHE_ENV: "0"})
    assert out["cache"] == "NullCache"
    assert not cache_dir.exists() or not any(cache_dir.rglob("*.nbi"))


def test_dask_worker_processes_load_the_cache():
    distributed = pytest.importorskip("dask.distributed")
    rng.uniform(np.uint64(5), 1990, 3, 1)  # compiled (or loaded) here, so the cache exists

    def probe():
        from lossproj.engines import rng as worker_rng

        worker_rng.uniform(np.uint64(5), 1990, 3, 1)
        return sum(worker_rng.uniform.stats.cache_hits.values())

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert client.submit(probe).result() == 1
