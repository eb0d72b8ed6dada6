"""Shared set-up for the real-editor tests.

Each editor runs the config users copy from docs/editors/, whose command is `lantern serve`.
A `lantern` launcher on PATH makes that command run this checkout's server with the current
interpreter (`sys.executable -m lantern`), in a private HOME with no user configuration, no
AI provider variables and a private cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EDITORS_DOCS = REPO / "docs" / "editors"

# How long an editor waits for one file's diagnostics, and for the whole run.
WAIT_MS = 15_000
RUN_TIMEOUT_S = 120

# Python files with a known finding, and the 0-based LSP line each finding is on.
SYNTAX_ERROR = ("syntax_error.py", "def f(:\n    pass\n", 0)
NONE_COMPARISON = (
    "none_comparison.py",
    "def f(x):\n    if x == None:\n        return 1\n    return 2\n",
    1,
)


@dataclass(frozen=True)
class Sample:
    path: Path
    line: int  # 0-based LSP line of the expected finding


@dataclass(frozen=True)
class EditorRun:
    """A prepared workspace and environment for one editor session."""

    env: dict[str, str]
    samples: dict[str, Sample]
    tmp: Path


def require_editor(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"{name} is not installed (apt-get install -y neovim emacs-nox elpa-eglot, "
            "or run .ci/install-editors.sh)"
        )
    return path


def prepare_run(tmp: Path) -> EditorRun:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "lantern"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lantern "$@"\n')
    launcher.chmod(0o755)

    workspace = tmp / "project"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text('[project]\nname = "sample"\n')
    samples = {}
    for name, text, line in (SYNTAX_ERROR, NONE_COMPARISON):
        (workspace / name).write_text(text)
        samples[name] = Sample(workspace / name, line)

    home = tmp / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANTERN_", "OPENAI_", "AZURE_OPENAI", "VIRTUAL_ENV", "XDG_"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        LANTERN_CACHE_DIR=str(tmp / "cache"),
        TERM="dumb",
    )
    return EditorRun(env=env, samples=samples, tmp=tmp)


def run_editor(command: list[str], run: EditorRun, env: dict[str, str]) -> dict:
    """Run a driver in an editor; return {"files": {file name: entry}, "messages": [...]}.

    The driver writes JSON to $LANTERN_TEST_OUT: per file whether the server attached, the
    Lantern diagnostics seen, the code action titles offered on the expected line and the
    Lantern commands the config defined; plus every window/showMessage, the command requests
    the config's commands would send ("sent", where the driver runs them) and any error.
    """
    out = run.tmp / "result.json"
    # The driver may also run the config's commands in the file with the rule finding.
    files = [
        {"path": str(s.path), "line": s.line, "exercise": name == NONE_COMPARISON[0]}
        for name, s in run.samples.items()
    ]
    env = dict(
        run.env,
        **env,
        LANTERN_TEST_FILES=json.dumps(files),
        LANTERN_TEST_OUT=str(out),
        LANTERN_TEST_WAIT_MS=str(WAIT_MS),
    )
    completed = subprocess.run(
        command,
        env=env,
        cwd=run.tmp / "project",
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    output = f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-3000:]}"
    assert out.exists(), f"{command[0]} wrote no result (exit {completed.returncode})\n{output}"
    result = json.loads(out.read_text())
    assert not result["errors"], "\n".join(result["errors"]) + "\n" + output
    files_by_name = {Path(path).name: entry for path, entry in (result["files"] or {}).items()}
    return {
        "files": files_by_name,
        "messages": list(result["messages"] or []),
        "sent": list(result.get("sent") or []),
        "project": run.tmp / "project",
    }


def lines(entry: dict) -> list[int]:
    """The 0-based lines of the Lantern diagnostics in a driver's file entry."""
    return sorted({d["line"] for d in entry["diagnostics"]})


def warnings(messages: list[dict]) -> list[dict]:
    """window/showMessage notifications of type Error (1) or Warning (2)."""
    return [m for m in messages if m["type"] in (1, 2)]
