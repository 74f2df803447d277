"""Faults while writing results, one row per case: kills at several points, concurrent runs,
full or read-only disks. A run killed at any moment leaves the earlier result or the new one,
never a mix; the next run into the same directory cleans up; a second run into a directory
another run holds stops at once with one line.

Cases that kill processes or depend on timing are marked ``slow`` (``pytest -m slow``).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossproj import outputs
from lossproj.cli import main
from lossproj.errors import OutputError

TESTS = Path(__file__).resolve().parent

#: A process that writes a synthetic result into OUT and stops (os.kill itself with SIGKILL)
#: at the point named by POINT: "staging" (files half written), "carried" (an earlier
#: result's other files carried over, before the swap), "set_aside" (without an atomic swap:
#: the earlier result renamed aside, the new one not yet in place), "claimed" (holding the
#: claim, before writing: it waits to be killed).
WRITER = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, {tests!r})
    from conftest import make_projection
    from lossproj import outputs

    out, point, force, years = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "staging":
        real = outputs.write_csv
        def write_csv(ds, directory):
            real(ds, directory)
            die()
        outputs.write_csv = write_csv
    elif point == "carried":
        outputs._exchange = die
    elif point == "set_aside":
        outputs._exchange = lambda a, b: False
        real_rename = os.rename
        calls = []
        def rename(a, b):
            calls.append(a)
            real_rename(a, b)
            if len(calls) == 1:
                die()
        outputs.os.rename = rename
    elif point == "claimed":
        claim = outputs.check_out_dir(out, force=force)
        print("claimed", flush=True)
        time.sleep(60)
    ds = make_projection(years=range(years, years + 3), regions=("Beijing",))
    outputs.write_results(ds, out, force=force, excel=False, figures=False)
""").format(tests=str(TESTS))


def writer(tmp_path: Path, out: Path, point: str, *, force: bool = False, years: int = 2030):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen([sys.executable, str(script), str(out), point, "1" if force else "0",
                             str(years)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def first_year(out: Path) -> int:
    return int(outputs.read_results(out)["year"].values[0])


def siblings(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name not in ("writer.py",))


@pytest.fixture
def earlier(tmp_path, make_fake_projection):
    """An earlier result (years 2018..2020) in ``tmp_path/out`` with a file of the user's."""
    out = tmp_path / "out"
    outputs.write_results(make_fake_projection(years=range(2018, 2021), regions=("Beijing",)),
                          out, excel=False, figures=False)
    (out / "notes.txt").write_text("mine")
    return out


# (id, kill point, with an earlier result, --force): after the kill, the directory holds the
# earlier result whole (or nothing when there was none), and the next run cleans up and writes.
KILL_CASES = [
    ("new_dir_while_writing", "staging", False, False),
    ("force_while_writing", "staging", True, True),
    ("force_after_carrying_other_files", "carried", True, True),
    ("force_between_two_renames", "set_aside", True, True),
]


@pytest.mark.slow
@pytest.mark.parametrize("point, with_earlier, force", [c[1:] for c in KILL_CASES],
                         ids=[c[0] for c in KILL_CASES])
def test_kill_9_leaves_one_whole_result(tmp_path, make_fake_projection, point, with_earlier,
                                        force):
    out = tmp_path / "out"
    if with_earlier:
        outputs.write_results(make_fake_projection(years=range(2018, 2021), regions=("Beijing",)),
                              out, excel=False, figures=False)
        (out / "notes.txt").write_text("mine")
    proc = writer(tmp_path, out, point, force=force)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    if point == "set_aside":  # killed between the renames: the earlier result is kept aside
        assert not out.exists() and (tmp_path / ".out.lossproj-old" / "projection.nc").is_file()
    elif with_earlier:
        assert first_year(out) == 2018 and (out / "notes.txt").read_text() == "mine"
    else:
        assert not out.exists()
    # the next run into the same directory restores or keeps the earlier result, removes what
    # the killed run left beside it, and writes its own
    ds = make_fake_projection(years=range(2040, 2043), regions=("Beijing",))
    outputs.write_results(ds, out, force=True, excel=False, figures=False)
    assert first_year(out) == 2040
    if with_earlier:
        assert (out / "notes.txt").read_text() == "mine"
    assert siblings(tmp_path) == ["out"]


@pytest.mark.slow
def test_killed_run_left_aside_result_is_restored_by_the_next_run(tmp_path, make_fake_projection):
    out = tmp_path / "out"
    outputs.write_results(make_fake_projection(years=range(2018, 2021), regions=("Beijing",)),
                          out, excel=False, figures=False)
    proc = writer(tmp_path, out, "set_aside", force=True)
    proc.wait(timeout=120)
    with pytest.raises(OutputError, match="exists and is not empty"):
        outputs.check_out_dir(out)  # restores the earlier result, then refuses to overwrite it
    assert first_year(out) == 2018
    assert siblings(tmp_path) == ["out"]


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_second_run_into_a_held_directory_stops_at_once(tmp_path, force):
    out = tmp_path / "out"
    holder = writer(tmp_path, out, "claimed", force=True)
    assert holder.stdout.readline().strip() == "claimed"
    cfg = TESTS.parent / "configs" / "baseline.toml"
    args = ["run", str(cfg), "--out", str(out)] + (["--force"] if force else [])
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, args)
    assert time.perf_counter() - t0 < 30  # refused before computing
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert re.search(rf"output directory {re.escape(str(out))} is being written by another "
                     rf"lossproj run \(pid {holder.pid}, started .*\); wait for it to finish or "
                     "choose another --out", result.output), result.output
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    # the killed holder's lock is released by the system; its staging folder goes with the
    # next claim
    claim = outputs.check_out_dir(out)
    claim.release()
    assert siblings(tmp_path) == []


@pytest.mark.slow
def test_two_concurrent_command_line_runs_give_one_result_and_one_clear_refusal(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(f'base = "{(TESTS.parent / "configs" / "baseline.toml").as_posix()}"\n'
                   '[run]\nregions = ["Beijing"]\nfirst_year = 2018\nlast_year = 2022\n'
                   "[outputs]\nexcel = false\nfigures = false\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lossproj", "run", str(cfg), "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    refusal = next(err for code, err in results if code == 2)
    assert "Traceback" not in refusal
    assert re.search(r"(is being written by another lossproj run|exists and is not empty)",
                     refusal), refusal
    assert outputs.read_results(out)["scenario"].values.tolist() == ["small"]
    assert siblings(tmp_path) == ["out", "small.toml"]


# (id, function to break, errno, message pattern): operating-system errors while writing are
# one line naming the cause and the file; nothing is left behind.
OS_ERROR_CASES = [
    ("disk_full_netcdf", "write_netcdf", errno.ENOSPC, r"no space left on device while writing {out}/projection\.nc"),
    ("disk_full_csv", "write_csv", errno.ENOSPC, r"no space left on device while writing {out}/projection\.csv"),
    ("read_only_fs_netcdf", "write_netcdf", errno.EROFS, r"read-only file system while writing {out}/projection\.nc"),
    ("quota_csv", "write_csv", errno.EDQUOT, r"disk quota exceeded while writing {out}/projection\.csv"),
]


@pytest.mark.parametrize("function, code, pattern", [c[1:] for c in OS_ERROR_CASES],
                         ids=[c[0] for c in OS_ERROR_CASES])
def test_os_error_while_writing_is_one_line(tmp_path, fake_api, monkeypatch, function, code,
                                            pattern):
    def fail(ds, path, *args, **kwargs):
        target = path / "projection.csv" if function == "write_csv" else path
        raise OSError(code, os.strerror(code), str(target))

    monkeypatch.setattr(outputs, function, fail)
    cfg = TESTS.parent / "configs" / "baseline.toml"
    result = CliRunner().invoke(main, ["run", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    pattern = pattern.replace("{out}", re.escape(str(tmp_path / "out")))
    assert re.search(pattern, result.output), result.output
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_is_one_line_before_computing(tmp_path, fake_api, monkeypatch):
    real_open = os.open

    def read_only(path, *args, **kwargs):
        if str(path).endswith(outputs.LOCK_SUFFIX):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", read_only)
    cfg = TESTS.parent / "configs" / "baseline.toml"
    result = CliRunner().invoke(main, ["run", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert re.search(r"read-only file system while claiming the output directory beside "
                     rf"{re.escape(str(tmp_path))}/out", result.output), result.output
    assert fake_api.calls == []
