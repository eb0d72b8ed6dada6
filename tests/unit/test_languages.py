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


def test_a_grammar_is_loaded_from_its_binding_without_its_package_init():
    # The package's __init__ imports importlib.resources and more, for highlight queries
    # Lantern never reads; the binding it would import is the one loaded here.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from lantern.analysis.languages import language_named\n"
        "language_named('python').grammar\n"
        "binding = sys.modules['tree_sitter_python._binding']\n"
        "print('tree_sitter_python' in sys.modules, 'importlib.resources' in sys.modules)\n"
        "import tree_sitter_python\n"
        "print(tree_sitter_python.language is binding.language)\n"
    )
    lines = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert lines[:2] == ["False False", "True"]


def test_a_package_without_a_binding_falls_back_to_importing_it():
    from lantern.analysis.languages import _binding

    assert _binding("json") is None  # a package, but no `_binding` extension in it
    assert _binding("no_such_package_here") is None
