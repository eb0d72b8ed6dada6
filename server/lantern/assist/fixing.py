"""An AI fix made into an edit the user can trust: applied to a copy, re-parsed,
re-checked with the static rules, and reduced to the lines that really change.

`verify_fix` never touches the user's buffer; it returns a `VerifiedFix` (one byte
range of the original and its replacement) or a `Rejected` reason for the user.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from lantern.analysis.engine import RuleOptions, analyse
from lantern.analysis.findings import Finding
from lantern.analysis.languages import LanguageSpec, parse


@dataclass(frozen=True, slots=True)
class VerifiedFix:
    """Replace bytes [start_byte, end_byte) of the original with `text` (whole lines)."""

    start_byte: int
    end_byte: int
    text: str
    first_line: int  # 1-based, for messages
    last_line: int
    new_problems: tuple[Finding, ...]  # static findings the fix adds (checked on the result)

    @property
    def safe(self) -> bool:
        return not self.new_problems


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a proposed fix is not offered (a sentence for the user)."""

    reason: str


def verify_rewrite(
    original: str, proposed: str, language: LanguageSpec | None, options: RuleOptions
) -> VerifiedFix | Rejected:
    """Compare the whole `proposed` text with `original` and build the minimal edit."""
    if proposed == original:
        return Rejected("the model proposed no change")
    old_lines = original.splitlines(keepends=True)
    new_lines = _with_endings(proposed.splitlines(keepends=True), _line_ending(original))
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return Rejected("the model proposed no change")
    a_start, b_start = changes[0][1], changes[0][3]
    a_end, b_end = changes[-1][2], changes[-1][4]
    new_problems: tuple[Finding, ...] = ()
    if language is not None:
        before = _findings(original, language, options)
        after = _findings(proposed, language, options)
        syntax_before = sum(1 for f in before if f.code == "syntax")
        if sum(1 for f in after if f.code == "syntax") > syntax_before:
            first = next(f for f in after if f.code == "syntax")
            return Rejected(f"the fixed code does not parse ({first.message})")
        new_problems = _added(before, after)
    start_byte = len("".join(old_lines[:a_start]).encode("utf-8", "surrogatepass"))
    end_byte = start_byte + len("".join(old_lines[a_start:a_end]).encode("utf-8", "surrogatepass"))
    return VerifiedFix(
        start_byte=start_byte,
        end_byte=end_byte,
        text="".join(new_lines[b_start:b_end]),
        first_line=a_start + 1,
        last_line=max(a_start + 1, a_end),
        new_problems=new_problems,
    )


def _findings(text: str, language: LanguageSpec, options: RuleOptions) -> list[Finding]:
    source = text.encode("utf-8", "surrogatepass")
    return analyse(language, source, parse(language, source), options)


def _added(before: list[Finding], after: list[Finding]) -> tuple[Finding, ...]:
    """Findings of `after` beyond those `before` had, compared by code and message."""
    remaining = Counter((f.code, f.message) for f in before)
    added = []
    for finding in after:
        key = (finding.code, finding.message)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            added.append(finding)
    return tuple(added)


def _line_ending(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def _with_endings(lines: list[str], ending: str) -> list[str]:
    """The model answers with \\n; keep the file's own line endings."""
    if ending == "\n":
        return lines
    return [line[:-1].rstrip("\r") + ending if line.endswith("\n") else line for line in lines]
