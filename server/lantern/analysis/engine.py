"""The analysis entry point: every finding for one parsed file. Pure and deterministic.

`analyse` runs the syntax check and every enabled rule; `analyse_document` does the
same but, given the previous `Analysis` of the same document, re-runs rules only where
the tree changed (tree-sitter `changed_ranges` plus the edited bytes, widened to the
enclosing function) and keeps the other findings, shifted. An edit that touches
imports, function signatures or module-level code re-analyses the whole file, because
rules resolve names through them.

It never raises on any input (a failing check is skipped) and knows nothing of LSP;
the server and `lantern check` both call it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from tree_sitter import Node, Query, QueryCursor, Tree

from lantern.analysis.context import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    FileContext,
    RuleOptions,
    compiled_query,
)
from lantern.analysis.findings import Finding, Severity
from lantern.analysis.languages import LanguageSpec
from lantern.analysis.rules import catalogue
from lantern.analysis.rules.model import Check, Hit, Rule
from lantern.analysis.suppression import apply_suppressions
from lantern.analysis.syntax import syntax_findings

log = logging.getLogger(__name__)

__all__ = [
    "Analysis",
    "RuleOptions",
    "analyse",
    "analyse_document",
    "enabled_rules",
    "rule_options",
]

# What rules learn about a file beyond one function: its imports and its functions'
# signatures (names, `async`, Go result types). A change there re-analyses everything.
_INTERFACE_QUERIES = {
    "python": """
        [(import_statement) (import_from_statement) (future_import_statement)] @i
        (function_definition body: (_) @body) @header
    """,
    "javascript": """
        [(import_statement)
         (call_expression function: (identifier) @f (#eq? @f "require"))] @i
        [(function_declaration body: (_) @body)
         (method_definition body: (_) @body)
         (arrow_function body: (_) @body)
         (function_expression body: (_) @body)] @header
    """,
    "go": """
        (import_declaration) @i
        [(function_declaration body: (_) @body) (method_declaration body: (_) @body)] @header
    """,
}


@dataclass(frozen=True, slots=True)
class Analysis:
    """The result of analysing one version of a document, reusable for the next one."""

    language: str
    source: bytes
    tree: Tree
    options: RuleOptions
    rule_findings: tuple[Finding, ...]  # before suppression comments are applied
    findings: tuple[Finding, ...]  # what to report
    reanalysed: tuple[tuple[int, int], ...] | None = None  # byte ranges re-run; None = all


def rule_options(rules: Any) -> RuleOptions:
    """RuleOptions from a `lantern.config.RulesSettings` (or anything with its fields)."""
    if rules is None:
        return RuleOptions()
    return RuleOptions(
        select=tuple(rules.select),
        ignore=tuple(rules.ignore),
        severity=tuple(sorted((code, str(level)) for code, level in rules.severity.items())),
        complexity_threshold=rules.complexity_threshold,
        max_nesting_depth=rules.max_nesting_depth,
    )


def analyse(
    language: LanguageSpec, source: bytes, tree: Tree, options: RuleOptions | None = None
) -> list[Finding]:
    """All findings for `source` (parsed as `tree`), sorted by position."""
    return list(analyse_document(language, source, tree, options).findings)


def analyse_document(
    language: LanguageSpec,
    source: bytes,
    tree: Tree,
    options: RuleOptions | None = None,
    previous: Analysis | None = None,
) -> Analysis:
    """Analyse `source`, reusing `previous` (the same document's last analysis) if possible."""
    options = options or RuleOptions()
    ctx = FileContext(language, source, tree, options)
    regions: list[tuple[int, int]] | None = None
    if previous is not None and previous.language == language.name and previous.options == options:
        regions = _changed_regions(ctx, previous)
    if previous is None or regions is None:
        rule_findings = _run_rules(ctx, None)
    else:
        rule_findings = _merge(ctx, previous, regions)
    syntax = syntax_findings(tree)
    reported = apply_suppressions(rule_findings, source, language.line_comment)
    findings = tuple(sorted([*syntax, *reported], key=_order))
    return Analysis(
        language.name,
        source,
        tree,
        options,
        tuple(rule_findings),
        findings,
        None if regions is None else tuple(regions),
    )


def _order(finding: Finding) -> tuple[int, int, str]:
    return (finding.start_byte, finding.end_byte, finding.code)


# -- which rules run ----------------------------------------------------------------------


def _longest_prefix(code: str, prefixes: Sequence[str]) -> int:
    """Length of the longest of `prefixes` that `code` starts with; -1 when none does."""
    best = -1
    for prefix in prefixes:
        normal = prefix.strip().upper()
        if normal in ("ALL", "") or code.startswith(normal):
            best = max(best, 0 if normal in ("ALL", "") else len(normal))
    return best


def is_enabled(rule: Rule, options: RuleOptions) -> bool:
    """Defaults, then `select`/`ignore` by code prefix: the most specific match wins;
    on a tie, `ignore` wins."""
    selected = _longest_prefix(rule.code, options.select)
    ignored = _longest_prefix(rule.code, options.ignore)
    if selected < 0 and ignored < 0:
        return rule.default_enabled
    return selected > ignored


def severity_of(rule: Rule, options: RuleOptions) -> Severity:
    best, chosen = -1, rule.severity
    for prefix, value in options.severity:
        length = _longest_prefix(rule.code, (prefix,))
        if length > best:
            try:
                best, chosen = length, Severity(value)
            except ValueError:
                continue
    return chosen


@cache
def enabled_rules(language: str, options: RuleOptions) -> tuple[tuple[Rule, Check, Severity], ...]:
    """(rule, check, severity) for every enabled rule with a check for `language`."""
    chosen = []
    for rule in catalogue():
        if not is_enabled(rule, options):
            continue
        severity = severity_of(rule, options)
        for check in rule.checks:
            if language in check.languages:
                chosen.append((rule, check, severity))
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class _Plan:
    """All enabled query checks of a language fused into one query (one tree traversal),
    with the owner of each pattern; plus the checks that run once per region."""

    query: Query | None
    owners: tuple[tuple[Rule, Check, Severity], ...]  # by pattern index
    regional: tuple[tuple[Rule, Check, Severity], ...]


@cache
def _plan(language: LanguageSpec, options: RuleOptions) -> _Plan:
    sources, owners, regional = [], [], []
    for entry in enabled_rules(language.name, options):
        check = entry[1]
        if not check.query:
            regional.append(entry)
            continue
        try:
            patterns = compiled_query(language, check.query).pattern_count
        except Exception:  # e.g. JSX node types in the plain TypeScript grammar
            log.debug("rule %s has no usable query for %s", entry[0].code, language.name)
            continue
        sources.append(check.query)
        owners.extend([entry] * patterns)
    query = Query(language.grammar, "\n".join(sources)) if sources else None
    return _Plan(query, tuple(owners), tuple(regional))


# -- running ------------------------------------------------------------------------------


def _run_rules(ctx: FileContext, region: tuple[int, int] | None) -> list[Finding]:
    findings: dict[tuple[str, int, int], Finding] = {}
    ctx.region = region
    plan = _plan(ctx.language, ctx.options)

    def report(rule: Rule, severity: Severity, hits: Iterable[Hit]) -> None:
        for hit in hits:
            if region is not None and not region[0] <= hit.start < region[1]:
                continue
            finding = _finding(rule, severity, hit)
            findings.setdefault((finding.code, hit.start, hit.end), finding)

    if plan.query is not None:
        cursor = QueryCursor(plan.query)
        if region is not None:
            cursor.set_byte_range(*region)
        for pattern, captures in cursor.matches(ctx.tree.root_node):
            rule, check, severity = plan.owners[pattern]
            try:
                report(rule, severity, check.function(ctx, captures))
            except Exception:  # a broken check must not take the others down
                log.exception("rule %s failed on a %s file", rule.code, ctx.language.name)
    for rule, check, severity in plan.regional:
        try:
            report(rule, severity, check.function(ctx, {}))
        except Exception:
            log.exception("rule %s failed on a %s file", rule.code, ctx.language.name)
    return list(findings.values())


def _finding(rule: Rule, severity: Severity, hit: Hit) -> Finding:
    data: dict[str, object] = {"rule": rule.name}
    if hit.fix is not None:
        data["fix"] = hit.fix.to_data()
    return Finding(
        code=rule.code,
        message=hit.message,
        severity=severity,
        start_byte=hit.start,
        end_byte=hit.end,
        category=str(rule.category),
        data=data,
    )


# -- incremental --------------------------------------------------------------------------


def _changed_regions(ctx: FileContext, previous: Analysis) -> list[tuple[int, int]] | None:
    """Byte ranges of the new source to re-analyse, or None when everything must be."""
    old, new = previous.source, ctx.source
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    if old_end == prefix and new_end == prefix:
        return []
    old_tree = previous.tree.copy()
    old_tree.edit(
        prefix,
        old_end,
        new_end,
        _point(old, prefix),
        _point(old, old_end),
        _point(new, new_end),
    )
    lang_family = ctx.family
    if _interface(ctx, old, previous.tree) != _interface(ctx, new, ctx.tree):
        return None
    spans = [(prefix, max(new_end, prefix + 1))]
    spans += [(r.start_byte, r.end_byte) for r in old_tree.changed_ranges(ctx.tree)]
    # The old tree's enclosing function of the edit, moved into new coordinates.
    old_unit = _unit(previous.tree.root_node, prefix, max(old_end, prefix + 1), lang_family)
    if old_unit is None:
        return None
    delta = len(new) - len(old)
    spans.append(
        (
            old_unit[0] if old_unit[0] <= prefix else old_unit[0] + delta,
            old_unit[1] + delta if old_unit[1] >= old_end else new_end,
        )
    )
    regions = []
    for start, end in spans:
        unit = _unit(ctx.tree.root_node, start, max(end, start + 1), lang_family)
        if unit is None:
            return None
        regions.append(unit)
    return _union(regions)


def _merge(ctx: FileContext, previous: Analysis, regions: list[tuple[int, int]]) -> list[Finding]:
    """Old findings outside `regions` (shifted), plus fresh ones inside them."""
    old, new = previous.source, ctx.source
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    delta = len(new) - len(old)

    def to_old(byte: int) -> int:
        if byte <= prefix:
            return byte
        return byte - delta if byte >= new_end else old_end

    old_regions = [(to_old(start), to_old(end)) for start, end in regions]
    kept = []
    for finding in previous.rule_findings:
        if any(start <= finding.start_byte < end for start, end in old_regions):
            continue
        if finding.start_byte < max(old_end, prefix + 1) and finding.end_byte > prefix:
            continue  # it overlaps the edited bytes
        kept.append(_shift(finding, delta) if finding.start_byte >= old_end else finding)
    fresh = [f for region in regions for f in _run_rules(ctx, region)]
    return [*kept, *fresh]


def _shift(finding: Finding, delta: int) -> Finding:
    moved = finding.shifted(delta)
    fix = (finding.data or {}).get("fix")
    if fix is None:
        return moved
    edits = [[start + delta, end + delta, text] for start, end, text in fix["edits"]]
    return replace(moved, data={**(finding.data or {}), "fix": {**fix, "edits": edits}})


def _unit(root: Node, start: int, end: int, lang_family: str) -> tuple[int, int] | None:
    """The span to re-analyse for a change at [start, end): the outermost function around
    it; None when the change is not inside any function (module-level code)."""
    node = root.descendant_for_byte_range(start, min(end, root.end_byte))
    functions = FUNCTION_TYPES.get(lang_family, frozenset())
    classes = CLASS_TYPES.get(lang_family, frozenset())
    outermost = None
    while node is not None and node != root:
        if node.type in functions:
            outermost = node
        elif node.type in classes:
            break  # a class's own statements can change what its methods mean
        node = node.parent
    if outermost is None:
        return None
    parent = outermost.parent
    if parent is not None and parent.type == "decorated_definition":
        outermost = parent
    if outermost.start_byte > start or outermost.end_byte < min(end, root.end_byte):
        return None
    return (outermost.start_byte, outermost.end_byte)


def _interface(ctx: FileContext, source: bytes, tree: Tree) -> list[bytes]:
    """The file's imports and function headers (text up to each body), in order."""
    query = _INTERFACE_QUERIES.get(ctx.family)
    if query is None:
        return []
    parts: list[tuple[int, bytes]] = []
    for _, captures in QueryCursor(compiled_query(ctx.language, query)).matches(tree.root_node):
        if "i" in captures:
            node = captures["i"][0]
            parts.append((node.start_byte, source[node.start_byte : node.end_byte]))
        else:
            header, body = captures["header"][0], captures["body"][0]
            parts.append((header.start_byte, source[header.start_byte : body.start_byte]))
    return [text for _, text in sorted(parts)]


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    low, high = 0, limit  # binary search on equal prefixes: memcmp speed, not a byte loop
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, prefix: int) -> int:
    limit = min(len(a), len(b)) - prefix
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(source: bytes, byte: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, byte)
    line_start = source.rfind(b"\n", 0, byte) + 1
    return (row, byte - line_start)
