"""Diagnostics, pushed (publishDiagnostics) or pulled (textDocument/diagnostic).

Clients that advertise pull diagnostics ask for them; the others get them pushed,
debounced per document so a burst of keystrokes costs one analysis. Analysis runs on
a worker thread from an immutable snapshot, incrementally: the previous analysis of the
document is handed to the engine, which re-runs rules only where the tree changed. A
result computed for a version that is no longer current is dropped, never published.
Each diagnostic links to its rule's documentation and carries its fix in `data`.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from lantern.analysis import warmup
from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import Analysis, analyse_document, prepare_edits, rule_options
from lantern.analysis.findings import NOTICE, Finding, Severity, notice
from lantern.analysis.languages import LanguageSpec, language_named
from lantern.analysis.syntax import syntax_errors
from lantern.config_sources import DEBOUNCE_MS, DOCS_URL, TIME_BUDGET_MS
from lantern.lsp import configuration, parsing, review
from lantern.lsp import warmup as protocol_warmup
from lantern.lsp.ai import edge
from lantern.lsp.server import LanternServer, maybe_crash
from lantern.positions import Encoding, LineIndex
from lantern.session import LARGE_DOCUMENT, Snapshot

if TYPE_CHECKING:
    from tree_sitter import Tree

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


@dataclass
class _State:
    # Several workers, so one document's long analysis never holds another's; a lock per
    # document keeps its analyses in order (each starts from the previous one).
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="lantern-analysis")
    )
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    # uri -> (what they depend on, findings): what was last computed.
    results: dict[str, tuple[tuple[object, ...], list[Finding]]] = field(default_factory=dict)
    # uri -> the last analysis, which the next version's incremental analysis starts from.
    analyses: dict[str, Analysis] = field(default_factory=dict)
    # Documents whose first analysis was answered with their syntax errors alone, and the
    # full analyses that follow (kept: the loop holds tasks weakly).
    syntax_first: set[str] = field(default_factory=set)
    follow_ups: set[asyncio.Task[None]] = field(default_factory=set)


def _state(ls: LanternServer) -> _State:
    return ls.diagnostics_state


def register(server: LanternServer) -> None:
    server.diagnostics_state = _State()
    # A document whose tree the session dropped (memory) starts its next analysis afresh.
    analyses = server.diagnostics_state.analyses
    server.session.on_tree_dropped = lambda uri: analyses.pop(uri, None)
    options = types.DiagnosticOptions(
        identifier="lantern", inter_file_dependencies=False, workspace_diagnostics=False
    )

    @server.handler(types.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def document_diagnostic(
        ls: LanternServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        # A large document's tree is started here (for the actions and completions that
        # follow); its diagnostics do not need it.
        snapshot = await parsing.snapshot(ls, params.text_document.uri, wait=0)
        if snapshot is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if _can_refresh(ls) and (syntax := await _syntax_first(ls, snapshot)) is not None:
            _follow_up(ls, snapshot.uri)  # then the client is asked to pull again
            return types.RelatedFullDocumentDiagnosticReport(
                items=diagnostics_of(ls, snapshot, syntax),
                result_id=f"{_result_id(snapshot)}.syntax",
            )
        if not await _analysable_before_settings(ls, snapshot.uri):
            await ls.settings_ready.wait()
            snapshot = await parsing.snapshot(ls, params.text_document.uri, wait=0)
            if snapshot is None:
                return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = f"{_result_id(snapshot)}.{review.generation(ls, snapshot.uri)}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        computing = asyncio.ensure_future(findings_for(ls, snapshot))
        if len(snapshot.source) >= LARGE_DOCUMENT:
            await asyncio.wait({computing}, timeout=parsing.ANSWER_WITHIN)
            if not computing.done():
                # Answer now; the client is asked to pull again once the findings exist.
                computing.add_done_callback(lambda _: refresh(ls, snapshot.uri))
                still = notice("Lantern is still analysing this file; findings follow.")
                items = diagnostics_of(ls, snapshot, [still])
                return types.RelatedFullDocumentDiagnosticReport(
                    items=items, result_id=f"{result_id}.pending"
                )
        findings = review.with_ai(ls, snapshot, await computing)
        items = diagnostics_of(ls, snapshot, findings)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


async def _analysable_before_settings(ls: LanternServer, uri: str) -> bool:
    """Whether `uri` can be analysed now: the settings are loaded, or are known (from the
    raw sources, once the client has answered) to leave its analysis at the defaults,
    which a document then gets without waiting for the settings model to be built."""
    if ls.settings_ready.is_set():
        return True
    await ls.config_sources_known.wait()
    return configuration.unconfigured(ls, uri)


def _result_id(snapshot: Snapshot) -> str:
    """Names exactly what was analysed: the text (not its version number, which a client
    restarts on reopen) and the settings generation. Equal ids mean an equal report."""
    digest = hashlib.blake2b(snapshot.source, digest_size=8).hexdigest()
    return f"{digest}.{snapshot.settings_generation}"


async def _syntax_first(ls: LanternServer, snapshot: Snapshot) -> list[Finding] | None:
    """A document's syntax errors alone, while its first full analysis would wait for
    one-time work (the settings' first load, the warm-up of its language's rules): they
    cost only the parse, and are a subset of the full findings, which follow. None
    when there are none (an empty answer would show the user nothing sooner), when the
    full findings are as quick to have, when this is not a first analysis, and before
    the settings are loaded unless nothing configures diagnostics."""
    if (
        snapshot.tree is None
        or snapshot.language is None
        or snapshot.skip_reason is not None
        or len(snapshot.source) >= LARGE_DOCUMENT
        or snapshot.uri in _state(ls).results
        or snapshot.uri in _state(ls).syntax_first  # once: a second pull waits for the rest
    ):
        return None
    if not ls.settings_ready.is_set():
        await ls.config_sources_known.wait()  # the client's answer: a round trip
        if not configuration.unconfigured(ls, snapshot.uri, ("diagnostics",)):
            return None  # the settings may turn them off, or cap the file's size
    else:
        settings = snapshot.settings
        if settings is not None and not settings.diagnostics.enabled:
            return None
        options = rule_options(settings.rules if settings is not None else None)
        if warmup.is_prepared(snapshot.language, options):
            return None
    if snapshot.uri in _state(ls).results:
        return None  # the full findings came meanwhile
    if not snapshot.tree.root_node.has_error:
        return None  # (an indentation error tree-sitter accepts waits for the rest)
    if syntax := syntax_errors(snapshot.language, snapshot.source, snapshot.tree):
        _state(ls).syntax_first.add(snapshot.uri)
        return syntax
    return None


def _follow_up(ls: LanternServer, uri: str) -> None:
    """Compute `uri`'s full findings (once the settings are known, if they matter),
    then have them pulled."""

    async def complete() -> None:
        try:
            if not await _analysable_before_settings(ls, uri):
                await ls.settings_ready.wait()
            if (snapshot := await parsing.snapshot(ls, uri, wait=0)) is not None:
                await findings_for(ls, snapshot)
            refresh(ls, uri)
        except Exception as exc:
            ls.report_handler_error(types.TEXT_DOCUMENT_DIAGNOSTIC, exc)

    _state(ls).follow_ups.add(task := asyncio.get_running_loop().create_task(complete()))
    task.add_done_callback(_state(ls).follow_ups.discard)


def publish_syntax_first(ls: LanternServer, uri: str) -> None:
    """On open, for a client that takes pushed diagnostics: publish the syntax errors at
    once if the full findings would wait for one-time work (they replace them later)."""
    if ls.session.pull_diagnostics or ls.loop is None:
        return

    async def publish() -> None:
        try:
            snapshot = await parsing.snapshot(ls, uri, wait=0)
            if snapshot is None or (syntax := await _syntax_first(ls, snapshot)) is None:
                return
            document = ls.session.documents.get(uri)
            # Never after the full findings (they are kept before they are published).
            fresh = document is not None and document.version == snapshot.version
            if fresh and uri not in _state(ls).results:
                ls.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(
                        uri=uri,
                        version=snapshot.version,
                        diagnostics=diagnostics_of(ls, snapshot, syntax),
                    )
                )
        except Exception as exc:
            ls.report_handler_error(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, exc)

    ls.loop.create_task(publish())


def schedule(ls: LanternServer, uri: str, *, immediately: bool = False) -> None:
    """Publish fresh diagnostics for `uri` once the client has been quiet for a moment.

    Before the first settings are loaded only a document analysed with the defaults is
    (see `_analysable_before_settings`): loading them refreshes all.
    """
    if ls.session.pull_diagnostics or ls.loop is None:
        return
    if ls.session.settings is None and not (
        ls.config_sources_known.is_set() and configuration.unconfigured(ls, uri)
    ):
        return
    state = _state(ls)
    if (timer := state.timers.pop(uri, None)) is not None:
        timer.cancel()
    settings = ls.session.settings_for(uri)
    debounce_ms = settings.diagnostics.debounce_ms if settings is not None else DEBOUNCE_MS
    delay = 0.0 if immediately else debounce_ms / 1000
    loop = ls.loop
    state.timers[uri] = loop.call_later(delay, lambda: loop.create_task(_publish(ls, uri)))


def refresh(ls: LanternServer, uri: str) -> None:
    """`uri`'s diagnostics may have changed (AI findings arrived): publish them again, or
    ask a pulling client to pull."""
    if ls.session.pull_diagnostics:
        refresh_all(ls)
    else:
        schedule(ls, uri, immediately=True)


def refresh_all(ls: LanternServer) -> None:
    """Settings changed: every open document's diagnostics may differ."""
    if not ls.session.pull_diagnostics:
        for uri in list(ls.session.documents):
            schedule(ls, uri, immediately=True)
        return
    if _can_refresh(ls):
        ls.workspace_diagnostic_refresh(None)


def _can_refresh(ls: LanternServer) -> bool:
    """Whether the client can be asked to pull diagnostics again."""
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)


def forget(ls: LanternServer, uri: str, *, closed: bool = True) -> None:
    """Stop work on `uri` and drop its cached results (they are per version number,
    which a reopened document starts again); when it `closed`, clear what was published."""
    state = _state(ls)
    if (timer := state.timers.pop(uri, None)) is not None:
        timer.cancel()
    state.results.pop(uri, None)
    state.analyses.pop(uri, None)
    state.syntax_first.discard(uri)
    if closed:
        state.locks.pop(uri, None)
    if closed and not ls.session.pull_diagnostics:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


async def _publish(ls: LanternServer, uri: str) -> None:
    """Runs as a task of its own, outside any handler: so it is isolated like one."""
    _state(ls).timers.pop(uri, None)
    ls.busy(+1)
    try:
        maybe_crash(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, uri)
        await _analyse_and_publish(ls, uri)
    except Exception as exc:
        ls.report_handler_error(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, exc)
    finally:
        ls.busy(-1)


async def _analyse_and_publish(ls: LanternServer, uri: str) -> None:
    snapshot = await parsing.snapshot(ls, uri, wait=0)
    if snapshot is None:
        return
    findings = await findings_for(ls, snapshot)
    document = ls.session.documents.get(uri)
    if document is None or document.version != snapshot.version:
        return  # stale: a newer version has its own analysis scheduled
    findings = review.with_ai(ls, snapshot, findings)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=uri,
            version=snapshot.version,
            diagnostics=diagnostics_of(ls, snapshot, findings),
        )
    )


async def findings_for(ls: LanternServer, snapshot: Snapshot) -> list[Finding]:
    """The findings for one snapshot, computed once per version and analysis settings."""
    state = _state(ls)
    lock = state.locks.setdefault(snapshot.uri, asyncio.Lock())
    async with lock:
        return await _findings_for(ls, state, snapshot)


async def findings_by(ls: LanternServer, snapshot: Snapshot, deadline: float) -> list[Finding]:
    """`findings_for`, but a large document's are awaited only until `deadline` (event
    loop time): [] if they are not computed by then (they keep being computed)."""
    computing = asyncio.ensure_future(findings_for(ls, snapshot))
    if len(snapshot.source) >= LARGE_DOCUMENT:
        timeout = max(0.0, deadline - asyncio.get_running_loop().time())
        await asyncio.wait({computing}, timeout=timeout)
        if not computing.done():
            return []
    return await computing


async def _findings_for(ls: LanternServer, state: _State, snapshot: Snapshot) -> list[Finding]:
    settings = snapshot.settings
    enabled = settings is None or settings.diagnostics.enabled
    options = rule_options(settings.rules if settings is not None else None)
    budget = settings.diagnostics.time_budget_ms if settings is not None else TIME_BUDGET_MS
    # What the findings depend on: new settings that leave these alone (the first load,
    # when nothing is configured) cost no second analysis (seconds for a large file).
    key = (snapshot.version, snapshot.skip_reason, enabled, options, budget)
    cached = state.results.get(snapshot.uri)
    if cached is not None and cached[0] == key:
        return cached[1]
    if snapshot.skip_reason is not None and snapshot.language is not None and enabled:
        # Said in the editor, at the top of the file, not only in the server's log.
        findings: list[Finding] = [
            notice(f"Lantern did not analyse this file: {snapshot.skip_reason}.")
        ]
    elif snapshot.language is not None and enabled and len(snapshot.source) >= LARGE_DOCUMENT:
        findings = await parsing.findings_elsewhere(ls, snapshot, options, budget)
    elif snapshot.tree is None or snapshot.language is None or not enabled:
        findings = []
    else:
        previous = state.analyses.get(snapshot.uri)
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(
            state.executor,
            _analyse,
            snapshot.language,
            snapshot.source,
            snapshot.tree,
            options,
            previous,
            budget,
        )
        findings = list(analysis.findings)
        if snapshot.uri in ls.session.documents:
            state.analyses[snapshot.uri] = analysis
            if analysis.reanalysed is None:  # a full analysis: the next edit's ahead
                ls.later(_prepare_edits, ls, snapshot.uri, snapshot.language)
    if snapshot.uri in ls.session.documents:
        state.results[snapshot.uri] = (key, findings)
    return findings


def _analyse(
    language: LanguageSpec,
    source: bytes,
    tree: Tree,
    options: RuleOptions,
    previous: Analysis | None,
    budget_ms: int | None,
) -> Analysis:
    warmup.prepare(language, options)  # waits for a warm-up of this language under way
    return analyse_document(language, source, tree, options, previous, budget_ms)


def _prepare_edits(ls: LanternServer, uri: str, language: LanguageSpec) -> None:
    """What the document's next edit would derive for the whole file, from its latest
    analysis (`engine.prepare_edits`; the queue holds no analysis: hundreds of trees)."""
    if (analysis := _state(ls).analyses.get(uri)) is not None:
        prepare_edits(language, analysis)


# The hooks of the messages a user's first seconds do not need (completion, hover,
# commands, ...) are generated this long after `initialized`, not beside the first
# analysis, which they would slow down by as much as they cost.
REST_AFTER_SECONDS = 2.0


def warm_up(ls: LanternServer) -> None:
    """Pay the one-time costs of a user's first requests on a worker, so that the first
    open costs what any later one does: the protocol's hooks for the first messages, the
    analysis of the workspace's languages (and of the documents already open) with the
    workspace's rule options, the model layer if a model is configured; and a moment
    later the hooks of every other message. Called on `initialized` and when settings
    are loaded: it must not delay anything, and it does nothing twice."""
    settings = ls.session.settings
    options = rule_options(settings.rules if settings is not None else None)
    root = ls.session.workspace_root
    opened = [d.language.name for d in list(ls.session.documents.values()) if d.language]
    converter = ls.protocol._converter
    received = protocol_warmup.received_methods(ls.protocol.fm.features)
    everything = [*received, *protocol_warmup.SENT]
    ai_edge = edge(ls)
    executor = _state(ls).executor

    def first() -> None:
        # Before the workers' first allocations; here, not on the loop: it imports ctypes
        # (~2 ms the first open would wait for).
        protocol_warmup.fewer_malloc_arenas()
        protocol_warmup.prepare_messages(converter, received, protocol_warmup.FIRST)
        names = dict.fromkeys(opened)
        if root is not None:
            names.update(dict.fromkeys(spec.name for spec in warmup.languages_in(root)))
        specs = [spec for name in names if (spec := language_named(name)) is not None]
        for spec in specs:
            warmup.prepare(spec, options)
        # Not beside the first analyses, which they would slow down by what they cost.
        ls.later(soon, specs)

    def soon(specs: list[LanguageSpec]) -> None:
        protocol_warmup.prepare_messages(
            converter, received, protocol_warmup.SOON, pause=ls.wait_quiet
        )
        for spec in specs:
            ls.wait_quiet()
            warmup.prepare(spec, options, later=True)
            warmup.prepare_keystrokes(spec, options)
        ai_edge.prepare()  # a review starts on open: is a model configured?
        # The first code action finds the definition at the cursor for the AI actions
        # with `lantern.ai.context` (its imports, tomllib's among them: ~3 ms); the first
        # completion needs the completion engine (~4 ms of imports).
        ls.wait_quiet()
        for module in ("lantern.ai.context", "lantern.completion.engine"):
            importlib.import_module(module)

    def rest() -> None:  # class by class, between the user's requests
        protocol_warmup.prepare_messages(converter, received, everything, pause=ls.wait_quiet)

    executor.submit(first)
    if ls.loop is not None:
        ls.loop.call_later(REST_AFTER_SECONDS, lambda: ls.later(rest))
    else:
        ls.later(rest)


def to_diagnostic(
    finding: Finding, index: LineIndex, encoding: Encoding, docs_url: str | None = None
) -> types.Diagnostic:
    start = index.position_at_byte(finding.start_byte, encoding)
    end = index.position_at_byte(finding.end_byte, encoding)
    description = None
    if docs_url and finding.code not in ("syntax", NOTICE) and finding.source == "lantern":
        description = types.CodeDescription(href=f"{docs_url}#{finding.code.lower()}")
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=start[0], character=start[1]),
            end=types.Position(line=end[0], character=end[1]),
        ),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.code,
        code_description=description,
        source=finding.source,
        data=finding.data,
    )


def diagnostics_of(
    ls: LanternServer, snapshot: Snapshot, findings: list[Finding]
) -> list[types.Diagnostic]:
    settings = snapshot.settings
    docs_url = settings.rules.docs_url if settings is not None else DOCS_URL
    return [to_diagnostic(f, snapshot.index, ls.session.encoding, docs_url) for f in findings]
