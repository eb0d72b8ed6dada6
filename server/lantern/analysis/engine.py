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
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from hashlib import blake2b
from typing import Any

from tree_sitter import Node, Query, QueryCursor, Tree

from lantern.analysis.context import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    FileContext,
    RuleOptions,
    compiled_query,
    family,
)
from lantern.analysis.findings import Finding, Severity, notice
from lantern.analysis.languages import LanguageSpec
from lantern.analysis.rules import catalogue
from lantern.analysis.rules.model import (
    FACTS_BY_STATEMENT,
    FILE_FACTS,
    GATHERED_FACTS,
    Check,
    GatheredFact,
    Hit,
    Rule,
)
from lantern.analysis.rules.selection import is_enabled, longest_prefix
from lantern.analysis.suppression import apply_suppressions
from lantern.analysis.syntax import BLOCKS_KEY, indentation_suspect, syntax_errors

log = logging.getLogger(__name__)

__all__ = [
    "Analysis",
    "RuleOptions",
    "analyse",
    "analyse_document",
    "enabled_rules",
    "prepare_edits",
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
    # Set when the time budget ran out: the findings are partial, and the next analysis
    # of the document starts from scratch rather than from these.
    stopped_after_ms: int | None = None
    # Python: the tree shows a shape whose indentation CPython may reject (see
    # `syntax.indentation_suspect`); when False, the next analysis checks only its regions.
    indentation_suspect: bool = False
    # What each top-level statement contributes to `interface`, by a digest of its text
    # (see `FactsByStatement`); empty until an edit needs it.
    statement_facts: dict[bytes, Any] = field(default_factory=dict)


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
    return list(analyse_document(language, source, tree, options, reusable=False).findings)


class _Clock:
    """The time budget of one analysis (None: unlimited)."""

    def __init__(self, budget_ms: int | None) -> None:
        self.started = time.monotonic()
        self.deadline = None if budget_ms is None else self.started + budget_ms / 1000
        self.stopped = False

    def expired(self, _progress: object = None) -> bool:
        """True once the budget is spent (also tree-sitter's progress callback: True
        cancels the query)."""
        if self.deadline is not None and not self.stopped:
            self.stopped = time.monotonic() > self.deadline
        return self.stopped

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)


def analyse_document(
    language: LanguageSpec,
    source: bytes,
    tree: Tree,
    options: RuleOptions | None = None,
    previous: Analysis | None = None,
    budget_ms: int | None = None,
    *,
    reusable: bool = True,
) -> Analysis:
    """Analyse `source`, reusing `previous` (the same document's last analysis) if possible.

    With `budget_ms`, rules stop running once that much time has passed: the findings
    so far are returned with one information notice at the top of the file saying so,
    and `stopped_after_ms` set. `reusable=False` (only the findings will be read, as by
    `lantern check`): the file-wide facts an incremental analysis compares are not
    computed (an analysis given such a result as `previous` starts from scratch).
    """
    options = options or RuleOptions()
    clock = _Clock(budget_ms)
    ctx = FileContext(language, source, tree, options)
    regions: list[tuple[int, int]] | None = None
    catalogue()  # the rule modules register the file facts
    unsearchable = _unsearchable(tree.root_node)  # first: file facts are queries too
    usable = (
        unsearchable is None
        and previous is not None
        and previous.stopped_after_ms is None
        and previous.language == language.name
        and previous.options == options
    )
    interface: tuple[object, ...] = ()
    statement_facts: dict[bytes, Any] = {}
    if usable:
        assert previous is not None
        interface, statement_facts = _interface_after_edit(ctx, previous)
        regions = _changed_regions(ctx, previous, interface)
    if unsearchable is not None:
        rule_findings = []
    elif not usable or regions is None:
        rule_findings = _run_rules(ctx, None, clock)
    else:
        assert previous is not None
        rule_findings = _merge(ctx, previous, regions, clock)
    if unsearchable is None and not usable and reusable:
        # After the rules: on a full analysis their traversal gathered the facts.
        interface = _interface(ctx)
    suspect = None
    if language.name == "python":
        clean_before = (
            previous is not None and regions is not None and not previous.indentation_suspect
        )
        blocks = ctx.memo(BLOCKS_KEY, lambda: None)  # gathered by a full analysis's rules
        suspect = indentation_suspect(source, tree, regions if clean_before else None, blocks)
    syntax = syntax_errors(language, source, tree, suspect)
    if unsearchable is not None:
        syntax.append(notice(f"Rules did not run: {unsearchable}."))
    reported = apply_suppressions(rule_findings, source, language.line_comment, tree)
    stopped = clock.elapsed_ms() if clock.stopped else None
    if stopped is not None:
        log.info("analysis of a %s file stopped after %d ms", language.name, stopped)
        syntax.append(
            notice(
                f"Analysis stopped after {stopped} ms (diagnostics.time_budget_ms): "
                "findings further down may be missing."
            )
        )
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
        stopped,
        bool(suspect),
        statement_facts,
    )


# tree-sitter's query cursor counts depth in 16 bits: past 65,535 levels its matches are
# wrong and take minutes (a 480 KB left-nested `+` chain: 54 s). Keep a margin.
_QUERY_DEPTH = 65_000


# Queries are quadratic in the children of an ERROR node (error recovery over a long run
# of `(` gives one with a child per character): 20,000 children, 0.6 s per query.
_ERROR_CHILDREN = 10_000


def _unsearchable(root: Node) -> str | None:
    """Why the rules' queries cannot search this tree in reasonable time (nested past
    `_QUERY_DEPTH`, or an ERROR node with more than `_ERROR_CHILDREN` children), or None.
    Only subtrees large enough to matter are visited: ordinary files cost a look at the
    top-level statements."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= _QUERY_DEPTH:
            return (
                f"the code is nested more than {_QUERY_DEPTH:,} levels deep, past what "
                "tree-sitter's queries can search"
            )
        if node.is_error and node.child_count > _ERROR_CHILDREN:
            return (
                f"the file does not parse ({node.child_count:,} pieces in one syntax error); "
                "fix the syntax errors first"
            )
        for child in node.children:
            size = child.descendant_count
            if depth + 1 + size > _QUERY_DEPTH or size > _ERROR_CHILDREN:
                stack.append((child, depth + 1))
    return None


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


_Owner = tuple[Rule, Check, Severity] | GatheredFact
# What a pattern of the fused query serves: a gathered fact, or the checks whose queries
# are that same pattern (usually one; checks of several rules may share a pattern, which
# tree-sitter then matches once for them all).
_Route = tuple[tuple[Rule, Check, Severity], ...] | GatheredFact


@dataclass(frozen=True, slots=True)
class _Plan:
    """All enabled query checks of a language, and the facts gathered for its regional
    checks, fused into one query (one tree traversal), with the owner of each pattern;
    plus the checks that run once per region."""

    query: Query | None
    owners: tuple[_Route, ...]  # by pattern index
    regional: tuple[tuple[Rule, Check, Severity], ...]
    gathered: tuple[GatheredFact, ...]
    source: str = ""  # the fused query's source
    # (text, the patterns of the checks that need it): disabled in `query`, which serves
    # the files with none of these texts (most files: see `Check.needs`); a file with
    # one gets a query of its own with those patterns on (`_query_for`).
    gates: tuple[tuple[bytes, tuple[int, ...]], ...] = ()


@cache
def _plan(language: LanguageSpec, options: RuleOptions) -> _Plan:
    """Compiles the fused query once: each pattern's owner is found from where the
    pattern starts in the fused source. Only if that fails (a check whose query does not
    suit this grammar, e.g. JSX node types in plain TypeScript) are the queries compiled
    one by one to leave the unusable ones out."""
    entries: list[_Owner] = []
    regional = []
    for entry in enabled_rules(language.name, options):
        (entries if entry[1].query else regional).append(entry)
    entries += [fact for fact in GATHERED_FACTS if language.name in fact.languages]
    try:
        return _fused(language, entries, regional)
    except Exception:
        usable = []
        for entry in entries:
            try:
                compiled_query(language, _source(entry))
                usable.append(entry)
            except Exception:
                log.debug("no usable query for %s in %s", entry, language.name)
        return _fused(language, usable, regional)


def _source(owner: _Owner) -> str:
    return owner.query if isinstance(owner, GatheredFact) else owner[1].query


def _fused(
    language: LanguageSpec,
    entries: list[_Owner],
    regional: list[tuple[Rule, Check, Severity]],
) -> _Plan:
    gathered = tuple(entry for entry in entries if isinstance(entry, GatheredFact))
    if not entries:
        return _Plan(None, (), tuple(regional), gathered)
    # Checks with the same query source (LB206 and LB207 read every function) share it.
    units: list[tuple[str, list[tuple[Rule, Check, Severity]] | GatheredFact]] = []
    shared: dict[str, list[tuple[Rule, Check, Severity]]] = {}
    for entry in entries:
        source = _source(entry)
        if isinstance(entry, GatheredFact):
            units.append((source, entry))
        elif source in shared:
            shared[source].append(entry)
        else:
            shared[source] = [entry]
            units.append((source, shared[source]))
    sources = [source for source, _ in units]
    fused = "\n".join(sources)
    query = Query(language.grammar, fused)
    ends, position = [], 0  # where each unit's source ends in the fused source
    for source in sources:
        position += len(source.encode()) + 1
        ends.append(position)
    owners = tuple(
        unit if isinstance(unit, GatheredFact) else tuple(unit)
        for unit in (
            units[bisect_right(ends, query.start_byte_for_pattern(index))][1]
            for index in range(query.pattern_count)
        )
    )
    gates: dict[bytes, list[int]] = {}
    for index, owner in enumerate(owners):
        needs = set() if isinstance(owner, GatheredFact) else {o[1].needs for o in owner}
        if len(needs) == 1 and (needle := needs.pop()):  # every check sharing it needs it
            gates.setdefault(needle, []).append(index)
            query.disable_pattern(index)
    return _Plan(
        query,
        owners,
        tuple(regional),
        gathered,
        fused,
        tuple((needle, tuple(patterns)) for needle, patterns in gates.items()),
    )


def _query_for(ctx: FileContext, plan: _Plan) -> Query | None:
    """The plan's query, with the patterns of the checks whose needed text the file has."""
    opened = tuple(needle for needle, _ in plan.gates if needle in ctx.source)
    if not opened or plan.query is None:
        return plan.query
    return _opened(ctx.language, ctx.options, opened)


@cache
def _opened(language: LanguageSpec, options: RuleOptions, opened: tuple[bytes, ...]) -> Query:
    """The fused query of `_plan(language, options)` with the patterns gated by the
    `opened` texts enabled. Compiled once per combination met (there are few), and only
    when met: a compilation costs about 10 ms, which a one-file run would feel."""
    plan = _plan(language, options)
    query = Query(language.grammar, plan.source)
    for needle, patterns in plan.gates:
        if needle not in opened:
            for index in patterns:
                query.disable_pattern(index)
    return query


# -- running ------------------------------------------------------------------------------


def _run_rules(
    ctx: FileContext, regions: list[tuple[int, int]] | None, clock: _Clock | None = None
) -> list[Finding]:
    """Run every enabled check, over the whole file or only inside `regions`, until
    `clock` runs out (the query is cancelled, the remaining checks skipped).

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
    clock = clock or _Clock(None)
    gathered: dict[GatheredFact, list[dict[str, list[Node]]]] = {f: [] for f in plan.gathered}

    def gather_facts() -> None:
        for fact, matches in gathered.items():
            try:
                ctx.memo(fact.key(ctx), lambda: fact.build(ctx, matches))  # noqa: B023 (now)
            except Exception:  # its accessor computes it again, or the checks report it
                log.exception("gathering a fact failed on a %s file", ctx.language.name)

    def run(owner: tuple[Rule, Check, Severity], captures: dict[str, list[Node]]) -> None:
        if regions is not None and not inside(next(iter(captures.values()))[0].start_byte):
            return
        rule, check, severity = owner
        try:
            report(rule, severity, check.function(ctx, captures))
        except Exception:  # a broken check must not take the others down
            log.exception("rule %s failed on a %s file", rule.code, ctx.language.name)

    query = _query_for(ctx, plan)
    if query is not None:
        # Up to a size, the matches are listed first, so that the facts gathered from them
        # serve the query checks too; past it, they stream (memory), and the facts the
        # checks ask for meanwhile are computed by a traversal of their own.
        listed = len(ctx.source) <= _LISTED_MATCHES_BYTES
        matches = _matches(ctx, query, clock)
        pending = []
        owners = plan.owners
        # By pattern: the list a gathered fact's matches go to, else None (a check's).
        facts = [gathered[o] if isinstance(o, GatheredFact) else None for o in owners]
        for pattern, captures in list(matches) if listed else matches:
            fact = facts[pattern]
            if fact is not None:
                fact.append(captures)
            elif listed:
                pending.append((owners[pattern], captures))
            else:
                for owner in owners[pattern]:
                    run(owner, captures)
        gather_facts()
        if regions is None and clock.deadline is None:
            # The whole file, no budget: `run` and `report` without their region and
            # clock tests (hundreds of thousands of matches on a large tree).
            for checks, captures in pending:
                for rule, check, severity in checks:
                    try:
                        for hit in check.function(ctx, captures):
                            finding = _finding(rule, severity, hit)
                            findings.setdefault((finding.code, hit.start, hit.end), finding)
                    except Exception:  # a broken check must not take the others down
                        log.exception("rule %s failed on a %s file", rule.code, ctx.language.name)
        else:
            for checks, captures in pending:
                if clock.expired():
                    break
                for owner in checks:
                    run(owner, captures)
    for rule, check, severity in plan.regional:
        if clock.expired():
            break
        if check.needs and check.needs not in ctx.source:
            continue
        try:
            report(rule, severity, check.function(ctx, {}))
        except Exception:
            log.exception("rule %s failed on a %s file", rule.code, ctx.language.name)
    return list(findings.values())


# Files up to this size have their rule query's matches listed before the checks run.
_LISTED_MATCHES_BYTES = 512_000

# Large files are queried in slices of about this many bytes, so that the time budget
# is checked between slices (tree-sitter's own progress callback crashes py-tree-sitter
# 0.26.1 when a query has matches).
_SLICE = 128_000


def _matches(
    ctx: FileContext, query: Query, clock: _Clock
) -> Iterable[tuple[int, dict[str, list[Node]]]]:
    """The query's matches in document order, stopping when `clock` runs out.

    A slice ends at a top-level statement's end and includes the next statement too, so
    a pattern over two adjacent statements still matches; matches seen twice are skipped.
    Without a time budget, a region or a file whose matches are listed is queried whole
    and gets tree-sitter's list as it is (no generator step per match; slices would
    cost a quarter more: each query descends to its range, and duplicates are skipped).
    """
    if clock.deadline is None and (
        ctx.region is not None or len(ctx.source) <= _LISTED_MATCHES_BYTES
    ):
        cursor = QueryCursor(query)
        if ctx.region is not None:
            cursor.set_byte_range(*ctx.region)
        return cursor.matches(ctx.tree.root_node)
    return _budgeted_matches(ctx, query, clock)


def _budgeted_matches(
    ctx: FileContext, query: Query, clock: _Clock
) -> Iterator[tuple[int, dict[str, list[Node]]]]:
    root = ctx.tree.root_node
    if ctx.region is not None or len(ctx.source) <= _SLICE:
        cursor = QueryCursor(query)
        if ctx.region is not None:
            cursor.set_byte_range(*ctx.region)
        for match in cursor.matches(root):
            if clock.expired():
                return
            yield match
        return
    seen: set[tuple[object, ...]] = set()
    for start, end in _slices(root):
        if clock.expired():
            return
        cursor = QueryCursor(query)
        cursor.set_byte_range(start, end)
        for pattern, captures in cursor.matches(root):
            if clock.expired():
                return
            key = (pattern, *(nodes[0].id for nodes in captures.values()))
            if key not in seen:
                seen.add(key)
                yield pattern, captures


def _slices(root: Node) -> list[tuple[int, int]]:
    children = root.children
    slices, start = [], 0
    for index in range(len(children) - 1):
        if children[index].end_byte - start >= _SLICE:
            slices.append((start, children[index + 1].end_byte))
            start = children[index + 1].start_byte
    slices.append((start, root.end_byte))
    return slices


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


# An incremental analysis re-running more than this share of the file falls back to a
# full one: past it, the bookkeeping costs more than it saves.
_INCREMENTAL_SHARE = 0.5


def _changed_regions(
    ctx: FileContext, previous: Analysis, interface: tuple[object, ...]
) -> list[tuple[int, int]] | None:
    """Byte ranges of the new source to re-analyse, or None when everything must be.

    Each changed span widens to its outermost enclosing function. A span outside any
    function widens to its top-level statement, and then every top-level statement that
    mentions a name bound there (in the old or the new text) is re-analysed too, since
    rules resolve names through module-level assignments. Every step is linear in the
    file or better, and when the regions would cover much of the file (a multi-cursor
    edit at both ends, a paste) the answer is None: a full analysis is cheaper.
    """
    old, new = previous.source, ctx.source
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    if old_end == prefix and new_end == prefix:
        return []
    if previous.interface != interface:
        return None
    budget = _INCREMENTAL_SHARE * len(new)
    if max(old_end, new_end) - prefix > budget:
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
    new_spans = [(prefix, max(new_end, prefix + 1))]
    new_spans += [(r.start_byte, r.end_byte) for r in old_tree.changed_ranges(ctx.tree)]
    # Findings that straddle the edit are dropped by the merge: re-find them.
    for finding in previous.rule_findings:
        if finding.start_byte < max(old_end, prefix + 1) and finding.end_byte > prefix:
            new_spans.append((min(finding.start_byte, prefix), max(new_end, prefix + 1)))
    # Where the edit was in the old text, moved into new coordinates.
    old_top = _TopLevel(previous.tree.root_node)
    old_statements: dict[int, Node] = {}
    old_span = (prefix, max(old_end, prefix + 1))
    if old_end == prefix and _appends(old, prefix):
        # Typed at the end of a token (the end of a line, say): it extends what ends
        # there; the whitespace after it may belong to an enclosing class, whose whole
        # statement (and every user of its name) would be re-run for nothing.
        old_span = (prefix - 1, prefix)
    for start, end, statements in _units(old_top, *old_span, lang_family):
        old_statements.update((s.start_byte, s) for s in statements)
        new_spans.append(
            (
                start if start <= prefix else start + delta,
                end + delta if end >= old_end else new_end,
            )
        )
    regions = []
    top = _TopLevel(ctx.tree.root_node)
    new_statements: dict[int, Node] = {}
    for start, end in _union(new_spans):
        for unit_start, unit_end, statements in _units(
            top, start, max(end, start + 1), lang_family
        ):
            new_statements.update((s.start_byte, s) for s in statements)
            regions.append((unit_start, unit_end))
    if _size(_union(regions)) > budget:
        return None
    names = _bound_names(list(old_statements.values()), old)
    names |= _bound_names(list(new_statements.values()), new)
    # An edit inside a top-level function leaves the module's names alone unless it
    # renames the function (or error recovery re-reads its header: `def f(x)return
    # eval(x):` defines `eval`): then statements using either name mean something else.
    names |= _defined_names(old_top, prefix, max(old_end, prefix + 1), old, lang_family) ^ (
        _defined_names(top, prefix, max(new_end, prefix + 1), new, lang_family)
    )
    regions += top.mentioning(new, names)
    merged = _union(regions)
    if _size(merged) > budget:
        return None
    # Error recovery can move function boundaries: every syntax error, before and after
    # the edit, must lie inside the regions; widen them to the errors' units once. An
    # error at module level (recovery may have cut a function into top-level pieces,
    # whose findings depend on each other: a Go `os.Open` and the `defer Close()` an
    # edit deleted) leaves no unit to trust: everything is re-run.
    moved = [
        (start if start <= prefix else start + delta, end if end <= prefix else end + delta)
        for start, end in _error_spans(previous.tree.root_node)
    ]
    errors = [*moved, *_error_spans(ctx.tree.root_node)]
    if errors:
        for start, end in _union(errors):
            for unit_start, unit_end, statements in _units(
                top, start, max(end, start + 1), lang_family
            ):
                if statements:
                    return None  # a syntax error at module level: structure is unreliable
                regions.append((unit_start, unit_end))
        merged = _union(regions)
        if _size(merged) > budget or any(not _covered(span, merged) for span in errors):
            return None
    return merged


def _appends(source: bytes, at: int) -> bool:
    """Does an insertion at `at` follow a token directly (not whitespace before it), with
    only whitespace (or the end) after it?"""
    before, after = source[at - 1 : at], source[at : at + 1]
    return at > 0 and not before.isspace() and (not after or after.isspace())


def _size(spans: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in spans)


def _covered(span: tuple[int, int], regions: list[tuple[int, int]]) -> bool:
    """Is `span` inside one of `regions` (sorted, disjoint)?"""
    index = bisect_right(regions, (span[0], float("inf"))) - 1
    return index >= 0 and regions[index][0] <= span[0] and span[1] <= regions[index][1]


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


def _merge(
    ctx: FileContext, previous: Analysis, regions: list[tuple[int, int]], clock: _Clock
) -> list[Finding]:
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

    old_regions = _union((to_old(start), to_old(end)) for start, end in regions)
    starts = [start for start, _ in old_regions]
    kept = []
    for finding in previous.rule_findings:
        index = bisect_right(starts, finding.start_byte) - 1
        if index >= 0 and finding.start_byte < old_regions[index][1]:
            continue
        if finding.start_byte < max(old_end, prefix + 1) and finding.end_byte > prefix:
            continue  # it overlaps the edited bytes
        kept.append(_shift(finding, delta) if finding.start_byte >= old_end else finding)
    fresh = [f for cluster in _clusters(regions) for f in _run_rules(ctx, cluster, clock)]
    return [*kept, *fresh]


# Regions further apart than this are re-analysed in separate passes: one pass over their
# bounding range would compute the region's facts (scopes, calls) for everything between.
_CLUSTER_GAP = 16_000


def _clusters(regions: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """`regions` (sorted, disjoint) in groups separated by more than `_CLUSTER_GAP`."""
    clusters: list[list[tuple[int, int]]] = []
    for region in regions:
        if clusters and region[0] - clusters[-1][-1][1] <= _CLUSTER_GAP:
            clusters[-1].append(region)
        else:
            clusters.append([region])
    return clusters


def _shift(finding: Finding, delta: int) -> Finding:
    moved = finding.shifted(delta)
    fix = (finding.data or {}).get("fix")
    if fix is None:
        return moved
    edits = [[start + delta, end + delta, text] for start, end, text in fix["edits"]]
    return replace(moved, data={**(finding.data or {}), "fix": {**fix, "edits": edits}})


class _TopLevel:
    """The top-level statements of one tree, listed once (tree-sitter builds a new
    list of nodes on every `children` call), with their start bytes for bisection."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.children = root.children
        self.starts = [child.start_byte for child in self.children]
        self.ends = [child.end_byte for child in self.children]

    def touching(self, start: int, end: int) -> list[Node]:
        """The statements overlapping [start, end) (end > start)."""
        first = bisect_right(self.ends, start)  # the first that ends after `start`
        last = bisect_left(self.starts, end)  # past the last that starts before `end`
        return self.children[first:last]

    def mentioning(self, source: bytes, names: set[bytes]) -> list[tuple[int, int]]:
        """The spans of the statements where one of `names` occurs as a whole word:
        one scan of the source, however many names and statements there are."""
        names = {name for name in names if name}  # a MISSING identifier has no text
        if not names:
            return []
        words = b"|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        pattern = re.compile(rb"(?<![A-Za-z0-9_])(?:" + words + rb")(?![A-Za-z0-9_])")
        spans: dict[int, tuple[int, int]] = {}
        position = 0
        while (match := pattern.search(source, position)) is not None:
            index = bisect_right(self.starts, match.start()) - 1
            if index >= 0 and match.start() < self.ends[index]:
                spans[index] = (self.starts[index], self.ends[index])
                position = self.ends[index]  # one hit per statement is enough
            else:
                position = match.end()
        return list(spans.values())


def _units(
    top: _TopLevel, start: int, end: int, lang_family: str
) -> list[tuple[int, int, list[Node]]]:
    """The spans to re-analyse for a change at [start, end): the outermost function
    around it, else the top-level statements it touches (returned for name lookups)."""
    root = top.root
    end = min(end, root.end_byte)
    outermost = _outermost_function(root, start, end, lang_family)
    if outermost is not None:
        return [(outermost.start_byte, outermost.end_byte, [])]
    statements = top.touching(start, max(end, start + 1))
    return [(c.start_byte, c.end_byte, [c]) for c in statements]


def _defined_names(
    top: _TopLevel, start: int, end: int, source: bytes, lang_family: str
) -> set[bytes]:
    """The name of the top-level function around [start, end), if any, as a set."""
    function = _outermost_function(top.root, start, min(end, top.root.end_byte), lang_family)
    if function is None:
        return set()
    parent = function.parent
    while parent is not None and parent != top.root and parent.type == "export_statement":
        parent = parent.parent
    if parent != top.root:
        return set()
    if function.type == "decorated_definition":
        function = function.child_by_field_name("definition") or function
    name = function.child_by_field_name("name")
    return {source[name.start_byte : name.end_byte]} if name is not None else set()


def _outermost_function(root: Node, start: int, end: int, lang_family: str) -> Node | None:
    """The outermost function (with its decorators) around [start, end) below the
    innermost class around it: a class's own statements can change what its methods mean.

    Walks down from the root with a cursor: walking up through `Node.parent` costs a
    descent from the root per step, quadratic in the nesting depth.
    """
    functions = FUNCTION_TYPES.get(lang_family, frozenset())
    classes = CLASS_TYPES.get(lang_family, frozenset())
    cursor = root.walk()
    outermost, parent = None, root
    while cursor.goto_first_child_for_byte(start) is not None:
        node = cursor.node
        if node is None or not (node.start_byte <= start and end <= node.end_byte):
            break
        if node.type in classes:
            outermost = None
        elif node.type in functions and outermost is None:
            outermost = parent if parent.type == "decorated_definition" else node
        parent = node
    return outermost


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


def _interface_after_edit(
    ctx: FileContext, previous: Analysis
) -> tuple[tuple[object, ...], dict[bytes, Any]]:
    """The interface, from the previous analysis's per-statement facts where a top-level
    statement's text is unchanged (one edit changes one or two), and those facts for the
    next analysis. The combined facts are memoised for the checks, so that neither the
    interface nor a check's file-wide question walks the whole tree again."""
    by_statement = FACTS_BY_STATEMENT.get(ctx.family)
    root = ctx.tree.root_node
    if by_statement is None or root.has_error:  # error recovery: parts depend on context
        return _interface(ctx), {}
    statements = root.children
    keys = _statement_keys(ctx.source, statements)
    # A copy: `prepare_edits` may be filling it on another thread. Without it the first
    # edit after an open knows none: one traversal of the whole file.
    known = dict(previous.statement_facts)
    try:
        missing = [s for s, key in zip(statements, keys, strict=True) if key not in known]
        computed = iter(by_statement.parts(ctx, missing) if missing else [])
        table = {key: known[key] if key in known else next(computed) for key in keys}
        interface, memo = by_statement.combine([table[key] for key in keys])
    except Exception:
        log.exception("file facts by statement failed on a %s file", ctx.language.name)
        return _interface(ctx), {}
    for key, value in memo.items():
        ctx.memo(key, lambda value=value: value)
    return interface, table


def _statement_keys(source: bytes, statements: list[Node]) -> list[bytes]:
    return [blake2b(source[s.start_byte : s.end_byte], digest_size=16).digest() for s in statements]


def prepare_edits(language: LanguageSpec, analysis: Analysis) -> None:
    """Derive, ahead of a document's next edit, what each top-level statement of
    `analysis` (a full one) contributes to the file's facts, which that edit's
    incremental analysis would otherwise derive for the whole file (about a third of a
    full analysis). For idle time, on any thread; never raises."""
    by_statement = FACTS_BY_STATEMENT.get(family(language.name))
    root = analysis.tree.root_node
    if by_statement is None or analysis.statement_facts or root.has_error:
        return
    ctx = FileContext(language, analysis.source, analysis.tree, analysis.options)
    statements = root.children
    try:
        parts = by_statement.parts(ctx, statements)
    except Exception:
        log.exception("file facts by statement failed on a %s file", language.name)
        return
    analysis.statement_facts.update(
        zip(_statement_keys(ctx.source, statements), parts, strict=True)
    )


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


# Sources are compared this many bytes at a time (memcmp speed, small copies), then by
# binary search inside the first block that differs: not a byte loop, and not slices as
# long as half the file (0.4 ms per comparison on a 300 KB file).
_BLOCK = 4096


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    low = 0
    while low + _BLOCK <= limit and a[low : low + _BLOCK] == b[low : low + _BLOCK]:
        low += _BLOCK
    high = min(low + _BLOCK, limit)
    while low < high:  # a[:low] == b[:low]; the first difference is at `high` or before
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, prefix: int) -> int:
    """The length of the common end of `a` and `b`, not reaching into their first
    `prefix` bytes."""
    limit = min(len(a), len(b)) - prefix
    end_a, end_b = len(a), len(b)
    low = 0
    while (
        low + _BLOCK <= limit
        and a[end_a - low - _BLOCK : end_a - low] == b[end_b - low - _BLOCK : end_b - low]
    ):
        low += _BLOCK
    high = min(low + _BLOCK, limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[end_a - middle : end_a - low] == b[end_b - middle : end_b - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(source: bytes, byte: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, byte)
    line_start = source.rfind(b"\n", 0, byte) + 1
    return (row, byte - line_start)
