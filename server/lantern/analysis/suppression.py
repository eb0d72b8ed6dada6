"""Suppression comments: `# lantern: ignore[CODE]` or `// lantern: ignore[CODE, CODE2]`.

A comment suppresses the named codes (or, without brackets, every rule) on its own line,
and on the next line when the comment stands alone on its line. Syntax errors are never
suppressed. Only comments in the file's own comment syntax count (`#`; or `//` and
`/* */`, which JSX needs: `{/* lantern: ignore[LS111] */}`), and only real comments:
given the tree, a marker inside a string, a docstring or JSX text is not a comment.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lantern.analysis.findings import Finding

if TYPE_CHECKING:
    from tree_sitter import Tree

MARKER = b"lantern: ignore"
_PATTERN = re.compile(
    rb"(?P<prefix>#|//|/\*)[ \t]*lantern:[ \t]*ignore(?:\[(?P<codes>[A-Za-z0-9_,\- \t]*)\])?"
)
ALL = "*"


def suppressed_codes(
    source: bytes, line_comment: str, tree: Tree | None = None
) -> dict[int, set[str]]:
    """Line number (0-based) -> codes suppressed there (`ALL` for every rule).

    With `tree` (the parse of `source`), a marker counts only inside a comment node.
    """
    if MARKER not in source:
        return {}
    prefixes = {b"#"} if line_comment == "#" else {b"//", b"/*"}
    result: dict[int, set[str]] = {}
    line_starts = None
    for match in _PATTERN.finditer(source):
        if match.group("prefix") not in prefixes:
            continue
        if tree is not None and not in_comment(tree, match.start(), match.end()):
            continue
        if line_starts is None:
            line_starts = _line_starts(source)
        line = _line_of(line_starts, match.start())
        codes = match.group("codes")
        named = (
            {c.strip().upper() for c in codes.decode().split(",") if c.strip()} if codes else {ALL}
        )
        result.setdefault(line, set()).update(named)
        # Alone on its line; `{` opens a JSX comment: `{/* lantern: ignore */}`.
        own_line = source[line_starts[line] : match.start()].strip() in (b"", b"{")
        if own_line:
            result.setdefault(line + 1, set()).update(named)
    return result


def in_comment(tree: Tree, start: int, end: int) -> bool:
    """Whether bytes [start, end) lie inside one comment node of `tree`."""
    node = tree.root_node.descendant_for_byte_range(start, end)
    return node is not None and "comment" in node.type


def apply_suppressions(
    findings: Iterable[Finding], source: bytes, line_comment: str, tree: Tree | None = None
) -> list[Finding]:
    table = suppressed_codes(source, line_comment, tree)
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
