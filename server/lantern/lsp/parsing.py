"""Snapshots for handlers, with large documents parsed on a worker thread.

`Session.snapshot` parses a stale document where it is called: on the event loop,
where a 2 MB file's parse (seconds with some grammars) would hold every other
document's requests. `snapshot` here hands the parse of a large document to a worker,
shares one parse among the requests that wait for the same version, and installs the
tree only if the document has not changed meanwhile. Small documents parse inline:
a thread hop costs more than their parse.
"""

from __future__ import annotations

import asyncio

from lantern.lsp.server import LanternServer
from lantern.session import ParseJob, Snapshot

# Below this many bytes a parse takes a few milliseconds: not worth a thread hop.
LARGE_DOCUMENT = 200_000
_ATTEMPTS = 3  # a document edited during its parse is parsed again, at most this often

_Running = tuple[int, ParseJob, "asyncio.Future[tuple[object, str | None]]"]


async def snapshot(ls: LanternServer, uri: str) -> Snapshot | None:
    """`ls.session.snapshot(uri)`, without parsing a large document on the event loop."""
    session = ls.session
    running: dict[str, _Running] = ls.__dict__.setdefault("_lantern_parses", {})
    for _ in range(_ATTEMPTS):
        job = session.parse_job(uri)
        if job is None or len(job.source) < LARGE_DOCUMENT:
            break
        entry = running.get(uri)
        if entry is None or entry[0] != job.version:
            future = asyncio.get_running_loop().run_in_executor(None, job.run)
            entry = running[uri] = (job.version, job, future)
        result = await asyncio.shield(entry[2])
        if running.get(uri) is entry:
            del running[uri]
        session.finish_parse(entry[1], result)  # type: ignore[arg-type]
    return session.snapshot(uri)
