"""What each kind of generation means: where the code goes, what the model is asked,
and where new files land without overwriting anything.

Insert kinds (`code`, `function`, `class`, `docs`) put code into the current file;
file kinds (`tests`, `files`, `api`, `ui`, `cli`) create new files in the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lantern.analysis.languages import LanguageSpec

INSERT_KINDS = ("code", "function", "class", "docs")
FILE_KINDS = ("tests", "files", "api", "ui", "cli")
KINDS = (*INSERT_KINDS, *FILE_KINDS)

_ASK = {
    "code": "{prompt}",
    "function": "Write one function: {prompt}. Give it a docstring or doc comment.",
    "class": "Write one class: {prompt}. Give it a docstring or doc comment.",
    "docs": "Write only the documentation (a docstring, or a doc comment in this language's "
    "convention) for the code right after the insertion point. {prompt}",
    "tests": "Write tests for the code in the current file, with the project's test framework "
    "(or the language's standard one). {prompt}",
    "files": "{prompt}",
    "api": "Write an HTTP API handler (and, if the project has none, an OpenAPI document) "
    "with the project's web framework: {prompt}",
    "ui": "Write a UI component with the project's UI framework: {prompt}",
    "cli": "Write a command-line tool (argument parsing, help text, exit codes): {prompt}",
}
# Project folders that hold tests, in order of preference.
_TEST_FOLDERS = ("tests", "test", "__tests__", "spec")
# Top-level entries never listed to the model (noise, or private).
_HIDDEN = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", "dist", "build"}


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file to create: `path` is absolute; `wanted` is what the model asked for when
    that name was taken (so the user is told)."""

    path: Path
    content: str
    wanted: Path | None = None


def instruction(kind: str, prompt: str) -> str:
    """What the model is asked for `kind` ("code" when unknown)."""
    text = prompt.strip() or "as the surrounding code and comments describe"
    return _ASK.get(kind, _ASK["code"]).format(prompt=text).strip()


def path_for_tests(source: Path, root: Path, language: LanguageSpec | None) -> Path:
    """Where the project would keep tests for `source` (a file under `root`)."""
    name = language.name if language else ""
    stem, suffix = source.stem, source.suffix
    if name == "go":
        return source.with_name(f"{stem}_test.go")
    if name == "rust" or name == "java":
        return source.with_name(f"{stem}Test{suffix}" if name == "java" else f"{stem}_test.rs")
    folder = next((root / f for f in _TEST_FOLDERS if (root / f).is_dir()), None)
    if name == "python":
        return (folder or root / "tests") / f"test_{stem}.py"
    if name in ("javascript", "typescript", "tsx"):
        base = folder or source.parent
        return base / f"{stem}.test{suffix}"
    return (folder or root / "tests") / f"test_{source.name}"


def layout(root: Path | None, limit: int = 40) -> list[str]:
    """The project's visible top-level entries ("src/", "pyproject.toml", ...)."""
    if root is None or not root.is_dir():
        return []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    shown = [
        e.name + ("/" if e.is_dir() else "")
        for e in entries
        if e.name not in _HIDDEN and not e.name.startswith(".")
    ]
    return shown[:limit]


def plan_files(root: Path, files: list[tuple[str, str]]) -> list[PlannedFile]:
    """Place each (relative path, content) under `root`, never over an existing file:
    a taken name becomes `name.2.ext`, `name.3.ext`, ... and is reported."""
    planned: list[PlannedFile] = []
    taken: set[Path] = set()
    for relative, content in files:
        wanted = root.joinpath(*PurePosixPath(relative).parts)
        path, number = wanted, 1
        while path.exists() or path in taken:
            number += 1
            path = wanted.with_name(f"{wanted.stem}.{number}{wanted.suffix}")
        taken.add(path)
        planned.append(PlannedFile(path, content, wanted if path != wanted else None))
    return planned
