"""What a prompt shows besides the code itself: numbered lines, the file's outline
(imports and signatures), definitions by line, and frameworks in use.

Pure functions over text and tree-sitter trees; they read at most a project's
`pyproject.toml` / `package.json`, and never raise on odd input.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from lantern.analysis.languages import LanguageSpec, parse

_IMPORTS = {
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "import_declaration",
    "package_clause",
    "package_declaration",
    "use_declaration",
    "extern_crate_declaration",
}
_DEFINITIONS = {
    "function_definition",
    "class_definition",
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "abstract_class_declaration",
    "method_definition",
    "interface_declaration",
    "enum_declaration",
    "type_alias_declaration",
    "method_declaration",
    "constructor_declaration",
    "record_declaration",
    "type_declaration",
    "function_item",
    "impl_item",
    "struct_item",
    "enum_item",
    "trait_item",
    "mod_item",
}
# Definitions whose bodies hold more definitions worth listing (methods).
_CONTAINERS = {
    "class_definition",
    "class_declaration",
    "abstract_class_declaration",
    "interface_declaration",
    "impl_item",
    "trait_item",
    "mod_item",
    "enum_declaration",
    "record_declaration",
}
# Wrappers whose child is the real definition.
_WRAPPERS = {"decorated_definition", "export_statement"}


@dataclass(frozen=True)
class CodeUnit:
    """A function, method or class, by 1-based inclusive line range."""

    kind: str
    name: str
    start_line: int
    end_line: int


def numbered(lines: list[str], first_line: int) -> str:
    """Lines prefixed with their 1-based numbers, right-aligned: ` 12 | x = eval(s)`."""
    width = len(str(first_line + max(len(lines) - 1, 0)))
    return "\n".join(
        f"{number:>{width}} | {line}" for number, line in enumerate(lines, start=first_line)
    )


def code_units(source: str, language: LanguageSpec) -> list[CodeUnit]:
    """Top-level definitions and the methods inside classes, in document order."""
    root = parse(language, source.encode()).root_node
    units: list[CodeUnit] = []
    for outer, node in _definitions(root):
        name_node = node.child_by_field_name("name")
        name = name_node.text.decode("utf-8", "replace") if name_node and name_node.text else ""
        units.append(CodeUnit(node.type, name, outer.start_point[0] + 1, end_line(outer)))
    return units


def enclosing_unit(source: str, language: LanguageSpec, line: int) -> CodeUnit | None:
    """The innermost definition containing 1-based `line`, if any."""
    containing = [u for u in code_units(source, language) if u.start_line <= line <= u.end_line]
    return min(containing, key=lambda u: u.end_line - u.start_line, default=None)


def outline(
    source: str, language: LanguageSpec, skip: tuple[int, int] | None = None
) -> list[tuple[int, str]]:
    """(line, text) of imports and definition headers, outside the `skip` line range."""
    root = parse(language, source.encode()).root_node
    lines = source.splitlines()
    entries: dict[int, str] = {}
    for node in root.children:
        if node.type in _IMPORTS:
            for number in range(node.start_point[0], end_line(node)):
                entries[number + 1] = lines[number] if number < len(lines) else ""
    for _, node in _definitions(root):
        header_end = node.start_point[0]
        body = node.child_by_field_name("body")
        if body is not None and body.start_point[0] > node.start_point[0]:
            header_end = body.start_point[0] - 1
        for number in range(node.start_point[0], header_end + 1):
            entries[number + 1] = lines[number] if number < len(lines) else ""
    if skip is not None:
        entries = {n: t for n, t in entries.items() if not skip[0] <= n <= skip[1]}
    return sorted(entries.items())


def _definitions(root: Node) -> list[tuple[Node, Node]]:
    """(outer, definition) pairs: outer includes decorators and `export`."""
    found: list[tuple[Node, Node]] = []

    def visit(node: Node, depth: int) -> None:
        for child in node.children:
            target = unwrap_definition(child)
            if target is not None:
                found.append((child, target))
                if target.type in _CONTAINERS and depth < 3:
                    body = target.child_by_field_name("body")
                    if body is not None:
                        visit(body, depth + 1)

    visit(root, 0)
    return found


def unwrap_definition(node: Node) -> Node | None:
    """The definition `node` is or wraps (decorators, `export`), or None."""
    target = node
    while target.type in _WRAPPERS:
        inner = target.child_by_field_name("definition") or target.child_by_field_name(
            "declaration"
        )
        if inner is None:
            inner = next((c for c in target.children if c.type in _DEFINITIONS), None)
        if inner is None:
            return None
        target = inner
    return target if target.type in _DEFINITIONS else None


def is_container(node: Node) -> bool:
    """Whether `node` is a definition whose body holds more definitions (a class)."""
    return node.type in _CONTAINERS


def is_import(node: Node) -> bool:
    return node.type in _IMPORTS


def end_line(node: Node) -> int:
    """1-based last line of `node` (a node ending at column 0 ends on the line before)."""
    row, column = node.end_point
    return row if column == 0 and row > node.start_point[0] else row + 1


# -- frameworks ------------------------------------------------------------------------

KNOWN_FRAMEWORKS = {
    "django": "Django",
    "flask": "Flask",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "pydantic": "pydantic",
    "sqlalchemy": "SQLAlchemy",
    "pandas": "pandas",
    "numpy": "NumPy",
    "polars": "Polars",
    "pytest": "pytest",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
    "requests": "requests",
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "click": "Click",
    "typer": "Typer",
    "react": "React",
    "next": "Next.js",
    "vue": "Vue",
    "svelte": "Svelte",
    "@angular/core": "Angular",
    "express": "Express",
    "fastify": "Fastify",
    "jest": "Jest",
    "vitest": "Vitest",
    "github.com/gin-gonic/gin": "Gin",
    "github.com/labstack/echo": "Echo",
    "tokio": "Tokio",
    "actix-web": "Actix Web",
    "axum": "axum",
    "serde": "serde",
    "org.springframework": "Spring",
    "org.junit": "JUnit",
}

_IMPORTED = re.compile(
    r"""^\s*(?:.*?\bfrom\s+['"]([^'"]+)['"]|.*?\brequire\(\s*['"]([^'"]+)['"]\)"""
    r"""|from\s+([\w.]+)\s+import|import\s+"([^"]+)"|import\s+([\w.]+)|use\s+([\w:]+)"""
    r"""|\s*"([^"]+)")""",
    re.MULTILINE,
)


def detect_frameworks(source: str, project_root: Path | None = None) -> list[str]:
    """Frameworks named by the file's imports and the project's declared dependencies."""
    names: set[str] = set()
    for match in _IMPORTED.finditer(source):
        module = next((group for group in match.groups() if group), "")
        names.add(module)
        names.add(re.split(r"[./:]", module.lstrip("@"), maxsplit=1)[0])
    if project_root is not None:
        names |= _declared_dependencies(project_root)
    found = set()
    for key, label in KNOWN_FRAMEWORKS.items():
        if any(
            name == key or name.startswith(key + "/") or name.startswith(key + ".")
            for name in names
        ):
            found.add(label)
    return sorted(found)


def _declared_dependencies(root: Path) -> set[str]:
    names: set[str] = set()
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        project = pyproject.get("project", {})
        specs = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            specs += extra
        names |= {re.split(r"[\s<>=!~;\[(]", spec, maxsplit=1)[0].lower() for spec in specs}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
        for section in ("dependencies", "devDependencies", "peerDependencies"):
            names |= set(package.get(section, {}) or {})
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    return names
