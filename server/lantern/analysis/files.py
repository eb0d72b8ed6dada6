"""Files on disk: which ones to check, and analysing one of them. Used by `lantern check`.

Discovery honours `.gitignore` files (from the repository root down to each folder)
and extra exclude patterns in gitignore syntax. Never raises for a bad file:
unreadable, binary, oversized or undecodable files are skipped with a reason, so one
odd file cannot stop a run over a whole tree.
"""

from __future__ import annotations

import errno
import os
import stat
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from lantern.analysis import generated
from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import analyse
from lantern.analysis.findings import Finding
from lantern.analysis.languages import LanguageSpec, detect_language, language_of_shebang, parse
from lantern.session import DEFAULT_MAX_FILE_SIZE, skip_reason

if TYPE_CHECKING:
    import pathspec

# The default excludes: folders that are almost never source (version control, tools'
# caches, dependencies, virtualenvs, build output). `build` is not one: it is a common
# package name (ruff removed it too). Folder walks skip them and say so in the summary;
# `--no-default-excludes` checks them, and a file named explicitly is always checked.
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
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "dist",
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


UNSUPPORTED_LANGUAGE = "not a supported language"


@dataclass(slots=True)
class FileReport:
    """One file's findings with their human locations (start, end), or why it was skipped."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    locations: list[tuple[Location, Location]] = field(default_factory=list)
    skipped: str | None = None
    unreadable: bool = False  # skipped because it could not be read (not by choice)
    # A symlink loop or a link to nothing: there is no file behind it to check, so a
    # folder walk reports it without failing the run (a path named on purpose still does).
    broken_link: bool = False

    @property
    def failed(self) -> bool:
        """Whether a file that should have been checked could not be read."""
        return self.unreadable and not self.broken_link


class Ignores:
    """gitignore-style rules: every `.gitignore` met on the way, plus extra patterns."""

    def __init__(self, extra: Iterable[str] = (), base: Path | None = None) -> None:
        self._specs: list[tuple[Path, pathspec.PathSpec]] = []
        self._loaded: set[Path] = set()
        patterns = [p for p in extra if p.strip()]
        if patterns:
            self._specs.append(((base or Path.cwd()).resolve(), _spec(patterns)))

    def load_from_repository_root(self, start: Path) -> None:
        """Load `.gitignore` files from the enclosing repository's root down to `start`."""
        start = _resolved(start)
        chain = [start, *start.parents]
        root_index = next((i for i, d in enumerate(chain) if (d / ".git").exists()), None)
        for directory in reversed(chain[: (root_index + 1) if root_index is not None else 1]):
            self.load(directory)

    def load(self, directory: Path) -> None:
        directory = _resolved(directory)
        if directory in self._loaded:
            return
        self._loaded.add(directory)
        try:
            lines = (directory / ".gitignore").read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return
        self._specs.append((directory, _spec(lines)))

    def ignored(self, path: Path, is_directory: bool, parent: Path | None = None) -> bool:
        """Whether a rule matches `path`. `parent`: `path.parent` already resolved (a
        folder walk resolves each folder once, not each of its files)."""
        if not self._specs:
            return False
        if parent is not None and not os.path.islink(path):
            resolved = parent / path.name  # one lstat, not one per component
        else:
            resolved = _resolved(path)
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


def _spec(lines: list[str]) -> pathspec.PathSpec:
    import pathspec  # 20 ms of imports: only once there is a pattern (not for one file)

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _resolved(path: Path) -> Path:
    """`path` with symlinks followed, or made absolute as named when that fails (a loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def discover(
    paths: Iterable[Path],
    ignores: Ignores | None = None,
    *,
    default_excludes: bool = True,
    excluded: list[Path] | None = None,
) -> Iterator[Path]:
    """Source files under `paths` in a supported language, in a stable order.

    A file named explicitly is always included, whatever its extension or ignore rules.
    Folders skipped as default excludes are appended to `excluded`, when given.
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
            real = _resolved(here)
            kept = []
            for name in sorted(directories):
                if default_excludes and name in SKIPPED_DIRECTORIES:
                    if excluded is not None:
                        excluded.append(here / name)
                elif not ignores.ignored(here / name, True, real):
                    kept.append(name)
            directories[:] = kept
            for name in sorted(files):
                if detect_language(name) is not None and not ignores.ignored(
                    here / name, False, real
                ):
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
    language = detect_language(str(path)) or _language_by_shebang(path)
    if language is None:
        report.skipped = UNSUPPORTED_LANGUAGE
        return report
    raw = _read(path, max_size, report)
    if raw is None:
        return report
    if (reason := skip_reason(raw, max_size)) is not None:
        report.skipped = reason
        return report
    if skip_generated and (reason := generated.skip_reason(path, raw)) is not None:
        report.skipped = reason
        return report
    # Odd encodings are decoded with replacement, then re-encoded so byte offsets agree.
    text = raw.decode("utf-8-sig", "replace")  # a BOM is not text: columns start after it
    source = text.encode("utf-8")
    report.findings = analyse(language, source, parse(language, source), options)
    if report.findings:
        at = _Locator(source)
        report.locations = [(at(f.start_byte), at(f.end_byte)) for f in report.findings]
    return report


def _language_by_shebang(path: Path) -> LanguageSpec | None:
    """The language named by a regular file's `#!` line (python3, node, ...), if any."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as file:
            first = file.readline(256)
    except (OSError, RuntimeError):
        return None
    return language_of_shebang(first)


def _read(path: Path, max_size: int, report: FileReport) -> bytes | None:
    """The file's bytes, or None with `report.skipped` set. Only regular files are
    opened (a FIFO would block, a device never end), and the size is checked first:
    at most `max_size + 1` bytes are read, whatever the file claims."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            report.skipped = f"not a regular file ({_kind(status.st_mode)})"
            return None
        if status.st_size > max_size:
            report.skipped = (
                f"{status.st_size:,} bytes exceeds diagnostics.max_file_size ({max_size:,} bytes)"
            )
            return None
        with open(path, "rb") as file:
            return file.read(max_size + 1)
    except OSError as exc:
        report.skipped, report.unreadable = f"unreadable ({exc.strerror or exc})", True
        report.broken_link = exc.errno in (errno.ELOOP, errno.ENOENT) and os.path.islink(path)
        return None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "a special file"


class _Locator:
    """Human locations of byte offsets into valid UTF-8 `source`: what
    `LineIndex(text).position_at_byte(byte, Encoding.UTF32)` gives (lines broken at
    `\r\n`, `\r` and `\n`; a column counts characters, not a line break's; a byte inside
    a character is that character's), computed on the bytes: no str offsets, whose
    index a file with non-ASCII text builds line by line."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        starts = [0, *accumulate(map(len, source.splitlines(keepends=True)))]
        if len(starts) > 1 and not source.endswith((b"\n", b"\r")):
            starts.pop()  # the last line has no break: it does not start a new one
        self.starts = starts

    def __call__(self, byte: int) -> Location:
        source = self.source
        byte = max(0, min(byte, len(source)))
        line = bisect_right(self.starts, byte) - 1
        start = self.starts[line]
        while byte > start and byte < len(source) and source[byte] & 0xC0 == 0x80:
            byte -= 1  # a UTF-8 continuation byte: back to its character's first byte
        column = len(source[start:byte].rstrip(b"\r\n").decode("utf-8", "replace"))
        return Location(line + 1, column + 1)
