"""The worst-case input suite (issue 11): deep nesting, long lines, thousands of findings,
error recovery over long runs of junk, in every language, each analysed from scratch and
after a two-cursor edit within a generous limit. The limits catch quadratic behaviour
(these inputs took from 40 s to hours before), not speed: figures per input are in
`python benchmarks/bench_worst_cases.py`, at 2 MB.
"""

from __future__ import annotations

import time

import pytest

from lantern.analysis.engine import analyse, analyse_document, rule_options
from lantern.analysis.languages import detect_language, parse
from lantern.config import Settings
from tests.support.worst_cases import binary_chain, cases, scaled_to

SCALE = 3_000  # terms, levels or statements per input
LIMIT_SECONDS = 20.0
OPTIONS = rule_options(Settings().rules)
CASES = list(cases(SCALE))


@pytest.mark.parametrize("name,file_name,text", CASES, ids=[c[0] for c in CASES])
def test_worst_case_input_is_analysed_in_seconds(name: str, file_name: str, text: str):
    spec = detect_language(file_name)
    assert spec is not None
    source = text.encode()
    started = time.monotonic()
    first = analyse_document(spec, source, parse(spec, source), OPTIONS)
    full = time.monotonic() - started
    # A two-cursor edit: the first and the last line change.
    first_line = text.find("\n") + 1
    edited = (text[:first_line] + " " + text[first_line:-1] + " \n").encode()
    started = time.monotonic()
    again = analyse_document(spec, edited, parse(spec, edited), OPTIONS, first)
    incremental = time.monotonic() - started
    assert full < LIMIT_SECONDS, f"{name}: {full:.1f} s from scratch"
    assert incremental < LIMIT_SECONDS, f"{name}: {incremental:.1f} s after an edit"
    assert again.findings == tuple(analyse(spec, edited, parse(spec, edited), OPTIONS))


@pytest.mark.parametrize("language,extension", [("python", ".py"), ("javascript", ".js")])
def test_code_nested_past_what_queries_can_search_gets_a_notice_not_a_hang(
    language: str, extension: str
):
    """tree-sitter's query cursor counts depth in 16 bits: a 70,000-term left-nested
    chain made a query take minutes and return wrong matches."""
    spec = detect_language("case" + extension)
    assert spec is not None
    source = binary_chain(language, 70_000).encode()
    started = time.monotonic()
    findings = analyse(spec, source, parse(spec, source), OPTIONS)
    assert time.monotonic() - started < LIMIT_SECONDS
    assert [f.code for f in findings] == ["lantern"]
    assert "nested more than 65,000 levels" in findings[0].message


def test_error_recovery_over_a_long_run_of_junk_gets_a_notice_not_a_hang():
    """Queries are quadratic in the children of one ERROR node: 2 MB of `(` took hours."""
    spec = detect_language("case.py")
    assert spec is not None
    source = scaled_to("unclosed", "python", 2_000_000).encode()
    started = time.monotonic()
    findings = analyse(spec, source, parse(spec, source), OPTIONS)
    assert time.monotonic() - started < LIMIT_SECONDS
    notices = [f.message for f in findings if f.code == "lantern"]
    assert len(notices) == 1 and notices[0].startswith("Rules did not run: the file does not")
    assert {f.code for f in findings} == {"syntax", "lantern"}
