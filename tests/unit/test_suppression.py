"""Suppression comments count only in real comments, and every ignore edit Lantern offers
leaves valid code with the finding suppressed (cases 05, 06, 07)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.analysis.engine import analyse
from lantern.analysis.fixes import adds_syntax_error, apply_edits, ignore_edit
from lantern.analysis.languages import detect_language, language_named, parse
from lantern.analysis.syntax import syntax_errors


def findings(language: str, source: bytes):
    spec = language_named(language)
    return analyse(spec, source, parse(spec, source))


def codes(language: str, source: bytes) -> list[str]:
    return [f.code for f in findings(language, source)]


NOT_COMMENTS = [
    ("python", b'eval(input("# lantern: ignore"))\n'),
    ("python", b"eval(input('# lantern: ignore[LS101]'))\n"),
    ("python", b'eval(input(f"{1}# lantern: ignore"))\n'),
    ("python", b'def f(expr):\n    """Doc\n    # lantern: ignore\n    """;  return eval(expr)\n'),
    ("python", b'x = """\n# lantern: ignore\n"""\neval(input())\n'),
    ("javascript", b'eval(prompt("// lantern: ignore"));\n'),
    ("javascript", b"eval(prompt(`/* lantern: ignore */`));\n"),
    ("javascript", b"const s = `\n// lantern: ignore\n`;\neval(prompt(s));\n"),
    ("javascript", b"eval(prompt(/\\/\\/ lantern: ignore/.source));\n"),
    ("typescript", b'eval(prompt("// lantern: ignore") as string);\n'),
    (
        "javascript",
        b"const C = ({ h }) => (\n  <div>\n    // lantern: ignore\n"
        b"    <p dangerouslySetInnerHTML={{ __html: h }} />\n  </div>\n);\n",
    ),
    ("go", b'package main\n\nimport "os/exec"\n\nfunc f(s string) {\n'
           b'\texec.Command("sh", "-c", "// lantern: ignore"+s)\n}\n'),
    ("go", b'package main\n\nimport "os/exec"\n\nfunc f(s string) {\n'
           b'\texec.Command("sh", "-c", `\n// lantern: ignore\n`+s)\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("language", "source"), NOT_COMMENTS)
def test_a_marker_outside_a_comment_suppresses_nothing(language: str, source: bytes):
    before = codes(language, source)
    assert before and "syntax" not in before
    assert len([c for c in before if c.startswith("LS1")]) == 1


COMMENTS = [
    ("python", b'eval(input())  # lantern: ignore\n'),
    ("python", b'eval(input())  # noqa: S307  # lantern: ignore[LS101]\n'),
    ("python", b'# lantern: ignore[LS101]\neval(input())\n'),
    ("javascript", b'eval(prompt()); // lantern: ignore[LS101]\n'),
    ("javascript", b'eval(prompt()); /* lantern: ignore[LS101] */\n'),
    (
        "javascript",
        b"const C = ({ h }) => (\n  <div>\n    {/* lantern: ignore[LS111] */}\n"
        b"    <p dangerouslySetInnerHTML={{ __html: h }} />\n  </div>\n);\n",
    ),
    ("go", b'package main\n\nimport "os/exec"\n\nfunc f(s string) {\n'
           b'\texec.Command("sh", "-c", s) // lantern: ignore[LS102]\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("language", "source"), COMMENTS)
def test_a_marker_in_a_comment_suppresses(language: str, source: bytes):
    assert codes(language, source) == []


# Odd shapes for "ignore on this line": each finding's ignore edit must leave valid code.
ODD_SHAPES = [
    ("python", b"def run(expr):\n    return eval(expr) + \\\n        1\n"),
    ("python", b"def run(expr):\n    return 1 + \\\n        eval(expr)\n"),
    ("python", b'def run(expr):\n    return eval(expr) + len("""\n    x""")\n'),
    ("python", b'def run(expr):\n    return eval(f"""{expr}\n    """)\n'),
    ("python", b"def run(expr):\n    return eval(expr)  # why: trusted\n"),
    ("python", b"def run(expr):\n    return eval(expr)  # lantern: ignore[LB204]\n"),
    ("python", b"def run(expr):\r\n    return eval(expr)\r\n"),
    ("python", b"def run(expr):\n\treturn eval(expr)\n"),
    ("python", b"def run(expr): return eval(expr)"),
    ("python", b"x = [\n    eval(y),  # first\n    eval(z)]\n"),
    ("python", b'def run(a, b):\n    return eval(a) if a == None else eval("""\n""" + b)\n'),
    (
        "javascript",
        b"export function Card({ html }) {\n  return (\n    <div>\n"
        b"      <p dangerouslySetInnerHTML={{ __html: html }} />\n    </div>\n  );\n}\n",
    ),
    (
        "javascript",
        b"export function Card({ html }) {\n"
        b"  return <div><p dangerouslySetInnerHTML={{ __html: html }}>x</p> text</div>;\n}\n",
    ),
    (
        "javascript",
        b"export function Card({ html }) {\n  return (\n    <div>\n      <p\n"
        b"        dangerouslySetInnerHTML={{ __html: html }}\n      />\n    </div>\n  );\n}\n",
    ),
    ("javascript", b"function f(x) {\n  return eval(`${x}\n  `);\n}\n"),
    ("javascript", b"function f(x) {\n  if (x == null) { return eval(x) } // note\n}\n"),
    (
        "tsx",
        b"export const C = ({ h }: { h: string }) => (\n  <section>\n"
        b"    <p dangerouslySetInnerHTML={{ __html: h }} /> text\n  </section>\n);\n",
    ),
    ("go", b'package main\n\nimport "os/exec"\n\nfunc f(s string) {\n'
           b'\texec.Command("sh", "-c", `ls\n`+s)\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("language", "source"), ODD_SHAPES)
def test_every_ignore_edit_leaves_valid_code_and_suppresses_its_finding(language, source):
    spec = language_named(language)
    tree = parse(spec, source)
    errors_before = len(syntax_errors(spec, source, tree))
    found = [f for f in findings(language, source) if f.code != "syntax"]
    assert found
    offered = 0
    for finding in found:
        edit = ignore_edit(spec, source, tree, finding.start_byte, finding.code)
        if edit is None:
            continue
        offered += 1
        fixed = apply_edits(source, [edit])
        assert not adds_syntax_error(spec, source, tree, [edit])
        assert len(syntax_errors(spec, fixed, parse(spec, fixed))) <= errors_before
        after = [f for f in findings(language, fixed) if f.code != "syntax"]
        assert len([f for f in after if f.code == finding.code]) < len(
            [f for f in found if f.code == finding.code]
        ), fixed.decode()
        if b"<" in source:  # JSX: no marker may become rendered text
            assert not [n for n in _nodes(parse(spec, fixed).root_node) if n.type == "jsx_text"
                        and b"lantern" in n.text]  # fmt: skip
    assert offered == len(found)  # every shape above has a valid place for the marker


def _nodes(node):
    yield node
    for child in node.children:
        yield from _nodes(child)


def test_ignore_above_a_backslash_continuation():
    """Case 06: the marker goes on its own line above, never after the backslash."""
    spec = language_named("python")
    source = b"def run(expr):\n    return eval(expr) + \\\n        1\n"
    edit = ignore_edit(spec, source, parse(spec, source), source.index(b"eval"), "LS101")
    assert apply_edits(source, [edit]) == (
        b"def run(expr):\n    # lantern: ignore[LS101]\n    return eval(expr) + \\\n        1\n"
    )


def test_ignore_inside_a_jsx_tag_before_its_end():
    """Case 07: inside the opening tag, before `/>`, where JSX allows a comment."""
    spec = language_named("javascript")
    source = Path(__file__).parent.joinpath("data", "card.jsx").read_bytes()
    start = source.index(b"<p ")
    edit = ignore_edit(spec, source, parse(spec, source), start, "LS111")
    line = apply_edits(source, [edit]).decode().splitlines()[3:5]
    assert line == [
        "      <p dangerouslySetInnerHTML={{ __html: html }} // lantern: ignore[LS111]",
        "      />",
    ]


RULE_FIXTURES = sorted((Path(__file__).parents[1] / "rules").rglob("*.*"))


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=lambda p: p.name)
def test_every_fix_in_the_rule_fixtures_parses(path: Path):
    """The rules' own fixes never add a syntax error (edits.py would refuse them)."""
    from lantern.analysis.rules.model import Fix

    spec = detect_language(str(path))
    source = path.read_bytes()
    tree = parse(spec, source)
    for finding in analyse(spec, source, tree):
        data = (finding.data or {}).get("fix")
        if data is not None:
            fix = Fix.from_data(data)
            assert not adds_syntax_error(spec, source, tree, fix.edits), (finding, fix)
