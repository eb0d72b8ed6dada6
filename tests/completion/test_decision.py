"""The cursor decision: no suggestion in strings, comments and words; several lines
after a block opener or at the end of a block; one line elsewhere."""

from __future__ import annotations

import pytest

from lantern.analysis.languages import detect_language, parse
from lantern.completion.decision import Mode, decide, unclosed_quote
from lantern.positions import LineIndex

CURSOR = "<|cursor|>"


def check(document: str, path: str, expected: Mode, *, invoked: bool = False) -> None:
    offset = document.index(CURSOR)
    text = document.replace(CURSOR, "")
    spec = detect_language(path)
    tree = parse(spec, text.encode()) if spec else None
    byte = LineIndex(text).byte_at(offset)
    decision = decide(text, offset, tree, byte, invoked=invoked)
    assert decision.mode is expected, decision.reason


@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        ("def f(x):<|cursor|>", "a.py", Mode.BLOCK),
        ("if ready:<|cursor|>\n", "a.py", Mode.BLOCK),
        ("class A:\n    def f(self):<|cursor|>\n", "a.py", Mode.BLOCK),
        ('d = {"a":<|cursor|>}', "a.py", Mode.LINE),
        ("x = items[1:<|cursor|>]", "a.py", Mode.LINE),
        ("f = lambda x:<|cursor|>", "a.py", Mode.LINE),
        ("def f():\n    x = 1\n    <|cursor|>\n", "a.py", Mode.BLOCK),
        ("def f():\n    x = 1\n    <|cursor|>\n\ndef g():\n    pass\n", "a.py", Mode.BLOCK),
        ("def f():\n    x = 1\n    <|cursor|>\n    return x\n", "a.py", Mode.LINE),
        ("x = compute(<|cursor|>, b)", "a.py", Mode.LINE),
        ("x = compute(<|cursor|>)", "a.py", Mode.LINE),
        ('x = "abc"<|cursor|>', "a.py", Mode.LINE),
        ("function f() {<|cursor|>}", "a.js", Mode.BLOCK),
        ("function f() {\n  let a = 1;\n  <|cursor|>\n}\n", "a.js", Mode.BLOCK),
        ("/* a */<|cursor|>", "a.js", Mode.LINE),
        ("const s = `a ${user.<|cursor|>}`;", "a.js", Mode.LINE),
        ('label = f"{user.<|cursor|>}"', "a.py", Mode.LINE),
        ("func f() {<|cursor|>", "a.go", Mode.BLOCK),
        ("fn main() {<|cursor|>\n}\n", "a.rs", Mode.BLOCK),
        ("a {<|cursor|>", "a.unknown", Mode.BLOCK),
        ("x = 1<|cursor|>", "a.unknown", Mode.LINE),
    ],
)
def test_mode(document: str, path: str, expected: Mode) -> None:
    check(document, path, expected)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ('x = "abc<|cursor|>"', "a.py"),
        ('x = "abc<|cursor|>', "a.py"),
        ("# note:<|cursor|>", "a.py"),
        ("x = 1  # total<|cursor|>\n", "a.py"),
        ('def f():\n    """Doc<|cursor|>"""\n', "a.py"),
        ("// hi<|cursor|>\nlet a;", "a.js"),
        ("const s = `a <|cursor|>`;", "a.js"),
        ("value = pri<|cursor|>nt", "a.py"),
        ('x = "abc<|cursor|>', "a.unknown"),
        ('s := "go<|cursor|>"', "a.go"),
    ],
)
def test_no_suggestion_inside_strings_comments_and_words(document: str, path: str) -> None:
    check(document, path, Mode.NONE)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ('x = "abc<|cursor|>"', "a.py"),
        ("# note:<|cursor|>", "a.py"),
        ("value = pri<|cursor|>nt", "a.py"),
    ],
)
def test_asking_explicitly_gets_one_line_anywhere(document: str, path: str) -> None:
    check(document, path, Mode.LINE, invoked=True)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('x = "abc', True),
        ("x = 'it", True),
        ('x = "a" + "b', True),
        ('x = "a\\"b', True),
        ('x = "a"', False),
        ("x = `t", True),
        ("x = 1", False),
    ],
)
def test_unclosed_quote(head: str, expected: bool) -> None:
    assert unclosed_quote(head) is expected
