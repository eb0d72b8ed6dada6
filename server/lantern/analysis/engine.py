"""The analysis entry point: every finding for one parsed file. Pure and deterministic.

`analyse` runs the syntax check and every enabled rule; `analyse_document` does the
same but, given the previous `Analysis` of the same document, re-runs rules only where
the tree changed (tree-sitter `changed_ranges` plus the edited bytes, widened to the
enclosing function, or to the top-level statement plus the statements that use the
names it binds; syntax errors widen it to their own statements) and keeps the other
findings, shifted. An edit that changes a file-wide fact the rules depend on (imports,
which functions are async or return errors) re-analyses the whole file.

It never raises on any input (a failing check is skipped) and knows nothing of LSP;
the server and `lantern check` both call it.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable
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
from lantern.analysis.rules.model import FILE_FACTS, Check, Hit, Rule
from lantern.analysis.rules.selection import is_enabled, longest_prefix
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
    interface: tuple[object, ...] = ()  # the file-wide facts rules use (see `_interface`)


def rule_options(rules: Any) -> RuleOptions:
    """RuleOptions from a `lantern.config.RulesSettings` (or anything with its fields)."""
    if rules is None:
        return RuleOptions()
    return RuleOptions(
        select=tuple(rules.select),
        extend_select=tuple(rules.extend_select),
        preview=rules.preview,
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
    catalogue()  # the rule modules register the file facts
    interface = _interface(ctx)
    if previous is not None and previous.language == language.name and previous.options == options:
        regions = _changed_regions(ctx, previous, interface)
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
        interface,
    )


def _order(finding: Finding) -> tuple[int, int, str]:
    return (finding.start_byte, finding.end_byte, finding.code)


# -- which rules run ----------------------------------------------------------------------


def severity_of(rule: Rule, options: RuleOptions) -> Severity:
    best, chosen = -1, rule.severity
    for prefix, value in options.severity:
        length = longest_prefix(rule.code, (prefix,))
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


def _run_rules(ctx: FileContext, regions: list[tuple[int, int]] | None) -> list[Finding]:
    """Run every enabled check, over the whole file or only inside `regions`.

    Regions are served by one pass over their bounding range (one query, one set of
    memoised facts) with matches and hits outside the regions dropped: much cheaper
    than a pass per region when an edit touches many statements.
    """
    findings: dict[tuple[str, int, int], Finding] = {}
    starts = [start for start, _ in regions] if regions else []
    ctx.region = (regions[0][0], regions[-1][1]) if regions else None
    plan = _plan(ctx.language, ctx.options)

    def inside(byte: int) -> bool:
        if regions is None:
            return True
        index = bisect_right(starts, byte) - 1
        return index >= 0 and byte < regions[index][1]

    def report(rule: Rule, severity: Severity, hits: Iterable[Hit]) -> None:
        for hit in hits:
            if inside(hit.start):
                finding = _finding(rule, severity, hit)
                findings.setdefault((finding.code, hit.start, hit.end), finding)

    if regions == []:
        return []
    if plan.query is not None:
        cursor = QueryCursor(plan.query)
        if ctx.region is not None:
            cursor.set_byte_range(*ctx.region)
        for pattern, captures in cursor.matches(ctx.tree.root_node):
            if regions is not None and not inside(next(iter(captures.values()))[0].start_byte):
                continue
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


def _changed_regions(
    ctx: FileContext, previous: Analysis, interface: tuple[object, ...]
) -> list[tuple[int, int]] | None:
    """Byte ranges of the new source to re-analyse, or None when everything must be.

    Each changed span widens to its outermost enclosing function. A span outside any
    function widens to its top-level statement, and then every top-level statement that
    mentions a name bound there (in the old or the new text) is re-analysed too, since
    rules resolve names through module-level assignments.
    """
    old, new = previous.source, ctx.source
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    if old_end == prefix and new_end == prefix:
        return []
    if previous.interface != interface:
        return None
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
    delta = len(new) - len(old)
    names: set[bytes] = set()
    new_spans = [(prefix, max(new_end, prefix + 1))]
    new_spans += [(r.start_byte, r.end_byte) for r in old_tree.changed_ranges(ctx.tree)]
    # Findings that straddle the edit are dropped by the merge: re-find them.
    for finding in previous.rule_findings:
        if finding.start_byte < max(old_end, prefix + 1) and finding.end_byte > prefix:
            new_spans.append((min(finding.start_byte, prefix), max(new_end, prefix + 1)))
    # Where the edit was in the old text, moved into new coordinates.
    old_root = previous.tree.root_node
    for start, end, statements in _units(old_root, prefix, max(old_end, prefix + 1), lang_family):
        names |= _bound_names(statements, old)
        new_spans.append(
            (
                start if start <= prefix else start + delta,
                end + delta if end >= old_end else new_end,
            )
        )
    regions = []
    root = ctx.tree.root_node
    for start, end in new_spans:
        for unit_start, unit_end, statements in _units(
            root, start, max(end, start + 1), lang_family
        ):
            names |= _bound_names(statements, new)
            regions.append((unit_start, unit_end))
    if names:
        for child in root.children:
            if any(_mentions(new, name, child.start_byte, child.end_byte) for name in names):
                regions.append((child.start_byte, child.end_byte))
    merged = _union(regions)
    # Error recovery can move function boundaries: every syntax error, before and after
    # the edit, must lie inside the regions; widen them to the errors' units once.
    moved = [
        (start if start <= prefix else start + delta, end if end <= prefix else end + delta)
        for start, end in _error_spans(old_root)
    ]
    errors = [*moved, *_error_spans(root)]
    outside = [span for span in errors if not _covered(span, merged)]
    if outside:
        for start, end in outside:
            for unit_start, unit_end, statements in _units(
                root, start, max(end, start + 1), lang_family
            ):
                if statements:
                    return None  # a syntax error at module level: structure is unreliable
                regions.append((unit_start, unit_end))
        merged = _union(regions)
        if any(not _covered(span, merged) for span in errors):
            return None
    return merged


def _covered(span: tuple[int, int], regions: list[tuple[int, int]]) -> bool:
    return any(low <= span[0] and span[1] <= high for low, high in regions)


def _error_spans(root: Node) -> list[tuple[int, int]]:
    """The spans of the outermost ERROR and MISSING nodes."""
    if not root.has_error:
        return []
    spans, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            spans.append((node.start_byte, node.end_byte))
        elif node.has_error:
            stack.extend(node.children)
    return spans


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
    fresh = _run_rules(ctx, regions)
    return [*kept, *fresh]


def _shift(finding: Finding, delta: int) -> Finding:
    moved = finding.shifted(delta)
    fix = (finding.data or {}).get("fix")
    if fix is None:
        return moved
    edits = [[start + delta, end + delta, text] for start, end, text in fix["edits"]]
    return replace(moved, data={**(finding.data or {}), "fix": {**fix, "edits": edits}})


def _units(root: Node, start: int, end: int, lang_family: str) -> list[tuple[int, int, list[Node]]]:
    """The spans to re-analyse for a change at [start, end): the outermost function
    around it, else the top-level statements it touches (returned for name lookups)."""
    end = min(end, root.end_byte)
    node = root.descendant_for_byte_range(start, end)
    functions = FUNCTION_TYPES.get(lang_family, frozenset())
    classes = CLASS_TYPES.get(lang_family, frozenset())
    outermost = None
    while node is not None and node != root:
        if node.type in functions:
            outermost = node
        elif node.type in classes:
            break  # a class's own statements can change what its methods mean
        node = node.parent
    if outermost is not None:
        parent = outermost.parent
        if parent is not None and parent.type == "decorated_definition":
            outermost = parent
        if outermost.start_byte <= start and end <= outermost.end_byte:
            return [(outermost.start_byte, outermost.end_byte, [])]
    statements = [
        c for c in root.children if c.start_byte < max(end, start + 1) and start < c.end_byte
    ]
    return [(c.start_byte, c.end_byte, [c]) for c in statements]


_BINDING_FIELDS = ("left", "name")
_BINDING_NODES = frozenset(
    {"assignment", "augmented_assignment", "named_expression", "for_statement",
     "variable_declarator", "assignment_expression", "augmented_assignment_expression",
     "const_spec", "var_spec", "short_var_declaration", "assignment_statement",
     "class_definition", "class_declaration", "lexical_declaration"}
)  # fmt: skip


def _bound_names(statements: list[Node], source: bytes) -> set[bytes]:
    """Identifiers that top-level `statements` bind (over-approximated: any identifier in
    a binding position anywhere inside them)."""
    names: set[bytes] = set()
    for statement in statements:
        stack = [statement]
        while stack:
            node = stack.pop()
            if node.type in _BINDING_NODES:
                for field in _BINDING_FIELDS:
                    target = node.child_by_field_name(field)
                    if target is not None:
                        names |= _identifiers(target, source)
            if node.type in ("class_definition", "function_definition"):
                continue  # methods' locals are theirs; the class's name was taken above
            stack.extend(node.named_children)
    return names


def _identifiers(node: Node, source: bytes) -> set[bytes]:
    if node.type in ("identifier", "type_identifier"):
        return {source[node.start_byte : node.end_byte]}
    found: set[bytes] = set()
    for child in node.named_children:
        if child.type in ("identifier", "pattern_list", "tuple_pattern", "list_pattern",
                          "expression_list", "object_pattern", "array_pattern",
                          "shorthand_property_identifier_pattern"):  # fmt: skip
            if child.type == "shorthand_property_identifier_pattern":
                found.add(source[child.start_byte : child.end_byte])
            else:
                found |= _identifiers(child, source)
    return found


def _mentions(source: bytes, name: bytes, start: int, end: int) -> bool:
    """Does `name` occur as a whole word in source[start:end]?"""
    position = source.find(name, start, end)
    while position != -1:
        before = source[position - 1 : position]
        after = source[position + len(name) : position + len(name) + 1]
        if not (before.isalnum() or before == b"_") and not (after.isalnum() or after == b"_"):
            return True
        position = source.find(name, position + 1, end)
    return False


def _interface(ctx: FileContext) -> tuple[object, ...]:
    """The file-wide facts the rules depend on (imports, async functions, ...)."""
    facts = []
    for fact in FILE_FACTS.get(ctx.family, []):
        try:
            facts.append(fact(ctx))
        except Exception:  # a fact that cannot be computed forces a full analysis
            log.exception("file fact %s failed", fact.__name__)
            facts.append(object())
    return tuple(facts)


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
