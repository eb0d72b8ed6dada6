"""What may leave the process: file exclusions and secret redaction.

Excluded files (built-in globs, `ai.exclude`, `exclude`, `.lanternignore`) are never
sent. Secrets found in text are swapped for placeholders before a prompt is built and
swapped back only in code that returns to the editor. Nothing here does network I/O.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "credentials.json",
    ".aws/credentials",
)
IGNORE_FILE = ".lanternignore"


def path_of(path_or_uri: str | os.PathLike[str]) -> Path:
    """A filesystem path from a path or a `file://` URI."""
    text = os.fspath(path_or_uri)
    if text.startswith("file:"):
        return Path(unquote(urlparse(text).path))
    return Path(text)


class Exclusions:
    """Decides whether a file may be sent to a model."""

    def __init__(self, patterns: Iterable[str] = (), root: str | os.PathLike[str] | None = None):
        import pathspec

        self._pathspec = pathspec
        self.root = path_of(root).resolve() if root is not None else None
        self._builtin = pathspec.GitIgnoreSpec.from_lines(DEFAULT_EXCLUDE)
        self._configured = pathspec.GitIgnoreSpec.from_lines(list(patterns))
        self._ignore_files: dict[Path, tuple[float, Any]] = {}

    def reason(self, path_or_uri: str | os.PathLike[str]) -> str | None:
        """Why the file must not be sent (the rule that matched), or None if it may be."""
        path = path_of(path_or_uri)
        path = path.resolve() if path.is_absolute() or path.exists() else path
        relative = self._relative(path, self.root)
        if self._builtin.match_file(relative):
            return f"{relative} matches a built-in exclusion for secrets"
        if self._configured.match_file(relative):
            return f"{relative} matches `ai.exclude`/`exclude` in the settings"
        for directory in self._directories_with_rules(path):
            spec = self._ignore_spec(directory / IGNORE_FILE)
            if spec is not None and spec.match_file(self._relative(path, directory)):
                return f"{relative} is listed in {directory / IGNORE_FILE}"
        return None

    def _relative(self, path: Path, base: Path | None) -> str:
        if base is not None:
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                pass
        # Outside any root, match against the whole path (unanchored globs still match).
        return path.as_posix().lstrip("/")

    def _directories_with_rules(self, path: Path) -> list[Path]:
        """The file's directory and its parents up to the root (or `/` without one)."""
        if not path.is_absolute():
            return []
        directories = []
        for directory in path.parents:
            directories.append(directory)
            if directory == self.root:
                break
        return directories

    def _ignore_spec(self, file: Path) -> Any:
        try:
            mtime = file.stat().st_mtime
        except OSError:
            return None
        cached = self._ignore_files.get(file)
        if cached is None or cached[0] != mtime:
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return None
            cached = (mtime, self._pathspec.GitIgnoreSpec.from_lines(lines))
            self._ignore_files[file] = cached
        return cached[1]


# -- secrets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretPattern:
    name: str
    regex: re.Pattern[str]
    group: int = 0  # the part of the match that is the secret


def _p(name: str, pattern: str, group: int = 0, flags: int = 0) -> SecretPattern:
    return SecretPattern(name, re.compile(pattern, flags), group)


# Most specific first: a private-key block may contain anything the others match.
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "private key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r".*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
        flags=re.DOTALL,
    ),
    _p("password in URL", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@", group=1),
    _p("OpenAI-style key", r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}"),
    _p("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    _p("AWS access key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    _p(
        "AWS secret key",
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    _p("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    _p("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    _p("Stripe key", r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    _p("JSON web token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _p(
        "assigned secret",
        r"(?i)\b[\w-]*(?:passw(?:or)?d|pwd|secret|api_?key|apikey|access_?token|auth_?token"
        r"|private_?key|client_?secret|token)[\w-]*[\"']?\s*[:=]{1,2}\s*([\"'])([^\"'\n]{8,})\1",
        group=2,
    ),
)

PLACEHOLDER_PREFIX = "__LANTERN_SECRET_"


@dataclass
class Redactor:
    """Replaces secrets with numbered placeholders, consistently across several texts.

    A multi-line secret becomes a placeholder followed by as many newlines as it had, so
    the line numbers shown to the model stay the file's own.
    """

    avoid: str = ""  # text that must not be mistaken for our placeholders
    extra_patterns: Sequence[SecretPattern] = ()
    secrets: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_secret: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # If the text already contains our marker (Lantern's own sources do), pick another.
        self._prefix = PLACEHOLDER_PREFIX
        while self._prefix in self.avoid:
            self._prefix += "X_"

    @property
    def found(self) -> int:
        return len(self.secrets)

    def redact(self, text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
        """`text` with every secret (and every `spans` [start, end) range) replaced."""
        ranges = list(spans)
        # A secret already found elsewhere (say in the file) is hidden wherever it recurs,
        # even in free text no pattern would recognise (a diagnostic, an instruction).
        for secret in self._by_secret:
            start = text.find(secret)
            while start != -1:
                ranges.append((start, start + len(secret)))
                start = text.find(secret, start + len(secret))
        for pattern in (*self.extra_patterns, *SECRET_PATTERNS):
            for match in pattern.regex.finditer(text):
                start, end = match.span(pattern.group)
                # A placeholder from an earlier pass is not a new secret.
                if end > start and self._prefix not in text[start:end]:
                    ranges.append((start, end))
        if not ranges:
            return text
        pieces, position = [], 0
        for start, end in _merge(ranges):
            pieces += [text[position:start], self._placeholder_for(text[start:end])]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def restore(self, text: str) -> str:
        """Put the originals back into code the model returned."""
        if not self.secrets:
            return text
        # A multi-line secret was followed by padding newlines; take back as many as are left.
        pattern = re.compile(
            "|".join(
                re.escape(placeholder) + f"\\n{{0,{original.count(chr(10))}}}"
                for placeholder, original in self.secrets.items()
            )
        )
        return pattern.sub(lambda match: self.secrets[match.group(0).rstrip("\n")], text)

    def mask(self, text: str, replacement: str = "«secret»") -> str:
        """Replace placeholders with a neutral mark, for text shown but not applied."""
        return re.sub(re.escape(self._prefix) + r"\d+__", replacement, text)

    def _placeholder_for(self, secret: str) -> str:
        if (existing := self._by_secret.get(secret)) is not None:
            return existing + "\n" * secret.count("\n")
        placeholder = f"{self._prefix}{len(self.secrets) + 1}__"
        self.secrets[placeholder] = secret
        self._by_secret[secret] = placeholder
        return placeholder + "\n" * secret.count("\n")


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """Remove `known` values (API keys) and anything secret-shaped from a message or log."""
    for value in known:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    redactor = Redactor()
    return redactor.mask(redactor.redact(text), "***")
