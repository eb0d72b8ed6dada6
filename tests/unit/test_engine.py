"""The engine: rule selection, severities, suppression comments, incremental analysis,
robustness, and the generated rule documentation."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import (
    _common_prefix,
    _common_suffix,
    analyse,
    analyse_document,
    prepare_edits,
)
from lantern.analysis.findings import Severity
from lantern.analysis.fixes import apply_edits, ignore_edit
from lantern.analysis.languages import LANGUAGES, language_named, parse
from lantern.analysis.rules import catalogue, rule_by_code
from lantern.analysis.rules.docs import render
from lantern.analysis.rules.model import FACTS_BY_STATEMENT

PYTHON = language_named("python")
SOURCE = b"import os\n\ndef f(cmd, x):\n    os.system(cmd)\n    if x == None:\n        return 1\n"


def codes(source: bytes, options: RuleOptions | None = None, language=PYTHON) -> list[str]:
    return [f.code for f in analyse(language, source, parse(language, source), options)]


@pytest.mark.parametrize(
    "select,extend,ignore,expected",
    [
        ((), (), (), ["LS102", "LB204"]),
        ((), (), ("LS",), ["LB204"]),
        ((), (), ("LB204",), ["LS102"]),
        (("LS",), (), (), ["LS102"]),  # select restricts to what it names
        (("LB204",), (), ("LB",), ["LB204"]),  # the more specific entry wins
        (("LB",), (), ("LB204",), []),
        ((), ("LB204",), ("LB",), ["LS102", "LB204"]),  # extend-select adds
        (("LS",), ("LB",), (), ["LS102", "LB204"]),
        ((), (), ("ALL",), []),
        (("LS102",), (), ("ALL",), ["LS102"]),
    ],
)
def test_select_restricts_extend_select_adds_ignore_removes(select, extend, ignore, expected):
    options = RuleOptions(select=select, extend_select=extend, ignore=ignore)
    assert codes(SOURCE, options) == expected


@pytest.mark.parametrize(
    "options,enabled",
    [
        (RuleOptions(), False),
        (RuleOptions(select=("ALL",)), False),
        (RuleOptions(extend_select=("LB",)), False),  # a prefix is not an explicit choice
        (RuleOptions(extend_select=("LB204",)), True),
        (RuleOptions(select=("lb204",)), True),
        (RuleOptions(preview=True), True),
        (RuleOptions(preview=True, ignore=("LB204",)), False),
        (RuleOptions(preview=True, select=("LS",)), False),
    ],
)
def test_preview_rules_run_with_preview_or_when_selected_by_code(options, enabled):
    from dataclasses import replace

    from lantern.analysis.rules.selection import is_enabled

    rule = replace(rule_by_code("LB204"), preview=True)
    assert is_enabled(rule, options) is enabled


def test_rules_off_by_default_run_when_selected():
    source = b"def f(a):\n" + b"".join(
        b"    if a == %d:\n        return %d\n" % (i, i) for i in range(12)
    )
    assert "LC401" not in codes(source)
    assert "LC401" in codes(source, RuleOptions(extend_select=("LC",)))
    assert "LC401" not in codes(source, RuleOptions(select=("LC",), complexity_threshold=20))


def test_severity_override_by_code_and_prefix():
    options = RuleOptions(severity=(("LB204", "hint"), ("LS", "information")))
    findings = analyse(PYTHON, SOURCE, parse(PYTHON, SOURCE), options)
    assert {f.code: f.severity for f in findings} == {
        "LS102": Severity.INFORMATION,
        "LB204": Severity.HINT,
    }


@pytest.mark.parametrize(
    "line,expected",
    [
        (b"    os.system(cmd)  # lantern: ignore[LS102]\n", []),
        (b"    os.system(cmd)  # lantern: ignore[LB204, LS102]\n", []),
        (b"    os.system(cmd)  # lantern: ignore\n", []),
        (b"    os.system(cmd)  # lantern: ignore[LB204]\n", ["LS102"]),
        (b"    # lantern: ignore[LS102]\n    os.system(cmd)\n", []),
        (b"    x = 1  # lantern: ignore[LS102]\n    os.system(cmd)\n", ["LS102"]),
        (b"    os.system(cmd)  // lantern: ignore[LS102]\n", ["syntax", "LS102"]),
    ],
)
def test_suppression_comments(line, expected):
    source = b"import os\n\ndef f(cmd):\n" + line
    assert codes(source) == expected


def test_syntax_errors_are_never_suppressed():
    assert codes(b"def f(:  # lantern: ignore\n    pass\n") == ["syntax"]


def test_ignore_edit_appends_or_extends_the_comment():
    tree = parse(PYTHON, SOURCE)
    start = SOURCE.index(b"x == None")
    once = apply_edits(SOURCE, [ignore_edit(PYTHON, SOURCE, tree, start, "LB204")])
    assert b"    if x == None:  # lantern: ignore[LB204]\n" in once
    again = apply_edits(once, [ignore_edit(PYTHON, once, parse(PYTHON, once), start, "LS999")])
    assert b"# lantern: ignore[LB204, LS999]\n" in again
    assert codes(once) == ["LS102"]


def test_ignore_edit_goes_above_a_line_that_ends_inside_a_string():
    source = b'import os\nos.system(f"""ls {d}\n""")\n'
    edit = ignore_edit(PYTHON, source, parse(PYTHON, source), source.index(b'f"""'), "LS102")
    fixed = apply_edits(source, [edit])
    assert fixed.startswith(b'import os\n# lantern: ignore[LS102]\nos.system(f"""ls {d}')
    assert codes(fixed) == []


def test_ignore_edit_uses_the_language_comment():
    js = language_named("javascript")
    source = b"if (a == b) { go(); }\n"
    edit = ignore_edit(js, source, parse(js, source), 4, "LB211")
    assert apply_edits(source, [edit]) == b"if (a == b) { go(); } // lantern: ignore[LB211]\n"


# -- incremental analysis ---------------------------------------------------------------

FIXTURE_DIR = Path(__file__).parents[1] / "rules"
FIXTURE = (FIXTURE_DIR / "python" / "bugs.py").read_bytes()


def _edit(source: bytes, start: int, end: int, text: bytes) -> bytes:
    return source[:start] + text + source[end:]


def test_edit_inside_a_function_reanalyses_only_that_function():
    first = analyse_document(PYTHON, FIXTURE, parse(PYTHON, FIXTURE))
    where = FIXTURE.index(b"def loop_value(items):") + len(b"def loop_value(items):\n")
    changed = _edit(FIXTURE, where, where, b"    if items == None:\n        pass\n")
    second = analyse_document(PYTHON, changed, parse(PYTHON, changed), previous=first)
    assert second.reanalysed is not None and len(second.reanalysed) == 1
    start, end = second.reanalysed[0]
    assert changed[start:end].startswith(b"def loop_value") and end - start < 200
    assert second.findings == tuple(analyse(PYTHON, changed, parse(PYTHON, changed)))


def test_prepared_edits_derive_only_the_changed_statements_facts(monkeypatch):
    """`prepare_edits` (idle time after a full analysis) leaves the next edit to derive
    the facts of the statements it changed alone, with the same result."""
    first = analyse_document(PYTHON, FIXTURE, parse(PYTHON, FIXTURE))
    prepare_edits(PYTHON, first)
    statements = parse(PYTHON, FIXTURE).root_node.child_count
    assert len(first.statement_facts) == len(set(first.statement_facts)) > 10
    by_statement = FACTS_BY_STATEMENT["python"]
    derived: list[int] = []

    def counting(ctx, nodes):
        derived.append(len(nodes))
        return original(ctx, nodes)

    original = by_statement.parts
    monkeypatch.setitem(FACTS_BY_STATEMENT, "python", replace(by_statement, parts=counting))
    where = FIXTURE.index(b"def loop_value(items):") + len(b"def loop_value(items):\n")
    changed = _edit(FIXTURE, where, where, b"    if items == None:\n        pass\n")
    second = analyse_document(PYTHON, changed, parse(PYTHON, changed), previous=first)
    assert derived == [1] and statements > 10
    assert second.interface == first.interface
    assert second.findings == tuple(analyse(PYTHON, changed, parse(PYTHON, changed)))


def test_far_apart_regions_are_reanalysed_apart_and_equal_a_full_analysis():
    """An edit in a class re-runs every statement that uses the class's name; uses at
    both ends of a long file run as two passes, not one over everything in between."""
    filler = b"".join(b"def f%d(x):\n    return eval(x) + %d\n\n" % (i, i) for i in range(800))
    source = (
        b"class Shape:\n    sides = 4\n\n    def area(self):\n        return 1\n\n\n"
        + b"first = Shape()\n\n"
        + filler
        + b"last = Shape()\nif last == None:\n    pass\n"
    )
    first = analyse_document(PYTHON, source, parse(PYTHON, source))
    where = source.index(b"sides = 4")
    changed = _edit(source, where, where + len(b"sides = 4"), b"sides = eval(4)")
    second = analyse_document(PYTHON, changed, parse(PYTHON, changed), previous=first)
    assert second.reanalysed is not None
    assert second.reanalysed[0][0] == 0 and second.reanalysed[-1][1] > len(changed) - 60
    assert sum(end - start for start, end in second.reanalysed) < len(changed) // 10
    assert second.findings == tuple(analyse(PYTHON, changed, parse(PYTHON, changed)))


def test_edit_of_imports_reanalyses_everything():
    first = analyse_document(PYTHON, FIXTURE, parse(PYTHON, FIXTURE))
    changed = FIXTURE.replace(b"import socket\n", b"import socket as sockets\n")
    second = analyse_document(PYTHON, changed, parse(PYTHON, changed), previous=first)
    assert second.reanalysed is None


EDIT_TEXTS = [
    b"",
    b"x",
    b"\n",
    b"    ",
    b"return 1\n",
    b"(",
    b'"',
    b"if a == None:\n    ",
    b"def g():\n",
]


INCREMENTAL_FIXTURES = [
    (language_named(language), (FIXTURE_DIR / folder / name).read_bytes())
    for language, folder, name in [
        ("python", "python", "bugs.py"),
        ("python", "python", "security.py"),
        ("javascript", "javascript", "bugs.js"),
        ("javascript", "javascript", "security.js"),
        ("go", "go", "bugs.go"),
        ("go", "go", "security.go"),
    ]
]


@settings(max_examples=90, deadline=None)
# Recovery cut a Go function into top-level pieces; the edit deleted `defer g.Close()`,
# so the `os.Open` in another piece had a finding that only a full analysis found.
@example(position=274, length=31, text=b"", steps=3, fixture=4)
@given(
    st.integers(0, 10_000),
    st.integers(0, 40),
    st.sampled_from(EDIT_TEXTS),
    st.integers(0, 3),
    st.sampled_from(range(len(INCREMENTAL_FIXTURES))),
)
def test_incremental_result_equals_a_full_analysis(position, length, text, steps, fixture):
    language, source = INCREMENTAL_FIXTURES[fixture]
    rng = random.Random(position)
    previous = analyse_document(language, source, parse(language, source))
    for _ in range(steps + 1):
        start = rng.randrange(len(source))
        source = _edit(source, start, min(len(source), start + length), text)
        tree = parse(language, source)
        previous = analyse_document(language, source, tree, previous=previous)
        assert previous.findings == tuple(analyse(language, source, parse(language, source)))


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([spec.name for spec in LANGUAGES]))
def test_analysis_never_raises_on_arbitrary_bytes(data, name):
    language = language_named(name)
    analyse(language, data, parse(language, data), RuleOptions(select=("ALL",)))


def test_each_rule_is_documented_and_its_code_follows_the_scheme():
    seen = set()
    for rule in catalogue():
        assert rule.code[:2] in ("LS", "LB", "LP", "LC") and rule.code[2:].isdigit()
        assert rule.name not in seen and rule.examples and rule.checks
        seen.add(rule.name)
        assert rule_by_code(rule.code) is rule


def test_docs_rules_md_is_current():
    documented = Path(__file__).parents[2] / "docs" / "rules.md"
    assert documented.read_text() == render(), (
        "docs/rules.md is stale: run `python -m lantern.analysis.rules.docs > docs/rules.md`"
    )


@pytest.mark.parametrize(
    "path", sorted((FIXTURE_DIR / "python").glob("*.py")), ids=lambda path: path.name
)
def test_file_facts_combined_by_statement_equal_the_whole_file_ones(path: Path):
    """After an edit the interface is combined from per-statement facts; it must equal
    the one a whole-file computation gives, or every edit would re-analyse everything
    (or, worse, miss a changed fact)."""
    source = path.read_bytes()
    tree = parse(PYTHON, source)
    first = analyse_document(PYTHON, source, tree)
    assert first.interface  # a full analysis computes it over the whole file
    again = analyse_document(PYTHON, source, tree, previous=first)
    assert again.interface == first.interface
    assert again.statement_facts  # ... and this one from the statements


# -- text gates and rewritten patterns (speed, not behaviour) --------------------------------


def test_a_check_that_needs_text_is_left_out_of_the_query_only_for_files_without_it():
    from lantern.analysis.context import FileContext
    from lantern.analysis.engine import _plan, _query_for

    options = RuleOptions()
    plan = _plan(PYTHON, options)
    assert any(needle == b"async" for needle, _ in plan.gates)
    for source, opened in ((b"def f():\n    g()\n", False), (b"async def f():\n    g()\n", True)):
        ctx = FileContext(PYTHON, source, parse(PYTHON, source), options)
        assert (_query_for(ctx, plan) is not plan.query) == opened


def test_missing_await_is_still_found_when_async_appears_only_in_the_definitions():
    source = (
        b"async def fetch():\n    pass\n\n\nasync def main():\n    fetch()\n    await fetch()\n"
    )
    assert codes(source) == ["LB212"]


@pytest.mark.parametrize(
    "source,expected",
    [
        (b"def f():\n    return 1\n    g()\n", ["LB205"]),
        (b"for x in y:\n    if x:\n        continue\n        g()\n", ["LB205"]),
        (b"def f():\n    return 1\n    # a comment only\n", []),
        (b"def f():\n    g()\n    return 1\n", []),
        (b"raise SystemExit\ng()\n", []),  # a module-level jump is not in a block
        (b"def f():\n    raise ValueError\n    yield\n", []),  # the generator idiom
    ],
)
def test_unreachable_code_after_a_jump_in_a_block(source, expected):
    assert codes(source) == expected


@pytest.mark.parametrize(
    "source,expected",
    [
        # Spaces, but a shape marker: not prose, still reported.
        (b'KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEow IBAAKCAQEA\n"""\n', ["LS104"]),
        (b'URL = "see postgresql://admin:Tr0ub4dor3@db.internal/app now"\n', ["LS104"]),
        (b'API = "token sk-proj-Abcdefghijklmnopqrstuvwxyz0123"\n', ["LS104"]),
        (b'password = "hunter2 is not a secret here"\n', []),  # prose
        (b'password = "Tr0ub4dor&3"\n', ["LS104"]),  # no space: the full test
    ],
)
def test_python_prose_prefilter_lets_every_secret_through(source, expected):
    assert codes(source) == expected


@pytest.mark.parametrize(
    "source,expected",
    [
        (b"def f():\n    x = 1\n    return x\n", []),  # the first mention is the assignment
        (b"def f():\n    x += 1\n    return x\n", ["LB206"]),  # augmenting reads it first
        (b"def f():\n    print(x)\n    x = 1\n", ["LB206"]),
        (b"def f():\n    x, y = 1, 2\n    return x\n", []),
        (b"def f(x):\n    x = 1\n    return x\n", []),  # a parameter
        (b"def f(x):\n    print(x)\n    x = 1\n", []),  # a parameter read, then rebound
        (b"def f(y):\n    print(x)\n    x = 1\n", ["LB206"]),
    ],
)
def test_used_before_assignment_shortcut_for_a_plain_assignment(source, expected):
    assert codes(source) == expected


@pytest.mark.parametrize("before", [True, False])
def test_a_failing_check_keeps_its_earlier_hits_and_the_other_checks(monkeypatch, before):
    from lantern.analysis.rules.model import Check

    rule = rule_by_code("LB204")
    assert rule is not None

    def wrap(original):
        def broken(ctx, captures):
            if before:
                yield from original(ctx, captures)
            raise RuntimeError("a broken check")

        return broken

    checks = [Check(c.languages, c.query, wrap(c.function), c.needs) for c in rule.checks]
    monkeypatch.setattr(rule, "checks", checks)
    options = RuleOptions(max_nesting_depth=97 if before else 98)  # plans of their own
    assert codes(SOURCE, options) == (["LS102", "LB204"] if before else ["LS102"])


def test_an_analysis_not_kept_for_reuse_makes_the_next_one_start_from_scratch():
    first = analyse_document(PYTHON, SOURCE, parse(PYTHON, SOURCE), reusable=False)
    assert first.interface == ()  # the file-wide facts were not computed
    assert [f.code for f in first.findings] == codes(SOURCE)
    edited = SOURCE.replace(b"return 1", b"return 2")
    second = analyse_document(PYTHON, edited, parse(PYTHON, edited), previous=first)
    assert second.reanalysed is None  # no interface to compare: a full analysis
    assert second.findings == tuple(analyse(PYTHON, edited, parse(PYTHON, edited)))


@pytest.mark.parametrize(
    "source,expected",
    [
        (b'def g():\n    f = open("x")\n    return 1\n', ["LB210"]),
        (b'def open(p):\n    pass\n\ndef g():\n    f = open("x")\n    return 1\n', []),
        (b'from io import open as op\ndef g():\n    f = op("x")\n    return 1\n', ["LB210"]),
    ],
)
def test_interesting_calls_by_name_alias_and_shadowing(source, expected):
    assert codes(source) == expected


_BOTH = b"def f():\n    print(x)\n    x = 1\n    return f()\n"


@pytest.mark.parametrize(
    "options,expected",
    [
        (RuleOptions(), ["LB206", "LB207"]),  # one shared pattern serves both rules
        (RuleOptions(select=("LB207",)), ["LB207"]),
        (RuleOptions(ignore=("LB207",)), ["LB206"]),
        (RuleOptions(preview=True), ["LB206", "LB207"]),  # LB214 shares it too
    ],
)
def test_checks_sharing_a_pattern_each_get_every_match(options, expected):
    from lantern.analysis.engine import _plan

    assert sorted(codes(_BOTH, options)) == expected
    shared = [o for o in _plan(PYTHON, RuleOptions()).owners if isinstance(o, tuple)]
    assert any(len(checks) > 1 for checks in shared)


def test_a_file_queried_in_slices_gets_the_same_findings_with_and_without_a_budget():
    from lantern.analysis.engine import _SLICE

    unit = b"def f%d(x):\n    if x == None:\n        return 1\n    return f%d(x)\n\n\n"
    source = b"".join(unit % (i, i) for i in range(4000))
    assert len(source) > 2 * _SLICE
    tree = parse(PYTHON, source)
    unbudgeted = analyse_document(PYTHON, source, tree)
    budgeted = analyse_document(PYTHON, source, tree, budget_ms=10**9)
    assert budgeted.stopped_after_ms is None
    assert unbudgeted.findings == budgeted.findings
    assert len(unbudgeted.findings) == 4000


@settings(max_examples=300)
@given(st.integers(0, 9_000), st.integers(0, 2**32), st.data())
def test_an_edit_is_located_by_the_common_prefix_and_suffix_of_the_two_texts(
    length: int, seed: int, data: st.DataObject
):
    # Texts of three letters, as long as two of the comparison's blocks (4,096 bytes);
    # edits anywhere, and often at a block's edge.
    old = bytes(random.Random(seed).choices(b"abc", k=length))
    edges = [
        at
        for n in (4_096, 8_192)
        for at in (n - 1, n, n + 1, len(old) - n - 1, len(old) - n, len(old) - n + 1)
        if 0 <= at <= len(old)
    ]
    anywhere = st.integers(0, len(old))
    start = data.draw(st.one_of(anywhere, st.sampled_from(edges)) if edges else anywhere)
    if start < len(old) and data.draw(st.booleans()):  # one byte changed: a typo fixed
        end, inserted = start + 1, b"d"
    else:
        end, inserted = data.draw(st.integers(start, len(old))), data.draw(st.binary(max_size=6))
    new = old[:start] + inserted + old[end:]
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    shortest = min(len(old), len(new))
    assert old[:prefix] == new[:prefix]
    assert prefix == shortest or old[prefix] != new[prefix]
    assert prefix + suffix <= shortest
    assert old[len(old) - suffix :] == new[len(new) - suffix :]
    at_old, at_new = len(old) - suffix - 1, len(new) - suffix - 1
    assert prefix + suffix == shortest or old[at_old] != new[at_new]
