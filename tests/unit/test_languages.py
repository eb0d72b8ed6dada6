"""Language detection: by languageId first, then by file extension."""

from __future__ import annotations

import pytest
from tree_sitter import Parser

from lantern.analysis.languages import (
    LANGUAGES,
    detect_language,
    language_named,
    parse,
)


@pytest.mark.parametrize(
    ("path", "language_id", "expected"),
    [
        ("a.py", "python", "python"),
        ("a.txt", "python", "python"),  # the editor knows best
        ("a.py", None, "python"),
        ("a.PY", "", "python"),
        ("a.jsx", "javascriptreact", "javascript"),
        ("a.mjs", None, "javascript"),
        ("a.ts", "typescript", "typescript"),
        ("a.tsx", "typescriptreact", "tsx"),
        ("a.tsx", "typescript", "tsx"),  # some editors say "typescript" for .tsx
        ("main.go", "go", "go"),
        ("lib.rs", None, "rust"),
        ("A.java", "java", "java"),
        ("file:///w/a%20b/c.go", "unknown-id", "go"),
    ],
)
def test_detected_language(path: str, language_id: str | None, expected: str):
    spec = detect_language(path, language_id)
    assert spec is not None and spec.name == expected


@pytest.mark.parametrize(("path", "language_id"), [("notes.txt", "plaintext"), ("Makefile", None)])
def test_unknown_languages_are_none(path: str, language_id: str | None):
    assert detect_language(path, language_id) is None


@pytest.mark.parametrize("spec", LANGUAGES, ids=lambda spec: spec.name)
def test_every_grammar_loads_and_parses_odd_input_without_raising(spec):
    for source in (b"", b"\x00\xff\xfe garbage", "é😀\r\n".encode() * 3, b"((((" * 1000):
        tree = parse(spec, source)
        assert tree.root_node.end_byte == len(source)


def test_a_source_parsed_in_chunks_gives_the_same_tree_and_node_text():
    javascript = language_named("javascript")
    source = (";".join(f"f{i}('s{i}',x)" for i in range(30_000)) + "\n").encode()
    chunked = parse(javascript, source, yielding=True)
    whole = Parser(javascript.grammar).parse(source)
    assert str(chunked.root_node) == str(whole.root_node)
    last = chunked.root_node.children[-1]
    assert last.text == source[last.start_byte : last.end_byte]
