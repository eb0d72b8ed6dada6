"""Every rule against the fixture files in tests/rules/.

A fixture marks each expected finding with `expect: CODE` on the line where it starts
(`expect-next: CODE` for the following line); every other line must stay quiet, which
is how the traps (correct code that tools often flag) are tested. A `select: CODES`
line enables rules that are off by default; preview rules run too. Fixes are applied,
re-parsed and re-checked.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import analyse
from lantern.analysis.findings import Finding
from lantern.analysis.fixes import apply_edits, combine
from lantern.analysis.languages import LanguageSpec, detect_language, language_named, parse
from lantern.analysis.rules.model import Fix

FIXTURES = Path(__file__).parents[1] / "rules"
CASES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and detect_language(p.name))
_EXPECT = re.compile(r"expect(?P<next>-next)?:\s*(?P<codes>(?:(?:L[SBPC]\d{3}|syntax)\s*)+)")
_SELECT = re.compile(r"select:\s*([A-Z0-9, ]+)")


def expected(text: str) -> Counter[tuple[int, str]]:
    found: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _EXPECT.finditer(line):
            target = number + 1 if match.group("next") else number
            for code in match.group("codes").split():
                found[(target, code)] += 1
    return found


def options_for(text: str) -> RuleOptions:
    """Every stable and preview rule (fixtures test what each rule finds), plus the rules
    off by default that a `select:` line names."""
    match = _SELECT.search(text)
    codes = tuple(c.strip() for c in match.group(1).split(",")) if match else ()
    return RuleOptions(extend_select=codes, preview=True)


def run(language: LanguageSpec, source: bytes, options: RuleOptions) -> list[Finding]:
    return analyse(language, source, parse(language, source), options)


def line_of(source: bytes, byte: int) -> int:
    return source.count(b"\n", 0, byte) + 1


@pytest.mark.parametrize("path", CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_are_exactly_the_expected_ones(path: Path):
    text = path.read_text()
    language = detect_language(path.name)
    source = text.encode()
    findings = run(language, source, options_for(text))
    actual = Counter((line_of(source, f.start_byte), f.code) for f in findings)
    missing, unexpected = expected(text) - actual, actual - expected(text)
    assert not missing and not unexpected, f"missing: {sorted(missing)}, unexpected: " + ", ".join(
        f"{line}:{code} {next(f.message for f in findings if f.code == code)}"
        for line, code in sorted(unexpected)
    )


def _fixed_cases() -> list[tuple[Path, int]]:
    cases = []
    for path in CASES:
        text = path.read_text()
        source = text.encode()
        for number, finding in enumerate(
            run(detect_language(path.name), source, options_for(text))
        ):
            if (finding.data or {}).get("fix"):
                cases.append((path, number))
    return cases


@pytest.mark.parametrize(
    "path,number",
    _fixed_cases(),
    ids=lambda v: str(v.relative_to(FIXTURES)) if isinstance(v, Path) else str(v),
)
def test_each_fix_parses_and_removes_its_finding(path: Path, number: int):
    text = path.read_text()
    language = detect_language(path.name)
    options = options_for(text)
    source = text.encode()
    before = run(language, source, options)
    finding = before[number]
    fix = Fix.from_data(finding.data["fix"])
    assert fix is not None and fix.edits
    fixed = apply_edits(source, fix.edits)
    after = run(language, fixed, options)
    syntax = [f for f in after if f.code == "syntax"]
    assert len(syntax) <= len([f for f in before if f.code == "syntax"]), fixed.decode()
    same_code = Counter(f.code for f in after)[finding.code]
    assert same_code < Counter(f.code for f in before)[finding.code], fixed.decode()


def safe_fixes(path: Path) -> list[Fix | None]:
    text = path.read_text()
    findings = run(detect_language(path.name), text.encode(), options_for(text))
    return [
        Fix.from_data(f.data["fix"]) for f in findings if (f.data or {}).get("fix", {}).get("safe")
    ]


FIX_ALL_CASES = [path for path in CASES if safe_fixes(path)]


def test_some_fixtures_have_safe_fixes_for_fix_all():
    assert len(FIX_ALL_CASES) >= 3


@pytest.mark.parametrize("path", FIX_ALL_CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fix_all_applies_every_safe_fix_cleanly(path: Path):
    text = path.read_text()
    language = detect_language(path.name)
    options = options_for(text)
    safe = safe_fixes(path)
    fixed = apply_edits(text.encode(), combine(safe))
    after = run(language, fixed, options)
    assert not [f for f in after if f.code == "syntax"], fixed.decode()
    remaining_safe = [f for f in after if (f.data or {}).get("fix", {}).get("safe")]
    assert len(remaining_safe) < len(safe)


def test_fixtures_cover_every_default_rule_in_every_language_it_supports():
    from lantern.analysis.rules import catalogue

    covered: set[tuple[str, str]] = set()
    for path in CASES:
        family = {"typescript": "javascript", "tsx": "javascript"}.get(
            detect_language(path.name).name, detect_language(path.name).name
        )
        covered |= {(family, code) for _, code in expected(path.read_text())}
    for rule in catalogue():
        families = {
            {"typescript": "javascript", "tsx": "javascript"}.get(n, n) for n in rule.languages
        }
        for family in families:
            assert (family, rule.code) in covered, f"{rule.code} has no {family} fixture"


def test_python_language_is_the_one_the_fixtures_use():
    assert language_named("python") is detect_language("x.py")
