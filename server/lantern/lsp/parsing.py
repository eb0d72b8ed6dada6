"""Large documents, off the event loop: parsed on a worker thread, analysed in a process.

A document of `lantern.session.LARGE_DOCUMENT` bytes or more (a minified bundle) takes a
second or more to parse, and tree-sitter holds the GIL while it parses or queries. So
its tree is built on a worker thread by a parse that yields the GIL between chunks
(`lantern.analysis.languages.parse`), one per version, shared by every request that
needs it; and its findings come from another process (`lantern.analysis.isolated`),
where the rules' long queries cannot hold up this one. Requests on such a document wait
for either at most `ANSWER_WITHIN` seconds, then answer with what there is (no actions
yet, a "still analysing" notice); requests on other documents never wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lantern.analysis.findings import Finding

if TYPE_CHECKING:
    # Imported when the first large document is analysed (multiprocessing costs 30 ms
    # of start-up otherwise).
    from concurrent.futures import ProcessPoolExecutor

    from lantern.analysis.context import RuleOptions
    from lantern.lsp.server import LanternServer
    from lantern.session import Snapshot

log = logging.getLogger(__name__)

# Requests on a large document answer within about this many seconds, with what there is.
ANSWER_WITHIN = 0.25


@dataclass
class _State:
    parser: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="lantern-parse")
    )
    # Started on the first large document only: a process costs memory and a start-up.
    analyser: ProcessPoolExecutor | None = None
    parses: dict[str, tuple[int, asyncio.Task[None]]] = field(default_factory=dict)


def _state(ls: LanternServer) -> _State:
    if ls.parsing_state is None:
        ls.parsing_state = _State()
    return ls.parsing_state


def start_parse(ls: LanternServer, uri: str) -> asyncio.Task[None] | None:
    """Start (or join) the parse `uri`'s current version needs; None if it needs none."""
    job = ls.session.parse_job(uri)
    if job is None:
        return None
    state = _state(ls)
    running = state.parses.get(uri)
    if running is not None and running[0] == job.version and not running[1].done():
        return running[1]
    loop = asyncio.get_running_loop()

    async def parse_and_install() -> None:
        try:
            tree = await loop.run_in_executor(state.parser, job.run)
        except Exception:
            log.exception("parsing %s failed", uri)
            return
        ls.session.install(job, tree)

    task = loop.create_task(parse_and_install())
    state.parses[uri] = (job.version, task)
    task.add_done_callback(lambda _: _forget(state, uri, task))
    return task


def _forget(state: _State, uri: str, task: asyncio.Task[None]) -> None:
    if (running := state.parses.get(uri)) is not None and running[1] is task:
        del state.parses[uri]


async def snapshot(ls: LanternServer, uri: str, wait: float | None) -> Snapshot | None:
    """`uri`'s current snapshot, with its tree if it can be had within `wait` seconds
    (None: however long its parse takes; 0: only start the parse). A small document is
    parsed at once, on the loop, as `Session.snapshot` does."""
    task = start_parse(ls, uri)
    if task is not None and wait != 0:
        await asyncio.wait({task}, timeout=wait)
    return ls.session.snapshot(uri)


async def findings_elsewhere(
    ls: LanternServer, snapshot: Snapshot, options: RuleOptions, budget_ms: int | None
) -> list[Finding]:
    """A large document's findings, from a fresh analysis in the analysis process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from lantern.analysis.isolated import findings_of

    state = _state(ls)
    if state.analyser is None:
        # "spawn": forking a process with threads running is unsafe, and the child
        # needs nothing of this one's state. A process per analysis: one of a 1.5 MB
        # bundle peaks at about 240 MB, which a process kept for the next would hold.
        state.analyser = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1
        )
    assert snapshot.language is not None
    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(
        state.analyser, findings_of, snapshot.language.name, snapshot.source, options, budget_ms
    )
    return list(found)


def close(ls: LanternServer) -> None:
    """Stop the workers (on exit): an analysis under way is not waited for."""
    state = ls.parsing_state
    if state is None:
        return
    state.parser.shutdown(wait=False, cancel_futures=True)
    if state.analyser is not None:
        # The pool would wait for the running analysis (seconds) before the process can
        # exit; it has no public way to stop its workers before Python 3.14.
        for process in list(getattr(state.analyser, "_processes", {}).values()):
            process.terminate()
        state.analyser.shutdown(wait=False, cancel_futures=True)
