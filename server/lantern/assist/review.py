"""AI review by unit: split a document into units, remember the model's findings per
unit *text*, and turn them into findings merged with the static ones.

A unit is a function or a class (a large class is split into its methods), or a run of
top-level statements between them. Its digest hashes only its language and text, so a
unit that moves (lines inserted above it) keeps its findings, re-anchored at its new
place, and a unit whose text changed is the only one sent again. Runs holding nothing
but imports and comments are never sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tree_sitter import Node, Tree

from lantern.ai.answers import AIFinding
from lantern.ai.context import end_line, is_container, is_import, unwrap_definition
from lantern.analysis.findings import Finding, Severity
from lantern.analysis.languages import LanguageSpec, parse
from lantern.positions import Encoding, LineIndex

if TYPE_CHECKING:
    from lantern.ai.errors import AIError
    from lantern.ai.service import AIService, KnownDiagnostic
    from lantern.analysis.files import FileReport
    from lantern.config import Settings

AI_SOURCE = "lantern-ai"
DEFAULT_AI_CODE = "ai-review"
# A class longer than this is reviewed method by method (prompts stay small, and an edit
# in one method does not re-send the whole class).
MAX_CLASS_LINES = 120
# Runs of top-level statements are cut into pieces of at most this many lines.
MAX_RUN_LINES = 80
# Neighbouring units waiting for review share one request up to this many lines.
MAX_BATCH_LINES = 150
_GENERATIONS = itertools.count(1)
_NOT_REVIEWED = {"comment", "line_comment", "block_comment", "package_clause"}


@dataclass(frozen=True, slots=True)
class ReviewUnit:
    """Lines `start_line`..`end_line` (1-based, inclusive) reviewed as one piece."""

    start_line: int
    end_line: int
    digest: str  # language + text: independent of where the unit sits
    label: str  # for progress messages: "function parse", "lines 3-20"


@dataclass(frozen=True, slots=True)
class ReviewedFinding:
    """An AI finding placed in the current document (1-based, inclusive lines)."""

    line: int
    end_line: int
    severity: Severity
    code: str
    message: str
    category: str | None
    fix_hint: str | None
    model: str


@dataclass(frozen=True, slots=True)
class _UnitFinding:
    offset: int  # first line, relative to the unit's first line
    span: int  # end line minus first line
    severity: Severity
    code: str
    message: str
    category: str | None
    fix_hint: str | None
    model: str


def review_units(text: str, language: LanguageSpec, tree: Tree | None = None) -> list[ReviewUnit]:
    """The units of `text`, in document order. `tree` is reused when given."""
    if tree is None:
        tree = parse(language, text.encode("utf-8", "surrogatepass"))
    lines = text.splitlines()
    spans: list[tuple[int, int, str]] = []
    run: list[Node] = []

    def close_run() -> None:
        if any(node.type not in _NOT_REVIEWED and not is_import(node) for node in run):
            first, last = run[0].start_point[0] + 1, end_line(run[-1])
            for start in range(first, last + 1, MAX_RUN_LINES):
                stop = min(last, start + MAX_RUN_LINES - 1)
                spans.append((start, stop, f"lines {start}-{stop}"))
        run.clear()

    for node in tree.root_node.children:
        definition = unwrap_definition(node)
        if definition is None:
            run.append(node)
            continue
        close_run()
        spans += _definition_spans(node, definition)
    close_run()
    return [
        ReviewUnit(start, stop, _digest(language.name, lines[start - 1 : stop]), label)
        for start, stop, label in spans
        if start <= stop
    ]


def _definition_spans(outer: Node, definition: Node) -> list[tuple[int, int, str]]:
    first, last = outer.start_point[0] + 1, end_line(outer)
    name = _name_of(definition)
    kind = "class" if is_container(definition) else "function"
    body = definition.child_by_field_name("body")
    if not is_container(definition) or last - first < MAX_CLASS_LINES or body is None:
        return [(first, last, f"{kind} {name}".strip())]
    # A large class: its methods one by one, the rest (header, fields) as one unit.
    spans: list[tuple[int, int, str]] = []
    covered: set[int] = set()
    for child in body.children:
        inner = unwrap_definition(child)
        if inner is not None:
            start, stop = child.start_point[0] + 1, end_line(child)
            spans.append((start, stop, f"{name}.{_name_of(inner)}"))
            covered.update(range(start, stop + 1))
    rest = [line for line in range(first, last + 1) if line not in covered]
    if rest:
        spans.insert(0, (rest[0], rest[-1], f"class {name}"))
    return spans if len(spans) > 1 else [(first, last, f"class {name}")]


def _name_of(definition: Node) -> str:
    node = definition.child_by_field_name("name")
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _digest(language: str, lines: Sequence[str]) -> str:
    material = language + "\0" + "\n".join(lines)
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ReviewLedger:
    """What the model said about each unit text of one document.

    Findings are stored relative to their unit, keyed by the unit's digest: a moved unit
    keeps them, a changed one has none until it is reviewed again.
    """

    def __init__(self) -> None:
        self._by_digest: dict[str, tuple[_UnitFinding, ...]] = {}
        # Changes whenever what `findings` returns may change; unique in the process, so
        # a document closed and reopened never repeats an id.
        self.generation = next(_GENERATIONS)

    def __contains__(self, unit: ReviewUnit) -> bool:
        return unit.digest in self._by_digest

    def pending(self, units: Iterable[ReviewUnit]) -> list[ReviewUnit]:
        """Units never reviewed, first occurrence of each text only."""
        seen: set[str] = set()
        waiting = []
        for unit in units:
            if unit.digest not in self._by_digest and unit.digest not in seen:
                seen.add(unit.digest)
                waiting.append(unit)
        return waiting

    def record(
        self, unit: ReviewUnit, findings: Sequence[AIFinding], model: str, max_severity: Severity
    ) -> None:
        stored = []
        for item in findings:
            last = item.end_line if item.end_line is not None else item.line
            severity = Severity(item.severity)
            if severity.rank < max_severity.rank:
                severity = max_severity
            stored.append(
                _UnitFinding(
                    offset=item.line - unit.start_line,
                    span=max(0, last - item.line),
                    severity=severity,
                    code=_code(item.code),
                    message=item.message.strip(),
                    category=item.category,
                    fix_hint=item.fix_hint,
                    model=model,
                )
            )
        self._by_digest[unit.digest] = tuple(stored)
        self.generation = next(_GENERATIONS)

    def findings(self, units: Iterable[ReviewUnit]) -> list[ReviewedFinding]:
        """Every recorded finding of `units`, placed at the units' current lines."""
        placed = []
        for unit in units:
            for item in self._by_digest.get(unit.digest, ()):
                line = unit.start_line + item.offset
                placed.append(
                    ReviewedFinding(
                        line=line,
                        end_line=min(line + item.span, unit.end_line),
                        severity=item.severity,
                        code=item.code,
                        message=item.message,
                        category=item.category,
                        fix_hint=item.fix_hint,
                        model=item.model,
                    )
                )
        return placed

    def retain(self, units: Iterable[ReviewUnit]) -> None:
        """Forget texts no longer in the document (memory stays bounded by its size)."""
        keep = {unit.digest for unit in units}
        dropped = [digest for digest in self._by_digest if digest not in keep]
        for digest in dropped:
            del self._by_digest[digest]
        if dropped:
            self.generation = next(_GENERATIONS)

    def clear(self) -> None:
        self._by_digest.clear()
        self.generation = next(_GENERATIONS)


def _code(code: str | None) -> str:
    cleaned = "-".join((code or "").strip().lower().split())
    return cleaned[:60] or DEFAULT_AI_CODE


def merge_findings(
    static: Sequence[Finding], reviewed: Sequence[ReviewedFinding], index: LineIndex
) -> list[Finding]:
    """Static findings, then the AI findings that do not overlap a static one's lines.

    AI findings become `Finding`s with `source` "lantern-ai", spanning their lines from
    the first non-blank character; the explanation travels in `data["ai"]`.
    """
    taken: list[tuple[int, int]] = []
    for finding in static:
        first = index.position_at_byte(finding.start_byte, Encoding.UTF8)[0] + 1
        last = index.position_at_byte(finding.end_byte, Encoding.UTF8)[0] + 1
        taken.append((first, last))
    merged = list(static)
    total = max(index.line_count, 1)
    for item in reviewed:
        line, last = min(item.line, total), min(item.end_line, total)
        if any(first <= last and line <= static_end for first, static_end in taken):
            continue  # static wins
        text = index.line_text(line - 1)
        indent = len(text.encode("utf-8", "surrogatepass")) - len(
            text.lstrip().encode("utf-8", "surrogatepass")
        )
        start = index.byte_at_position(line - 1, 0, Encoding.UTF8) + indent
        end_text = index.line_text(last - 1)
        end = index.byte_at_position(last - 1, 0, Encoding.UTF8) + len(
            end_text.rstrip().encode("utf-8", "surrogatepass")
        )
        merged.append(
            Finding(
                code=item.code,
                message=item.message,
                severity=item.severity,
                start_byte=start,
                end_byte=max(start, end),
                category=item.category or "ai",
                source=AI_SOURCE,
                data={
                    "ai": {
                        "model": item.model,
                        "fix_hint": item.fix_hint,
                        "category": item.category,
                    }
                },
            )
        )
    return merged


def known_from(findings: Sequence[Finding], index: LineIndex) -> list[KnownDiagnostic]:
    """Findings as the model layer's KnownDiagnostic (1-based lines), for prompts."""
    from lantern.ai.service import KnownDiagnostic

    known = []
    for finding in findings:
        start = index.position_at_byte(finding.start_byte, Encoding.UTF8)[0]
        end = index.position_at_byte(finding.end_byte, Encoding.UTF8)[0]
        known.append(
            KnownDiagnostic(
                line=start + 1,
                end_line=end + 1,
                message=finding.message,
                code=finding.code,
                severity=str(finding.severity),
                source=finding.source,
            )
        )
    return known


def batches(units: Sequence[ReviewUnit], pending: Sequence[ReviewUnit]) -> list[list[ReviewUnit]]:
    """`pending` grouped into runs of neighbouring units (no other unit between them) of
    at most MAX_BATCH_LINES lines: one request each, so small functions do not each pay
    for the instructions. Findings are still kept per unit."""
    wanted = {id(unit) for unit in pending}
    groups: list[list[ReviewUnit]] = []
    current: list[ReviewUnit] = []
    for unit in units:
        if id(unit) not in wanted:
            current = []
            continue
        fits = current and unit.end_line - current[0].start_line < MAX_BATCH_LINES
        if not fits:
            current = []
            groups.append(current)
        current.append(unit)
    return groups


async def review_pending(
    service: AIService,
    ledger: ReviewLedger,
    units: Sequence[ReviewUnit],
    *,
    path: str,
    text: str,
    language: LanguageSpec,
    known: Sequence[KnownDiagnostic],
    cancel: asyncio.Event | None = None,
    on_done: Callable[[ReviewUnit, AIError | None], None] = lambda unit, error: None,
) -> None:
    """Ask the model about the units of `units` that `ledger` has no answer for (batched,
    at most `ai.review_concurrency` requests at a time) and record its findings per unit.
    `on_done` hears of each unit, with the error when it failed; a unit excluded or too
    large is recorded as reviewed (empty), one that failed otherwise stays pending."""
    from lantern.ai.errors import AIError

    settings = service.settings.ai
    limit = asyncio.Semaphore(settings.review_concurrency)

    async def review(batch: list[ReviewUnit]) -> None:
        async with limit:
            if cancel is not None and cancel.is_set():
                return
            result = await service.review(
                path,
                text,
                batch[0].start_line,
                batch[-1].end_line,
                language=language.name,
                known=known,
                cancel=cancel,
            )
        if isinstance(result, AIError):
            for unit in batch:
                if result.kind in ("excluded", "too_large"):
                    ledger.record(unit, [], "", settings.review_max_severity)
                on_done(unit, result)
            return
        for unit in batch:
            mine = [f for f in result.findings if unit.start_line <= f.line <= unit.end_line]
            ledger.record(unit, mine, result.meta.model, settings.review_max_severity)
            relative = [_moved(f, 1 - unit.start_line) for f in mine]
            await asyncio.to_thread(
                service.remember_unit,
                unit.digest,
                relative,
                result.meta.model,
                result.meta.provider,
            )
            on_done(unit, None)

    # Units reviewed before (any batch, any server run) answer from the cache.
    for unit in ledger.pending(units):
        remembered = await asyncio.to_thread(service.reviewed_unit, unit.digest)
        if remembered is not None:
            findings, model = remembered
            placed = [_moved(f, unit.start_line - 1) for f in findings]
            ledger.record(unit, placed, model, settings.review_max_severity)
            on_done(unit, None)
    groups = batches(units, ledger.pending(units))
    await asyncio.gather(*(review(batch) for batch in groups))


def _moved(finding: AIFinding, delta: int) -> AIFinding:
    end = finding.end_line + delta if finding.end_line is not None else None
    return finding.model_copy(update={"line": finding.line + delta, "end_line": end})


async def review_text(
    service: AIService,
    path: str,
    text: str,
    language: LanguageSpec,
    static: Sequence[Finding],
    cancel: asyncio.Event | None = None,
) -> tuple[list[Finding], list[AIError]]:
    """The AI findings of a whole file (those no static finding overlaps), and the errors
    met on the way; for `lantern check --ai` and workspace analysis."""
    index = LineIndex(text)
    units = review_units(text, language)
    ledger = ReviewLedger()
    errors: list[AIError] = []

    def done(unit: ReviewUnit, error: AIError | None) -> None:
        if error is not None:
            errors.append(error)

    await review_pending(
        service,
        ledger,
        units,
        path=path,
        text=text,
        language=language,
        known=known_from(static, index),
        cancel=cancel,
        on_done=done,
    )
    merged = merge_findings(static, ledger.findings(units), index)
    return merged[len(static) :], errors


def review_reports(reports: Sequence[FileReport], settings: Settings) -> list[str]:
    """Add the AI review's findings to `lantern check` reports (sharing the cache with the
    editor); returns the problems met, one sentence each, for the summary."""
    from lantern.ai.service import AIService
    from lantern.analysis.files import Location
    from lantern.analysis.languages import detect_language

    async def run() -> list[str]:
        service = AIService(settings, workspace_root=Path.cwd())
        problems: list[str] = []
        try:
            if not service.pool.providers:
                return [service.pool.not_configured("review").message]
            for report in reports:
                language = detect_language(str(report.path))
                if report.skipped is not None or language is None:
                    continue
                text = report.path.read_bytes().decode("utf-8", "replace")
                found, errors = await review_text(
                    service, str(report.path.resolve()), text, language, report.findings
                )
                problems += [f"{report.path}: {e.message}" for e in errors if e.kind != "excluded"]
                index = LineIndex(text)
                for finding in found:
                    report.findings.append(finding)
                    report.locations.append(
                        tuple(  # type: ignore[arg-type]
                            Location(line + 1, column + 1)
                            for line, column in (
                                index.position_at_byte(finding.start_byte, Encoding.UTF32),
                                index.position_at_byte(finding.end_byte, Encoding.UTF32),
                            )
                        )
                    )
        finally:
            await service.aclose()
        return problems

    return asyncio.run(run())
