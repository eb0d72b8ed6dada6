"""Shared set-up for the real-editor tests.

Each editor runs the config users copy from docs/editors/, whose command is `lantern serve`.
A `lantern` launcher on PATH makes that command run this checkout's server with the current
interpreter (`sys.executable -m lantern`), in a private HOME with no user configuration and a
private cache. The only AI provider is the one a test passes in `LANTERN_AI_*` variables (a
loopback OpenAI-compatible server); the user's own provider variables are dropped.
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

MODEL = "test-model"  # what the loopback OpenAI-compatible server serves

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
# The AI review (tests/support/code_model.py) reports the `risky(` call; its fix calls checked().
# Line 4 is blank: the driver generates a function there, between `load` and VERSION.
RISKY_CALL = (
    "risky_call.py",
    "def load(path):\n    data = risky(path)\n    return data\n\nVERSION = 1\n",
    1,
)


@dataclass(frozen=True)
class Sample:
    path: Path
    line: int  # 0-based LSP line of the expected finding
    source: str = "lantern"  # the expected finding's diagnostic source
    role: str | None = None  # what the driver does in this file: "fix_all" or "ai" (commands)


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


def prepare_run(tmp: Path, model_url: str) -> EditorRun:
    """A workspace with the samples, and an environment whose AI provider is `model_url`."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "lantern"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lantern "$@"\n')
    launcher.chmod(0o755)

    workspace = tmp / "project"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text('[project]\nname = "sample"\n')
    samples = {}
    for (name, text, line), source, role in (
        (SYNTAX_ERROR, "lantern", None),
        (NONE_COMPARISON, "lantern", "fix_all"),
        (RISKY_CALL, "lantern-ai", "ai"),
    ):
        (workspace / name).write_text(text)
        samples[name] = Sample(workspace / name, line, source, role)

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
        LANTERN_AI_BASE_URL=model_url,
        LANTERN_AI_MODEL=MODEL,
        TERM="dumb",
    )
    return EditorRun(env=env, samples=samples, tmp=tmp)


def run_editor(command: list[str], run: EditorRun, env: dict[str, str]) -> dict:
    """Run a driver in an editor; return {"files": {file name: entry}, "messages": [...],
    "notifications": [...], "session": {...}}.

    The driver writes JSON to $LANTERN_TEST_OUT: per file whether the server attached, the
    Lantern diagnostics seen, the code action titles offered on the expected line and the
    Lantern commands the config defined; every window/showMessage; what the config told the
    user ("notifications"); what each command run in the session left in the editor
    ("session": the buffer text after fix-all, fix and generate, the explanation shown, the
    command requests sent) and any error.
    """
    out = run.tmp / "result.json"
    files = [
        {"path": str(s.path), "line": s.line, "source": s.source, "role": s.role}
        for s in run.samples.values()
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
        "notifications": list(result.get("notifications") or []),
        "session": result.get("session") or {},
        "statuses": list(result.get("statuses") or []),
        "final_statusline": result.get("final_statusline"),
        "project": run.tmp / "project",
    }


def lines(entry: dict, source: str = "lantern") -> list[int]:
    """The 0-based lines of the diagnostics from `source` in a driver's file entry."""
    return sorted({d["line"] for d in entry["diagnostics"] if d["source"] == source})


def warnings(messages: list[dict]) -> list[dict]:
    """window/showMessage notifications of type Error (1) or Warning (2)."""
    return [m for m in messages if m["type"] in (1, 2)]
