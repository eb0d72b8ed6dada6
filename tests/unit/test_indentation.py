"""Python indentation errors are reported as CPython reports them, although tree-sitter's
grammar accepts them (case 16)."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.analysis.engine import analyse
from lantern.analysis.languages import language_named, parse
from lantern.analysis.syntax import syntax_errors, syntax_findings
from lantern.positions import Encoding, LineIndex

PYTHON = language_named("python")


def reported(source: bytes) -> list[tuple[int, int, str]]:
    """(line, column, message) of each syntax finding, 1-based as `lantern check` prints."""
    index = LineIndex(source.decode())
    result = []
    for finding in analyse(PYTHON, source, parse(PYTHON, source)):
        if finding.code == "syntax":
            line, column = index.position_at_byte(finding.start_byte, Encoding.UTF32)
            result.append((line + 1, column + 1, finding.message))
    return result


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        (b'def greet():\nprint("hi")\n', 2, 1, "expected an indented block"),
        (b"total = 1\n    total += 2\n", 2, 5, "unexpected indent"),
        (b"def f():\n        x = 1\n    y = 2\n", 3, 5, "unindent does not match"),
        (b"if x:\n\ty = 1\n        z = 2\n", 3, 9, "inconsistent use of tabs and spaces"),
        (b"def f():\n    # only a comment\n", 2, 5, "expected an indented block"),
        (b"class A:\n    def f(self):\n        pass\n  x = 1\n", 4, 3, "unindent does not match"),
        (b"for i in x:\n    pass\nelse:\npass\n", 4, 1, "expected an indented block"),
        (b"try:\n    pass\nexcept E:\n    pass\nfinally:\n        a = 1\n       b = 2\n", 7, 8,
         "unindent does not match"),
        (b"@dec\ndef f():\nreturn 1\n", 3, 1, "expected an indented block"),
        (b"match x:\n    case 1:\n        pass\n    case _:\n    # none\n", 5, 5,
         "expected an indented block"),
        (b"    pass\n", 1, 5, "unexpected indent"),
        (b"x = 1\nif x:\n    y = 2\n      z = 3\n", 4, 7, "unexpected indent"),
        (b"\xef\xbb\xbfx = 1\n  y = 2\n", 2, 3, "unexpected indent"),
        (b"def f():\r\n    a = 1\r\n      b = 2\r\n", 3, 7, "unexpected indent"),
    ],
)  # fmt: skip
def test_indentation_errors_are_reported_where_cpython_says(source, line, column, message):
    (only,) = reported(source)
    assert only[:2] == (line, column) and only[2].startswith(f"Syntax error: {message}")
    with pytest.raises(IndentationError):
        compile(source, "<test>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)


@pytest.mark.parametrize(
    "source",
    [
        b"def f():\n    a = 1; b = 2\n    return a\n",
        b"x = [\n        1,\n  2]\nif x: y = 1\n",
        b"def f():\n    s = '''\n  text\n        more'''\n    return s\n",
        b"if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
        b"x = 1 + \\\n        2\ny = 3\n",
        b"class A:\n\tdef f(self):\n\t\treturn 1\n",
        b"def f():\n    pass\n        # a comment deeper than the code\n    return 1\n",
    ],
)
def test_valid_indentation_is_not_reported(source):
    compile(source, "<test>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    assert reported(source) == []


LINES = ["def f():", "if x:", "else:", "pass", "x = 1", "return x", "# c", "", "a; b", "y = (",
         "1)", "class A:", "try:", "except E:", "s = '''", "'''"]  # fmt: skip
INDENTS = ["", "    ", "        ", "  ", "\t"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(INDENTS), st.sampled_from(LINES)), max_size=8))
def test_agrees_with_cpython_when_tree_sitter_sees_no_error(lines):
    source = "".join(indent + text + "\n" for indent, text in lines).encode()
    tree = parse(PYTHON, source)
    if syntax_findings(tree):
        return  # tree-sitter has its own report; CPython may name another error first
    try:
        compile(source, "<test>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        expected = None
    except IndentationError as exc:
        expected = exc.lineno
    except SyntaxError:
        return  # a non-indentation error tree-sitter accepts: not this check's business
    found = syntax_errors(PYTHON, source, tree)
    # A full analysis checks the blocks its rule query gathered instead of walking.
    assert [f for f in analyse(PYTHON, source, tree) if f.code == "syntax"] == found
    if expected is None:
        assert found == []
    else:
        (finding,) = found
        row = source.count(b"\n", 0, finding.start_byte)
        assert row + 1 <= expected  # at CPython's line, or the last non-blank line before it
