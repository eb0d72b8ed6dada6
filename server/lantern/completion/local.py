"""Completion items that need no model: the document's identifiers and the language's
keywords, both read through tree-sitter (identifiers from the tree, so words inside
strings and comments are not offered; keywords from the grammar itself).

Pure; never raises. Reading the identifiers is one query over the tree: the server keeps
them per document (`lantern.lsp.completion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Query, Tree

    from lantern.analysis.languages import LanguageSpec

DEFAULT_LIMIT = 200


class ItemKind(StrEnum):
    IDENTIFIER = "identifier"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class LocalItem:
    label: str
    kind: ItemKind


def local_items(
    spec: LanguageSpec | None,
    tree: Tree | None,
    source: bytes,
    word: str,
    *,
    limit: int = DEFAULT_LIMIT,
    identifiers: frozenset[str] | None = None,
) -> tuple[list[LocalItem], bool]:
    """Items starting like `word` (case-insensitive; all when empty), identifiers first,
    then keywords, each alphabetical; and whether the list was cut at `limit`.
    `identifiers`: the document's, if already known (else read from `tree`).

    The `word` itself is left out (the document contains it because it is being typed).
    """
    if spec is None:
        return [], False
    if identifiers is None:
        identifiers = document_identifiers(spec, tree, source)
    start = word.casefold()
    names = sorted(
        name for name in identifiers if name != word and name.casefold().startswith(start)
    )
    keywords = [
        name
        for name in grammar_keywords(spec.grammar)
        if name != word and name.casefold().startswith(start) and name not in identifiers
    ]
    items = [LocalItem(name, ItemKind.IDENTIFIER) for name in names]
    items += [LocalItem(name, ItemKind.KEYWORD) for name in keywords]
    return items[:limit], len(items) > limit


def document_identifiers(spec: LanguageSpec, tree: Tree | None, source: bytes) -> frozenset[str]:
    """Every distinct identifier in the document's tree (one query: ~4 ms on a 3,500-line
    file, so callers keep it per version)."""
    if tree is None:
        return frozenset()
    from tree_sitter import QueryCursor

    query = _identifier_query(spec.grammar)
    if query is None:
        return frozenset()
    # Distinct bytes first: a name is decoded once, not once per use.
    found = {
        source[node.start_byte : node.end_byte]
        for nodes in QueryCursor(query).captures(tree.root_node).values()
        for node in nodes
    }
    found.discard(b"")
    return frozenset(name.decode("utf-8", "replace") for name in found)


@cache
def grammar_keywords(grammar: Language) -> tuple[str, ...]:
    """The grammar's keyword tokens: anonymous, visible, word-like node kinds.

    Internal tokens (leading underscore, digits: Rust's `expr_2021`) are left out.
    """
    words = set()
    for kind_id in range(grammar.node_kind_count):
        if grammar.node_kind_is_named(kind_id) or not grammar.node_kind_is_visible(kind_id):
            continue
        kind = grammar.node_kind_for_id(kind_id) or ""
        if kind.isidentifier() and len(kind) > 1 and kind[0] != "_" and kind.isalpha():
            words.add(kind)
    return tuple(sorted(words))


@cache
def _identifier_query(grammar: Language) -> Query | None:
    """One query capturing every leaf identifier kind the grammar has."""
    from tree_sitter import Query

    kinds = set()
    for kind_id in range(grammar.node_kind_count):
        kind = grammar.node_kind_for_id(kind_id) or ""
        if (
            grammar.node_kind_is_named(kind_id)
            and grammar.node_kind_is_visible(kind_id)
            and kind.endswith("identifier")
            and not kind.startswith(("nested_", "scoped_", "blank_"))
        ):
            kinds.add(kind)
    if not kinds:
        return None
    return Query(grammar, "[" + " ".join(f"({kind})" for kind in sorted(kinds)) + "] @name")
