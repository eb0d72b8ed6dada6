"""Analysing one document in another process, for inputs so large that parsing and the
rules' queries would hold the GIL (and so every other request) for seconds. Pure: the
process pool is the protocol edge's (`lantern.lsp.parsing`); this is what runs in it.
"""

from __future__ import annotations

from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import analyse_document
from lantern.analysis.findings import Finding
from lantern.analysis.languages import language_named, parse


def findings_of(
    language: str, source: bytes, options: RuleOptions, budget_ms: int | None
) -> tuple[Finding, ...]:
    """The findings of a fresh analysis of `source` in `language` (a name from
    `lantern.analysis.languages`), as `analyse_document` gives them; () for an unknown
    language."""
    spec = language_named(language)
    if spec is None:
        return ()
    tree = parse(spec, source)
    return analyse_document(spec, source, tree, options, None, budget_ms).findings
