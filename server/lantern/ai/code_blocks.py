"""Code in model answers: pick the right fenced block, keep its indentation, check it parses.

Prose around the code is dropped. Code that does not parse is reported with the
reason and never handed on as an edit.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from tree_sitter import Node

from lantern.analysis.languages import LanguageSpec, parse

_FENCE_OPEN = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)

# Info strings models use for each of our languages.
_ALIASES = {
    "python": {"python", "py", "python3", "py3"},
    "javascript": {"javascript", "js", "jsx", "node", "mjs"},
    "typescript": {"typescript", "ts"},
    "tsx": {"tsx", "typescript", "ts"},
    "go": {"go", "golang"},
    "rust": {"rust", "rs"},
    "java": {"java"},
}


@dataclass(frozen=True)
class CodeBlock:
    info: str  # the fence's info string, lower-cased ("" when none)
    code: str
    before: str = ""  # the prose between the previous block (or the start) and this one


def fenced_blocks(answer: str) -> list[CodeBlock]:
    """Every fenced block; a block left open at the end runs to the end of the answer."""
    blocks: list[CodeBlock] = []
    position = 0
    while match := _FENCE_OPEN.search(answer, position):
        fence, info = match.group(1), match.group(2).lower()
        body_start = match.end() + 1
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        closing = close.search(answer, body_start)
        body_end = closing.start() if closing else len(answer)
        blocks.append(
            CodeBlock(info, answer[body_start:body_end], answer[position : match.start()])
        )
        position = closing.end() if closing else len(answer)
    return blocks


def extract_code(answer: str, language: LanguageSpec | None) -> str:
    """The code in `answer`: the longest block in the language, else the longest block,
    else the answer itself. Leading and trailing blank lines go; indentation stays."""
    blocks = fenced_blocks(answer)
    if blocks:
        aliases = _ALIASES.get(language.name, {language.name}) if language else set()
        matching = [block for block in blocks if block.info in aliases]
        unlabelled = [block for block in blocks if not block.info]
        pool = matching or unlabelled or blocks
        code = max(pool, key=lambda block: len(block.code)).code
    else:
        code = answer
    return _trim_blank_lines(code)


# "File: src/app.py", "### `src/app.py`", "**path:** src/app.py", "src/app.py:"
_FILE_LABEL = re.compile(
    r"^[\s#*>-]*(?:(?:file|path|filename)\s*[:=]?[*\s]*)?[*`'\"]*([\w./@+-]+\.[\w]+|[\w.-]*/[\w./@+-]+)"
    r"[*`'\":]*\s*$",
    re.IGNORECASE,
)


def files_in_answer(answer: str) -> list[tuple[str, str]]:
    """(path, content) for each fenced block labelled with a path on the line before it.

    Blocks without a label are skipped; a path given twice keeps its last block.
    """
    files: dict[str, str] = {}
    for block in fenced_blocks(answer):
        label = next((line for line in reversed(block.before.splitlines()) if line.strip()), "")
        match = _FILE_LABEL.match(label)
        if match is None or "```" in label:
            continue
        content = _trim_blank_lines(block.code)
        if content:
            files[match.group(1).strip("/").removeprefix("./")] = content + "\n"
    return list(files.items())


def _trim_blank_lines(code: str) -> str:
    lines = code.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def syntax_problem(code: str, language: LanguageSpec) -> str | None:
    """None when `code` parses cleanly on its own (dedented), else where it fails."""
    tree = parse(language, textwrap.dedent(code).encode())
    return _first_error(tree.root_node)


def error_lines(source: str, language: LanguageSpec) -> list[int]:
    """The 1-based line of every ERROR and MISSING node in the parse of `source`."""
    root = parse(language, source.encode()).root_node
    found: list[int] = []
    stack = [root] if root.has_error else []
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(node.start_point[0] + 1)
            continue
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return sorted(found)


def _first_error(root: Node) -> str | None:
    if not root.has_error:
        return None
    queue = [root]
    while queue:
        node = queue.pop(0)
        if node.type == "ERROR" or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "unexpected code"
            return f"{what} at line {node.start_point[0] + 1} of the answer's code"
        queue.extend(node.children)
    return "the code does not parse"


def leading_indent(text: str) -> str:
    """The indentation of the first non-blank line."""
    for line in text.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def reindent(code: str, indent: str) -> str:
    """`code` shifted so its first line starts at `indent`, relative indentation kept."""
    dedented = textwrap.dedent(code)
    return "\n".join(indent + line if line.strip() else "" for line in dedented.splitlines())
