"""Supported languages: which grammar a document uses, and parsing with tree-sitter.

Grammars are loaded on first use so start-up pays only for the languages it meets.
Parsing never raises: tree-sitter always returns a tree, with ERROR nodes where the
text does not fit the grammar.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import re
import sys
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePath
from types import ModuleType

from tree_sitter import Language, Parser, Tree


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """One language Lantern analyses."""

    name: str
    module: str  # the grammar wheel's module
    function: str  # the function in it that returns the grammar
    language_ids: tuple[str, ...]  # LSP languageIds
    extensions: tuple[str, ...]
    line_comment: str

    @property
    def grammar(self) -> Language:
        return _load_grammar(self.module, self.function)


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python", "tree_sitter_python", "language", ("python",), (".py", ".pyi", ".pyw"), "#"
    ),
    LanguageSpec(
        "javascript",
        "tree_sitter_javascript",
        "language",
        ("javascript", "javascriptreact"),
        (".js", ".mjs", ".cjs", ".jsx"),
        "//",
    ),
    LanguageSpec(
        "typescript",
        "tree_sitter_typescript",
        "language_typescript",
        ("typescript",),
        (".ts", ".mts", ".cts"),
        "//",
    ),
    LanguageSpec(
        "tsx", "tree_sitter_typescript", "language_tsx", ("typescriptreact",), (".tsx",), "//"
    ),
    LanguageSpec("go", "tree_sitter_go", "language", ("go",), (".go",), "//"),
    LanguageSpec("rust", "tree_sitter_rust", "language", ("rust",), (".rs",), "//"),
    LanguageSpec("java", "tree_sitter_java", "language", ("java",), (".java",), "//"),
)

_BY_NAME = {spec.name: spec for spec in LANGUAGES}
_BY_LANGUAGE_ID = {lid: spec for spec in LANGUAGES for lid in spec.language_ids}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}


@cache
def _load_grammar(module: str, function: str) -> Language:
    return Language(getattr(_binding(module) or importlib.import_module(module), function)())


def _binding(package: str) -> ModuleType | None:
    """The grammar wheel's compiled `_binding` module (every tree-sitter grammar's
    generated Python binding has one), loaded without running the package's
    `__init__`: that imports `importlib.resources` (tempfile, shutil, random, bz2, lzma:
    ~4 ms of a first open) only to read highlight queries. None if it is not there."""
    name = f"{package}._binding"
    if (loaded := sys.modules.get(name)) is not None:
        return loaded
    try:
        found = importlib.util.find_spec(package)
        folders = (found.submodule_search_locations or []) if found is not None else []
        for folder in folders:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = Path(folder) / f"_binding{suffix}"
                if not path.is_file():
                    continue
                spec = importlib.util.spec_from_file_location(name, path)
                if spec is None or spec.loader is None:
                    continue
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                sys.modules[name] = module
                return module
    except (ImportError, OSError):
        pass
    return None


def language_named(name: str) -> LanguageSpec | None:
    return _BY_NAME.get(name)


def detect_language(path_or_uri: str, language_id: str | None = None) -> LanguageSpec | None:
    """The language of a document: by LSP languageId, else by file extension; None if unknown."""
    by_extension = _BY_EXTENSION.get(PurePath(path_or_uri).suffix.lower())
    if language_id and (spec := _BY_LANGUAGE_ID.get(language_id)):
        # Some editors call a .tsx file "typescript"; only the TSX grammar parses its JSX.
        if spec.name == "typescript" and by_extension is not None and by_extension.name == "tsx":
            return by_extension
        return spec
    return by_extension


_SHEBANG = re.compile(rb"#![ \t]*(?:\S*/)?(?:env[ \t]+(?:-\S+[ \t]+)*)?(?P<name>[A-Za-z]+)")
_INTERPRETERS = {"python": "python", "pypy": "python", "node": "javascript", "nodejs": "javascript"}


def language_of_shebang(first_line: bytes) -> LanguageSpec | None:
    """The language of a script by its `#!` line: `#!/usr/bin/env python3`,
    `#!/usr/bin/python3.12`, `#!/usr/bin/env -S node --flags`, ...; None otherwise."""
    match = _SHEBANG.match(first_line)
    if match is None:
        return None
    name = _INTERPRETERS.get(match.group("name").decode().lower())
    return _BY_NAME.get(name) if name else None


# A Parser is not safe to share between threads; each thread keeps its own per language.
_parsers = threading.local()


def _parser(spec: LanguageSpec) -> Parser:
    cached: dict[str, Parser] = _parsers.__dict__.setdefault("by_name", {})
    if (parser := cached.get(spec.name)) is None:
        parser = cached[spec.name] = Parser(spec.grammar)
    return parser


# py-tree-sitter holds the GIL while it parses a bytestring: a 2 MB minified file takes
# a second or more, during which no other thread runs Python. Read through a callback
# instead (`yielding`), the parser returns to Python once per chunk, where the
# interpreter hands the GIL to any thread waiting for it (the event loop). But such a
# tree keeps no copy of the source, and queries whose predicates read node text run
# about three times slower on it: only a large document's parse on a worker uses it.
_CHUNK = 64_000


def parse(
    spec: LanguageSpec, source: bytes, old_tree: Tree | None = None, *, yielding: bool = False
) -> Tree:
    """Parse `source`; with `old_tree` (already `.edit()`ed), reuse what did not change.
    `yielding`: let other threads run between chunks (see above)."""
    parser = _parser(spec)
    if yielding:
        view = memoryview(source)

        def read(byte: int, _point: tuple[int, int]) -> bytes:
            return bytes(view[byte : byte + _CHUNK])

        tree = parser.parse(read, old_tree) if old_tree is not None else parser.parse(read)
    else:
        tree = parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)
    assert tree is not None  # a parser with a language always returns a tree
    return tree
