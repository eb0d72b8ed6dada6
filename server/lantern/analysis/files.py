"""Files on disk: which ones to check, and analysing one of them. Used by `lantern check`.

Never raises for a bad file: unreadable, binary, oversized or undecodable files are
skipped with a reason, so one odd file cannot stop a run over a whole tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
    path: Path
    findings: list[Finding] = field(default_factory=list)
    index: LineIndex | None = None
    skipped: str | None = None

    def location(self, byte: int) -> Location:
        assert self.index is not None
        line, column = self.index.position_at_byte(byte, Encoding.UTF32)
        return Location(line + 1, column + 1)


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Source files under `paths` in a supported language, in a stable order.

    A file named explicitly is always included, whatever its extension.
    """
    for path in paths:
        if path.is_dir():
            for root, directories, files in os.walk(path):
                directories[:] = sorted(d for d in directories if d not in SKIPPED_DIRECTORIES)
                for name in sorted(files):
                    if detect_language(name) is not None:
                        yield Path(root) / name
        else:
            yield path


def check_file(path: Path, max_size: int = DEFAULT_MAX_FILE_SIZE) -> FileReport:
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
    # Odd encodings are decoded with replacement, then re-encoded so byte offsets agree.
    text = raw.decode("utf-8", "replace")
    source = text.encode("utf-8")
    report.index = LineIndex(text)
    report.findings = analyse(language, source, parse(language, source))
    return report
