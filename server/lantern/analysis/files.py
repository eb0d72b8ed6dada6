"""Files on disk: which ones to check, and analysing one of them. Used by `lantern check`.

Discovery honours `.gitignore` files (from the repository root down to each folder)
and extra exclude patterns in gitignore syntax. Never raises for a bad file:
unreadable, binary, oversized or undecodable files are skipped with a reason, so one
odd file cannot stop a run over a whole tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from lantern.analysis import generated
from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import analyse
from lantern.analysis.findings import Finding
from lantern.analysis.languages import detect_language, parse
from lantern.positions import Encoding, LineIndex
from lantern.session import DEFAULT_MAX_FILE_SIZE, skip_reason

# Directories that are never source: tools' caches, dependencies, virtualenvs.
SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "dist",
        "build",
        "target",
        ".idea",
        ".vscode",
    }
)


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and column (columns count characters), for humans and CI tools."""

    line: int
    column: int


@dataclass(slots=True)
class FileReport:
    """One file's findings with their human locations (start, end), or why it was skipped."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    locations: list[tuple[Location, Location]] = field(default_factory=list)
    skipped: str | None = None


class Ignores:
    """gitignore-style rules: every `.gitignore` met on the way, plus extra patterns."""

    def __init__(self, extra: Iterable[str] = (), base: Path | None = None) -> None:
        self._specs: list[tuple[Path, pathspec.PathSpec]] = []
        self._loaded: set[Path] = set()
        patterns = [p for p in extra if p.strip()]
        if patterns:
            self._specs.append(
                ((base or Path.cwd()).resolve(), pathspec.GitIgnoreSpec.from_lines(patterns))
            )

    def load_from_repository_root(self, start: Path) -> None:
        """Load `.gitignore` files from the enclosing repository's root down to `start`."""
        start = start.resolve()
        chain = [start, *start.parents]
        root_index = next((i for i, d in enumerate(chain) if (d / ".git").exists()), None)
        for directory in reversed(chain[: (root_index + 1) if root_index is not None else 1]):
            self.load(directory)

    def load(self, directory: Path) -> None:
        directory = directory.resolve()
        if directory in self._loaded:
            return
        self._loaded.add(directory)
        try:
            lines = (directory / ".gitignore").read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return
        self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_directory: bool) -> bool:
        resolved = path.resolve()
        for base, spec in self._specs:
            try:
                relative = resolved.relative_to(base).as_posix()
            except ValueError:
                continue
            if relative == ".":
                continue
            if spec.match_file(relative + ("/" if is_directory else "")):
                return True
        return False


def discover(paths: Iterable[Path], ignores: Ignores | None = None) -> Iterator[Path]:
    """Source files under `paths` in a supported language, in a stable order.

    A file named explicitly is always included, whatever its extension or ignore rules.
    """
    ignores = ignores or Ignores()
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        ignores.load_from_repository_root(path)
        for root, directories, files in os.walk(path):
            here = Path(root)
            ignores.load(here)
            directories[:] = sorted(
                d
                for d in directories
                if d not in SKIPPED_DIRECTORIES and not ignores.ignored(here / d, True)
            )
            for name in sorted(files):
                if detect_language(name) is not None and not ignores.ignored(here / name, False):
                    yield here / name


def check_file(
    path: Path,
    options: RuleOptions | None = None,
    max_size: int = DEFAULT_MAX_FILE_SIZE,
    *,
    skip_generated: bool = False,
) -> FileReport:
    """Analyse one file. `skip_generated`: skip vendored, minified and generated files
    (see `generated`) with the reason, as for files met while walking a folder."""
    report = FileReport(path)
    language = detect_language(str(path))
    if language is None:
        report.skipped = "not a supported language"
        return report
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.skipped = f"unreadable ({exc.strerror or exc})"
        return report
    if (reason := skip_reason(raw, max_size)) is not None:
        report.skipped = reason
        return report
    if skip_generated and (reason := generated.skip_reason(path, raw)) is not None:
        report.skipped = reason
        return report
    # Odd encodings are decoded with replacement, then re-encoded so byte offsets agree.
    text = raw.decode("utf-8", "replace")
    source = text.encode("utf-8")
    report.findings = analyse(language, source, parse(language, source), options)
    if report.findings:
        index = LineIndex(text)
        report.locations = [
            (_location(index, f.start_byte), _location(index, f.end_byte)) for f in report.findings
        ]
    return report


def _location(index: LineIndex, byte: int) -> Location:
    line, column = index.position_at_byte(byte, Encoding.UTF32)
    return Location(line + 1, column + 1)
