"""Suppression comments: `# lantern: ignore[CODE]` or `// lantern: ignore[CODE, CODE2]`.

A comment suppresses the named codes (or, without brackets, every rule) on its own line,
and on the next line when the comment stands alone on its line. Syntax errors are never
suppressed. Only comments in the file's own comment syntax count.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from lantern.analysis.findings import Finding

MARKER = b"lantern: ignore"
_PATTERN = re.compile(
    rb"(?P<prefix>#|//)[ \t]*lantern:[ \t]*ignore(?:\[(?P<codes>[A-Za-z0-9_,\- \t]*)\])?"
)
ALL = "*"


def suppressed_codes(source: bytes, line_comment: str) -> dict[int, set[str]]:
    """Line number (0-based) -> codes suppressed there (`ALL` for every rule)."""
    if MARKER not in source:
        return {}
    prefix = line_comment.encode()
    result: dict[int, set[str]] = {}
    line_starts = None
    for match in _PATTERN.finditer(source):
        if match.group("prefix") != prefix:
            continue
        if line_starts is None:
            line_starts = _line_starts(source)
        line = _line_of(line_starts, match.start())
        codes = match.group("codes")
        named = (
            {c.strip().upper() for c in codes.decode().split(",") if c.strip()} if codes else {ALL}
        )
        result.setdefault(line, set()).update(named)
        own_line = source[line_starts[line] : match.start()].strip() == b""
        if own_line:
            result.setdefault(line + 1, set()).update(named)
    return result


def apply_suppressions(
    findings: Iterable[Finding], source: bytes, line_comment: str
) -> list[Finding]:
    table = suppressed_codes(source, line_comment)
    if not table:
        return list(findings)
    starts = _line_starts(source)
    kept = []
    for finding in findings:
        codes = table.get(_line_of(starts, finding.start_byte))
        if codes and finding.code != "syntax" and (ALL in codes or finding.code.upper() in codes):
            continue
        kept.append(finding)
    return kept


def _line_starts(source: bytes) -> list[int]:
    starts = [0]
    position = source.find(b"\n")
    while position != -1:
        starts.append(position + 1)
        position = source.find(b"\n", position + 1)
    return starts


def _line_of(starts: list[int], byte: int) -> int:
    return bisect_right(starts, byte) - 1
