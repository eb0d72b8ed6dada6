"""Syntax errors: tree-sitter ERROR and MISSING nodes as findings with readable messages,
and Python's indentation errors, which tree-sitter's grammar accepts on purpose.

tree-sitter recovers from errors by inserting zero-width MISSING nodes (`missing ")"`)
or wrapping what it could not place in ERROR nodes. An ERROR node can swallow many
lines, so its finding is narrowed: to an unclosed bracket inside it when there is one,
else to its first offending token.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections.abc import Iterator
from itertools import islice

from tree_sitter import Node, Tree

from lantern.analysis.findings import Finding, Severity
from lantern.analysis.languages import LanguageSpec
from lantern.analysis.rules.model import GATHERED_FACTS, GatheredFact

MAX_SYNTAX_FINDINGS = 50
# An ERROR node can hold the rest of the file; an unclosed bracket is found near its start.
MAX_TOKENS_SCANNED = 500
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}


def syntax_errors(
    language: LanguageSpec, source: bytes, tree: Tree, suspect: bool | None = None
) -> list[Finding]:
    """Every syntax error of a parsed file, as `analyse` reports them.

    `suspect`: for Python, whether `indentation_suspect` holds, if the caller knows it
    (an incremental analysis checks only the blocks it re-analyses).
    """
    findings = syntax_findings(tree)
    if language.name == "python" and len(findings) < MAX_SYNTAX_FINDINGS:
        if suspect is None:
            suspect = indentation_suspect(source, tree)
        indentation = python_indentation_error(source) if suspect else None
        if indentation is not None and all(
            f.start_byte != indentation.start_byte for f in findings
        ):
            findings = sorted([*findings, indentation], key=lambda f: f.start_byte)
    return findings


# Python statements that hold a block of statements, and the node types of those blocks.
_PY_BLOCKS = frozenset({"module", "block"})
_PY_SKIPPED = frozenset({"comment", "ERROR"})

# Every block of a Python file, gathered by a full analysis's traversal of the tree for
# `indentation_suspect`, saving it a walk of its own.
BLOCKS_KEY = "py.blocks"
GATHERED_FACTS.append(
    GatheredFact(
        ("python",),
        "(block) @block",
        lambda ctx: BLOCKS_KEY if ctx.region is None else ("py.blocks-in", ctx.region),
        lambda ctx, matches: [captures["block"][0] for captures in matches],
    )
)


def indentation_suspect(
    source: bytes,
    tree: Tree,
    regions: list[tuple[int, int]] | None = None,
    blocks: list[Node] | None = None,
) -> bool:
    """Does the tree show a shape tree-sitter-python accepts but CPython may not (an
    empty block, siblings starting at different columns, both tabs and spaces in
    indentation; tree-sitter-python#108, #67)?

    `regions` (sorted, disjoint byte ranges): only blocks meeting them are walked, for a
    tree known to be unchanged elsewhere since a check that found nothing suspect.
    `blocks`: every `block` node of the tree, already found by a query (used only if
    the tree has no ERROR node, where the walk skips what such a node holds).
    """
    # Each test needs a tab, and most files have none: one scan (memchr) for them (a
    # keystroke in a 10,000-line file spent 1.2 ms on the three or four).
    mixed = b"\t" in source and (
        (b"\n\t" in source and b"\n " in source) or b" \t" in source or b"\t " in source
    )
    if mixed:
        return True
    root = tree.root_node
    if blocks is not None and regions is None and not root.has_error:
        return _statements(root) is None or any(_suspect(block) for block in blocks)
    return _suspect_block(root, regions)


def _suspect(block: Node) -> bool:
    """`_statements(block) is None`, sooner for a block of one child (most are): it is
    suspect only if that child is no statement (a comment alone)."""
    children = block.named_children
    if len(children) == 1:
        return children[0].type in _PY_SKIPPED
    return _statements(block, children) is None


def python_indentation_error(source: bytes) -> Finding | None:
    """The indentation error CPython reports for `source`, or None.

    Compiling costs, so callers ask only when `indentation_suspect` holds. Compiling
    never executes anything; the message is CPython's own (unexpected indent, unindent
    does not match any outer indentation level, expected an indented block,
    inconsistent use of tabs and spaces), placed on the first non-blank character of
    the line it names.
    """
    try:
        compile(source, "<lantern>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except IndentationError as exc:  # TabError is one too
        return _at_line(source, (exc.lineno or 1) - 1, str(exc.msg))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None  # tree-sitter reports other syntax errors; deep nesting is not ours
    return None


def _suspect_block(root: Node, regions: list[tuple[int, int]] | None = None) -> bool:
    """A block with no statement, or statements of one block at different columns.

    Walks statements and the clauses that hold blocks only, never expressions; with
    `regions`, only the nodes that meet one of them.
    """
    starts = [start for start, _ in regions] if regions is not None else []
    stack = [root]
    while stack:
        node = stack.pop()
        if regions is not None and node is not root:
            # The last region starting before the node ends must not end before it starts.
            index = bisect_right(starts, node.end_byte) - 1
            if index < 0 or regions[index][1] < node.start_byte:
                continue
        if node.type in _PY_BLOCKS:
            statements = _statements(node)
            if statements is None:
                return True
            stack += statements
        else:
            stack += (c for c in node.named_children if c.type in _PY_BLOCKS or _holds_blocks(c))
    return False


def _statements(node: Node, children: list[Node] | None = None) -> list[Node] | None:
    """The statements of `node` (the module or a block; `children`: its named children
    if known), or None if it is suspect: a block without one, or statements that start
    a line at different columns (or, in the module, at any but the first)."""
    named = node.named_children if children is None else children
    statements = [c for c in named if c.type not in _PY_SKIPPED]
    if not statements:
        return None if node.type == "block" else statements
    column = statements[0].start_point[1]  # the first statement starts a line
    if node.type == "module" and column != 0:
        return None
    previous = statements[0]
    for statement in islice(statements, 1, None):
        row, start = statement.start_point
        # Another column is suspect only on a line of its own: `a; b` puts `b` on the
        # line where `a` ends (its end, asked only then: most statements are aligned).
        if start != column and row != previous.end_point[0]:
            return None
        previous = statement
    return statements


def _holds_blocks(node: Node) -> bool:
    return node.type.endswith(("_clause", "_definition", "_statement"))


def _at_line(source: bytes, row: int, message: str) -> Finding:
    """A syntax finding on line `row` (0-based), from its first non-blank character."""
    lines = source.split(b"\n")
    while row > 0 and (row >= len(lines) or not lines[row].strip()):
        row -= 1
    start = sum(len(line) + 1 for line in lines[:row])
    text = lines[row] if row < len(lines) else b""
    content = text.rstrip(b" \t\r")
    first = len(content) - len(content.lstrip(b" \t\f"))
    return _syntax_error(f": {message}", start + first, start + len(content))


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
