"""`lantern check` survives any tree (issue 11 cases 07-10): only regular files are read,
sizes are checked before reading, symlink loops and unreadable files are skipped with a
reason, said in the summary and in SARIF, and a run that could not check a file that
it should have does not exit 0."""

from __future__ import annotations

import json
import os
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
    assert "ok.py:2:12: error LS101" in result.stdout
    assert "skipped a.py: unreadable (Too many levels of symbolic links)" in result.stderr
    assert "2 file(s) not checked (2 unreadable)" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    named = _check(tree, "a.py")
    assert "skipped a.py: unreadable" in named.stderr and named.returncode == 2


def test_a_named_pipe_is_not_opened(tree: Path):
    os.mkfifo(tree / "pipe.py")
    result = _check(tree, ".")  # opening it would block forever (the helper times out)
    assert "ok.py:2:12" in result.stdout
    assert "1 file(s) not checked (1 not a regular file)" in result.stderr
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
    assert "2 file(s) not checked" in result.stderr
    assert result.returncode == 2  # dangling.py could not be read
    log = json.loads(result.stdout)
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: (n["level"], n["message"])
        for n in invocation["toolExecutionNotifications"]
    }
    assert notes["dangling.py"][0] == "error"
    assert "unreadable" in notes["dangling.py"][1]["text"]
    assert notes["utf16.py"][0] == "note"
    named = _check(tree, "utf16.py")
    assert "skipped utf16.py" in named.stderr and named.returncode == 2
