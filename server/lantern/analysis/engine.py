"""The analysis entry point: every finding for one parsed file. Pure and deterministic.

It never raises on any input and knows nothing of LSP; the server and `lantern check`
both call it.
"""

from __future__ import annotations

from tree_sitter import Tree

from lantern.analysis.findings import Finding
from lantern.analysis.languages import LanguageSpec
from lantern.analysis.syntax import syntax_findings


def analyse(language: LanguageSpec, source: bytes, tree: Tree) -> list[Finding]:
    """All findings for `source` (parsed as `tree`), sorted by position."""
    findings = syntax_findings(tree)
    return sorted(findings, key=lambda f: (f.start_byte, f.end_byte, f.code))
