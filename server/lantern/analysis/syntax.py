"""Syntax errors: tree-sitter ERROR and MISSING nodes as findings with readable messages.

tree-sitter recovers from errors by inserting zero-width MISSING nodes (`missing ")"`)
or wrapping what it could not place in ERROR nodes. An ERROR node can swallow many
lines, so its finding is narrowed: to an unclosed bracket inside it when there is one,
else to its first offending token.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from tree_sitter import Node, Tree

from lantern.analysis.findings import Finding, Severity
from lantern.analysis.languages import LanguageSpec

MAX_SYNTAX_FINDINGS = 50
# An ERROR node can hold the rest of the file; an unclosed bracket is found near its start.
MAX_TOKENS_SCANNED = 500
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}


def syntax_errors(language: LanguageSpec, source: bytes, tree: Tree) -> list[Finding]:
    """Every syntax error of a parsed file, as `analyse` reports them."""
    return syntax_findings(tree)


def syntax_findings(tree: Tree) -> list[Finding]:
    """Every syntax error in `tree`, in document order, at most MAX_SYNTAX_FINDINGS."""
    root = tree.root_node
    if not root.has_error:
        return []
    findings: list[Finding] = []
    for node in _error_nodes(root):
        finding = _missing(node) if node.is_missing else _unexpected(node)
        if findings and finding.start_byte == findings[-1].start_byte:
            continue  # one report per place is enough
        findings.append(finding)
        if len(findings) >= MAX_SYNTAX_FINDINGS:
            break
    return findings


def _error_nodes(node: Node) -> Iterator[Node]:
    """Outermost ERROR nodes and all MISSING nodes, in document order."""
    if node.is_missing:
        yield node
        return
    if node.type == "ERROR":
        yield node
        yield from (n for child in node.children for n in _missing_nodes(child))
        return
    for child in node.children:
        if child.has_error or child.is_missing:
            yield from _error_nodes(child)


def _missing_nodes(node: Node) -> Iterator[Node]:
    if node.is_missing:
        yield node
    elif node.has_error:
        for child in node.children:
            yield from _missing_nodes(child)


def _syntax_error(message: str, start: int, end: int) -> Finding:
    return Finding("syntax", f"Syntax error{message}", Severity.ERROR, start, end)


def _missing(node: Node) -> Finding:
    what = f'"{node.type}"' if not node.is_named else node.type.replace("_", " ")
    return _syntax_error(f": missing {what}", node.start_byte, node.end_byte)


def _unexpected(error: Node) -> Finding:
    tokens = list(islice(_leaves(error), MAX_TOKENS_SCANNED))
    if (unclosed := _unclosed_bracket(tokens)) is not None:
        message = f': "{unclosed.type}" is never closed'
        return _syntax_error(message, unclosed.start_byte, unclosed.end_byte)
    offending = _first_offending(error) or error
    text = (offending.text or b"").decode("utf-8", "replace")
    first_line = text.splitlines()[0] if text.strip() else text
    snippet = first_line.strip()
    if len(snippet) > 30:
        snippet = snippet[:29] + "…"
    # Never wider than the first line of the offending text.
    end = offending.start_byte + len(first_line.encode("utf-8"))
    return _syntax_error(
        f': unexpected "{snippet}"' if snippet else "",
        offending.start_byte,
        max(offending.start_byte, min(end, offending.end_byte)),
    )


def _leaves(node: Node) -> Iterator[Node]:
    if node.child_count == 0:
        yield node
    for child in node.children:
        yield from _leaves(child)


def _unclosed_bracket(tokens: list[Node]) -> Node | None:
    stack: list[Node] = []
    for token in tokens:
        if token.is_missing:
            continue
        if token.type in _OPENERS:
            stack.append(token)
        elif token.type in _CLOSERS and stack and stack[-1].type == _CLOSERS[token.type]:
            stack.pop()
    return stack[0] if stack else None


def _first_offending(error: Node) -> Node | None:
    """The innermost ERROR node under `error`, else the ERROR's first token."""
    for child in error.children:
        if child.type == "ERROR":
            return _first_offending(child) or child
    return error.children[0] if error.child_count == 1 else None
