"""`lantern check` survives any tree (issue 11 cases 07-10): only regular files are read,
sizes are checked before reading, symlink loops and unreadable files are skipped with a
reason, said in the summary and in SARIF, and a run that could not check a file that
it should have does not exit 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from tests.cli.test_check import HERE, lantern_check

FINDING = "def g(x):\n    return eval(x)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ok.py").write_text(FINDING)
    return tmp_path


def _check(tree: Path, *args: str):
    return lantern_check(*args, cwd=tree)


def test_a_symlink_loop_is_skipped_with_a_reason(tree: Path):
    (tree / "a.py").symlink_to(tree / "b.py")
    (tree / "b.py").symlink_to(tree / "a.py")
    result = _check(tree, ".")
    assert "ok.py:2:12: warning LS101" in result.stdout
    assert "skipped a.py: unreadable (Too many levels of symbolic links)" in result.stderr
    assert "2 files not checked (2 unreadable)" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 1  # ok.py's error; no file behind a loop to fail the run
    named = _check(tree, "a.py")
    assert "skipped a.py: unreadable" in named.stderr and named.returncode == 2


def test_a_named_pipe_is_not_opened(tree: Path):
    os.mkfifo(tree / "pipe.py")
    result = _check(tree, ".")  # opening it would block forever (the helper times out)
    assert "ok.py:2:12" in result.stdout
    assert "1 file not checked (1 not a regular file)" in result.stderr
    assert result.returncode == 1
    named = _check(tree, "pipe.py")
    assert "skipped pipe.py: not a regular file (a named pipe)" in named.stderr
    assert named.returncode == 2


def test_a_device_is_not_read(tree: Path):
    (tree / "zero.py").symlink_to("/dev/zero")
    result = _check(tree, ".")
    assert "ok.py:2:12" in result.stdout
    assert "not a regular file" in result.stderr
    assert result.returncode == 1


def test_an_oversized_file_is_skipped_before_it_is_read(tree: Path):
    (tree / "pyproject.toml").write_text("[tool.lantern.diagnostics]\nmax_file_size = 100\n")
    (tree / "big.py").write_text("x = 1\n" * 1000)
    result = _check(tree, "big.py")
    assert "skipped big.py: 6,000 bytes exceeds diagnostics.max_file_size" in result.stderr
    assert result.returncode == 2


def test_files_that_could_not_be_checked_are_in_the_summary_and_sarif(tree: Path):
    (tree / "ok.py").unlink()
    (tree / "dangling.py").symlink_to(tree / "gone.py")
    (tree / "utf16.py").write_bytes("eval(x)\n".encode("utf-16"))
    result = _check(tree, ".", "--format", "sarif")
    assert "All clear" not in result.stderr
    assert "2 files not checked" in result.stderr
    assert result.returncode == 0  # a dangling link has no file behind it; UTF-16 is a skip
    log = json.loads(result.stdout)
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: (n["level"], n["message"])
        for n in invocation["toolExecutionNotifications"]
    }
    assert notes["dangling.py"][0] == "warning"
    assert "unreadable" in notes["dangling.py"][1]["text"]
    assert notes["utf16.py"][0] == "note"
    named = _check(tree, "utf16.py")
    assert "skipped utf16.py" in named.stderr and named.returncode == 2


def _without_read_override() -> list[str]:
    """A command prefix under which mode 000 is enforced, also for root (case 10)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores file modes, and setpriv is not installed to drop that")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


def test_a_file_that_cannot_be_read_fails_a_folder_walk(tree: Path):
    secret = tree / "unreadable.py"
    secret.write_text(FINDING)
    secret.chmod(0)
    result = subprocess.run(
        [*_without_read_override(), sys.executable, "-m", "lantern", "check", "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(tree / "no-config")},
    )
    assert "skipped unreadable.py: unreadable (Permission denied)" in result.stderr
    assert "1 file not checked (1 unreadable)" in result.stderr
    assert result.returncode == 2  # ok.py's error is there too, but the run is not whole
