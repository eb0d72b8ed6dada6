"""What a check sees of one file: source, tree, options, and memoised facts about it.

Facts that several rules need (import aliases, assignments per function) are computed
once per analysis and cached here. Nothing in this module mutates the tree or raises
for odd input; helpers return None or empty results when the shape is unexpected.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from tree_sitter import Node, Query, QueryCursor, Tree

from lantern.analysis.languages import LanguageSpec

T = TypeVar("T")

FUNCTION_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"function_definition", "lambda"}),
    "javascript": frozenset(
        {
            "function_declaration",
            "function_expression",
            "function",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
        }
    ),
    "go": frozenset({"function_declaration", "method_declaration", "func_literal"}),
}
CLASS_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"class_definition"}),
    "javascript": frozenset({"class_declaration", "class", "abstract_class_declaration"}),
    "go": frozenset(),
}
LOOP_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"for_statement", "while_statement"}),
    "javascript": frozenset(
        {"for_statement", "for_in_statement", "while_statement", "do_statement"}
    ),
    "go": frozenset({"for_statement"}),
}


@cache
def compiled_query(language: LanguageSpec, source: str) -> Query:
    """A query compiled once per language for the life of the process."""
    return Query(language.grammar, source)


def family(language: str) -> str:
    """The grammar family whose node types a language shares (TypeScript -> javascript)."""
    return "javascript" if language in ("javascript", "typescript", "tsx") else language


@dataclass(frozen=True, slots=True)
class RuleOptions:
    """Analysis settings, plain and hashable (the engine is independent of `lantern.config`)."""

    select: tuple[str, ...] = ()  # restricts to these codes/prefixes (empty: defaults)
    extend_select: tuple[str, ...] = ()  # adds these
    ignore: tuple[str, ...] = ()
    preview: bool = False  # run preview rules too
    severity: tuple[tuple[str, str], ...] = ()
    complexity_threshold: int = 10
    max_nesting_depth: int = 4


@dataclass(slots=True)
class FileContext:
    language: LanguageSpec
    source: bytes
    tree: Tree
    options: RuleOptions = field(default_factory=RuleOptions)
    region: tuple[int, int] | None = None  # the byte range being analysed; None = all
    _memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return family(self.language.name)

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per analysis for `key`."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    def in_region(self, node: Node) -> bool:
        return self.region is None or self.region[0] <= node.start_byte < self.region[1]

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def enclosing_function(self, node: Node) -> Node | None:
        return self.enclosing(node, FUNCTION_TYPES.get(self.family, frozenset()))

    def enclosing(self, node: Node, kinds: frozenset[str]) -> Node | None:
        """The innermost node of one of `kinds` strictly around `node`, or None.

        Answered from a span index built once per file: `Node.parent` descends from the
        root in tree-sitter, so walking parents costs O(depth) per step and O(depth²)
        per question, which deeply nested code turns into minutes.
        """
        spans = self.memo(("spans", kinds), lambda: NodeSpans.of(self, kinds))
        return spans.around(node)

    def scope_of(self, node: Node) -> Node:
        """The function enclosing `node`, else the whole file."""
        return self.enclosing_function(node) or self.tree.root_node

    def inside_loop(self, node: Node, scope: Node | None = None) -> Node | None:
        """The innermost loop around `node` within its function, if any."""
        loops = LOOP_TYPES.get(self.family, frozenset())
        functions = FUNCTION_TYPES.get(self.family, frozenset())
        parent = node.parent
        while parent is not None and parent != scope:
            if parent.type in loops:
                return parent
            if parent.type in functions:
                return None
            parent = parent.parent
        return None


@dataclass(frozen=True, slots=True)
class NodeSpans:
    """Every node of some kinds in one file, by start byte, each with the index of the
    innermost one around it (-1 for none): nesting questions in O(nesting) not O(depth²)."""

    starts: list[int]
    nodes: list[Node]
    parents: list[int]
    kinds: frozenset[str]

    @classmethod
    def of(cls, ctx: FileContext, kinds: frozenset[str]) -> NodeSpans:
        grammar = ctx.language.grammar
        valid = sorted(k for k in kinds if grammar.id_for_node_kind(k, True))
        found: list[Node] = []
        # Python's functions and lambdas of the whole file are what `pyflow.file_captures`
        # holds under "function" (usually gathered by the engine's traversal already):
        # no traversal of their own. (Only `pyflow.statement_facts` keeps a part of a file
        # under that key, in contexts of its own that never ask this.)
        whole = ctx._memo.get("py.file") if kinds == FUNCTION_TYPES["python"] else None
        if whole is not None and ctx.family == "python":
            found = list(whole.get("function", []))
        elif valid:
            query = compiled_query(ctx.language, "[" + " ".join(f"({k})" for k in valid) + "] @n")
            found = QueryCursor(query).captures(ctx.tree.root_node).get("n", [])
        found.sort(key=lambda n: (n.start_byte, -n.end_byte))
        parents: list[int] = []
        open_: list[int] = []  # indexes of the spans around the current one, outermost first
        for index, node in enumerate(found):
            while open_ and found[open_[-1]].end_byte < node.end_byte:  # it ended before
                open_.pop()
            parents.append(open_[-1] if open_ else -1)
            open_.append(index)
        return cls([n.start_byte for n in found], found, parents, kinds)

    def around(self, node: Node) -> Node | None:
        start, end = node.start_byte, node.end_byte
        index = bisect_right(self.starts, start) - 1
        while index >= 0:
            candidate = self.nodes[index]
            if candidate.start_byte <= start and end <= candidate.end_byte:
                if (candidate.start_byte, candidate.end_byte) != (start, end):
                    return candidate
                if candidate.id != node.id:
                    return self._by_parents(node)  # same span: ancestor or descendant?
            index = self.parents[index]
        return None

    def _by_parents(self, node: Node) -> Node | None:
        parent = node.parent
        while parent is not None and parent.type not in self.kinds:
            parent = parent.parent
        return parent


def walk(node: Node, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Every named descendant of `node` in document order, not descending into `skip` types."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current.type in skip and current is not node:
            continue
        stack.extend(reversed(current.named_children))


def string_value(node: Node) -> str | None:
    """The content of a plain string literal node in any supported language, else None.

    None also for strings with interpolation (f-strings with fields, template strings
    with substitutions): those are not literals.
    """
    kind = node.type
    if kind == "string":  # python or javascript
        parts = []
        for child in node.named_children:
            if child.type in ("interpolation", "template_substitution"):
                return None
            if child.type in ("string_content", "string_fragment", "escape_sequence"):
                parts.append((child.text or b"").decode("utf-8", "replace"))
        return "".join(parts)
    if kind == "concatenated_string":
        pieces = [string_value(child) for child in node.named_children]
        return None if any(p is None for p in pieces) else "".join(pieces)  # type: ignore[arg-type]
    if kind == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return None
        return (node.text or b"`").decode("utf-8", "replace")[1:-1]
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return (node.text or b'""').decode("utf-8", "replace")[1:-1]
    return None
