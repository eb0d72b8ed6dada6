"""The protocol-free AI orchestration: review units and the ledger, merging AI with static
findings, verified rewrites, generation targets and the history."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.ai.answers import AIFinding
from lantern.ai.code_blocks import files_in_answer
from lantern.analysis.engine import RuleOptions
from lantern.analysis.findings import Finding, Severity
from lantern.analysis.languages import language_named
from lantern.assist.fixing import Rejected, VerifiedFix, verify_rewrite
from lantern.assist.generation import instruction, path_for_tests, plan_files
from lantern.assist.history import GenerationHistory
from lantern.assist.review import (
    MAX_CLASS_LINES,
    ReviewLedger,
    merge_findings,
    review_units,
)
from lantern.positions import LineIndex

PY = language_named("python")
SOURCE = """import os
import sys


def load(path):
    return risky(path)


LIMIT = 3
print(LIMIT)


class Store:
    def save(self, item):
        return item
"""


def spans(text: str, language: str = "python") -> list[tuple[int, int, str]]:
    spec = language_named(language)
    assert spec is not None
    return [(u.start_line, u.end_line, u.label) for u in review_units(text, spec)]


def test_units_are_functions_classes_and_statement_runs_but_never_bare_imports():
    assert spans(SOURCE) == [
        (5, 6, "function load"),
        (9, 10, "lines 9-10"),
        (13, 15, "class Store"),
    ]


def test_units_in_javascript_and_go():
    js = "import x from 'y';\n\nexport function a() {\n  return 1;\n}\nconst b = () => 2;\n"
    assert spans(js, "javascript") == [(3, 5, "function a"), (6, 6, "lines 6-6")]
    go = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1)\n}\n'
    assert spans(go, "go") == [(5, 7, "function main")]


def test_a_large_class_is_reviewed_method_by_method():
    methods = "".join(f"    def m{i}(self):\n" + "        x = 1\n" * 20 for i in range(8))
    text = "class Big:\n    size = 1\n" + methods
    assert MAX_CLASS_LINES < 8 * 21
    units = spans(text)
    assert units[0] == (1, 2, "class Big")
    assert [label for _, _, label in units[1:]] == [f"Big.m{i}" for i in range(8)]


def finding(line: int, end: int | None = None, severity: str = "warning") -> AIFinding:
    return AIFinding(line=line, end_line=end, severity=severity, message="bad", code="Bad Thing")


def test_ledger_keeps_findings_by_unit_text_and_re_anchors_moved_units():
    assert PY is not None
    ledger = ReviewLedger()
    units = review_units(SOURCE, PY)
    assert ledger.pending(units) == units
    ledger.record(units[0], [finding(6, severity="error")], "m", Severity.WARNING)
    [placed] = ledger.findings(units)
    assert (placed.line, placed.code, placed.severity) == (6, "bad-thing", Severity.WARNING)

    moved = review_units("\n\n" + SOURCE, PY)
    assert ledger.pending(moved) == moved[1:]  # `load` moved but kept its text
    [placed] = ledger.findings(moved)
    assert placed.line == 8

    edited = review_units(SOURCE.replace("risky(path)", "safe(path)"), PY)
    assert edited[0] in ledger.pending(edited)
    assert ledger.findings(edited) == []


def test_ledger_generation_changes_with_every_recorded_answer_and_is_never_reused():
    assert PY is not None
    first, second = ReviewLedger(), ReviewLedger()
    assert first.generation != second.generation
    before = first.generation
    first.record(review_units(SOURCE, PY)[0], [], "m", Severity.WARNING)
    assert first.generation not in (before, second.generation)


def test_retain_forgets_texts_that_left_the_document():
    assert PY is not None
    ledger = ReviewLedger()
    units = review_units(SOURCE, PY)
    for unit in units:
        ledger.record(unit, [], "m", Severity.WARNING)
    kept = review_units(SOURCE.replace("return item", "return None"), PY)
    ledger.retain(kept)
    assert ledger.pending(kept) == [kept[-1]]


def test_static_findings_win_over_ai_findings_on_the_same_lines():
    assert PY is not None
    index = LineIndex(SOURCE)
    line_6 = index.byte_at_position(5, 4, _utf8())
    static = [Finding("LS101", "static", Severity.ERROR, line_6, line_6 + 5)]
    ledger = ReviewLedger()
    units = review_units(SOURCE, PY)
    ledger.record(units[0], [finding(6)], "m", Severity.WARNING)
    ledger.record(units[2], [finding(15)], "m", Severity.WARNING)
    merged = merge_findings(static, ledger.findings(units), index)
    assert [(f.source, f.code) for f in merged] == [
        ("lantern", "LS101"),
        ("lantern-ai", "bad-thing"),
    ]
    ai = merged[1]
    assert index.position_at_byte(ai.start_byte, _utf8()) == (14, 8)  # first non-blank
    assert ai.data is not None and ai.data["ai"]["model"] == "m"


def _utf8():
    from lantern.positions import Encoding

    return Encoding.UTF8


def test_a_verified_rewrite_is_the_minimal_edit_and_lists_new_problems():
    original = "def f(a):\n    x = 1\n    return a\n"
    fixed = verify_rewrite(
        original, original.replace("return a", "return a + x"), PY, RuleOptions()
    )
    assert isinstance(fixed, VerifiedFix) and fixed.safe
    assert original[: fixed.start_byte] == "def f(a):\n    x = 1\n"
    assert (fixed.text, fixed.first_line, fixed.last_line) == ("    return a + x\n", 3, 3)

    risky = original.replace("return a", "import pickle\n    return pickle.loads(a)")
    worse = verify_rewrite(original, risky, PY, RuleOptions())
    assert isinstance(worse, VerifiedFix) and [f.code for f in worse.new_problems] == ["LS105"]


@pytest.mark.parametrize(
    ("proposed", "reason"),
    [("def f(a):\n    x = 1\n    return a\n", "no change"), ("def f(a:\n", "does not parse")],
)
def test_rewrites_that_change_nothing_or_do_not_parse_are_rejected(proposed, reason):
    result = verify_rewrite("def f(a):\n    x = 1\n    return a\n", proposed, PY, RuleOptions())
    assert isinstance(result, Rejected) and reason in result.reason


def test_a_rewrite_keeps_the_files_crlf_line_endings():
    original = "a = 1\r\nb = 2\r\n"
    fixed = verify_rewrite(original, "a = 1\nb = 3\n", PY, RuleOptions())
    assert isinstance(fixed, VerifiedFix) and fixed.text == "b = 3\r\n"


def test_where_generated_tests_go(tmp_path: Path):
    go, js = language_named("go"), language_named("javascript")
    assert path_for_tests(tmp_path / "pkg" / "x.go", tmp_path, go) == tmp_path / "pkg" / "x_test.go"
    assert path_for_tests(tmp_path / "app.py", tmp_path, PY) == tmp_path / "tests" / "test_app.py"
    (tmp_path / "test").mkdir()
    assert (
        path_for_tests(tmp_path / "src" / "app.py", tmp_path, PY)
        == tmp_path / "test" / "test_app.py"
    )
    assert (
        path_for_tests(tmp_path / "src" / "a.js", tmp_path, js) == tmp_path / "test" / "a.test.js"
    )


def test_planned_files_never_overwrite(tmp_path: Path):
    (tmp_path / "app.py").write_text("keep me")
    planned = plan_files(tmp_path, [("app.py", "new"), ("app.py", "newer"), ("lib/b.py", "b")])
    assert [p.path.relative_to(tmp_path).as_posix() for p in planned] == [
        "app.2.py",
        "app.3.py",
        "lib/b.py",
    ]
    assert planned[0].wanted == tmp_path / "app.py" and planned[2].wanted is None
    assert (tmp_path / "app.py").read_text() == "keep me"


def test_each_kind_asks_for_its_own_thing():
    assert instruction("code", "parse the CSV") == "parse the CSV"
    assert "function" in instruction("function", "x") and "HTTP API" in instruction("api", "x")
    assert instruction("unknown", "x") == "x"


def test_files_are_read_from_labelled_blocks_only():
    answer = (
        "Here:\nFile: src/app.py\n```python\nx = 1\n```\n\n"
        "### `tests/test_app.py`\n```python\nimport app\n```\n"
        "**Path:** web/App.tsx\n```tsx\nexport const A = 1;\n```\n"
        "```\nno label\n```"
    )
    assert files_in_answer(answer) == [
        ("src/app.py", "x = 1\n"),
        ("tests/test_app.py", "import app\n"),
        ("web/App.tsx", "export const A = 1;\n"),
    ]


def test_history_survives_a_damaged_entry(tmp_path: Path):
    history = GenerationHistory(tmp_path)
    first = history.add(kind="code", prompt="p", model="m", provider="x", target="file:///a")
    (tmp_path / "0123456789ab.json").write_text("{not json")
    assert [e.id for e in history.entries()] == [first.id]
    assert history.get("../etc/passwd") is None and not history.delete("../x")
