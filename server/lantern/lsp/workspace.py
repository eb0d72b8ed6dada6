"""`lantern.analyzeWorkspace`: static analysis (and the AI review, when a model is set)
of every source file in the workspace, respecting excludes, with cancellable progress;
results are published for every file, open or not.

Open documents are analysed from the editor's text as usual; the others are read
from disk on a worker thread, one at a time, so the editor stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from lantern.lsp import diagnostics, review
from lantern.lsp.ai import edge
from lantern.lsp.progress import WorkProgress
from lantern.lsp.server import LanternServer
from lantern.positions import LineIndex

log = logging.getLogger(__name__)


async def analyze_workspace(ls: LanternServer, options: dict[str, Any]) -> dict[str, Any]:
    from lantern.analysis.engine import rule_options
    from lantern.analysis.files import Ignores, discover

    root = ls.session.workspace_root
    settings = ls.session.settings
    if root is None or settings is None:
        return {"summary": "No workspace folder is open.", "files": 0}
    with_ai = options.get("ai", True) is not False and edge(ls).ready()
    paths = await asyncio.to_thread(
        lambda: list(discover([root], Ignores(settings.exclude, base=root)))
    )
    rules = rule_options(settings.rules)
    progress = await WorkProgress.start(
        ls, "Lantern: analysing the workspace", f"{len(paths)} files"
    )
    static_count = ai_count = done = 0
    try:
        for path in paths:
            if progress.cancelled.is_set():
                break
            uri = from_fs_path(str(path)) or path.as_uri()
            if uri in ls.session.documents:
                if with_ai:
                    review.start(ls, uri)
                diagnostics.schedule(ls, uri, immediately=True)
            else:
                found = await _analyse_file(ls, path, uri, rules, with_ai, progress.cancelled)
                static_count += found[0]
                ai_count += found[1]
            done += 1
            progress.report(f"{path.relative_to(root)}", done * 100 // max(len(paths), 1))
    finally:
        progress.end(f"{done} files analysed")
    summary = f"{done} of {len(paths)} files analysed: {static_count} static finding(s)"
    if with_ai:
        summary += f", {ai_count} from the AI review"
    return {
        "files": done,
        "static": static_count,
        "ai": ai_count if with_ai else None,
        "cancelled": progress.cancelled.is_set(),
        "summary": summary + ".",
    }


async def _analyse_file(
    ls: LanternServer,
    path: Path,
    uri: str,
    rules: Any,
    with_ai: bool,
    cancel: asyncio.Event,
) -> tuple[int, int]:
    """Analyse one closed file and publish its diagnostics; (static, ai) counts."""
    from lantern.analysis.files import check_file

    settings = ls.session.settings
    assert settings is not None
    # Like a folder walk in `lantern check`: vendored, minified and generated files are
    # not the project's source, and neither analysed nor sent to the model.
    report = await asyncio.to_thread(
        check_file, path, rules, settings.diagnostics.max_file_size, skip_generated=True
    )
    if report.skipped is not None:
        return 0, 0
    try:
        text = (await asyncio.to_thread(path.read_bytes)).decode("utf-8", "replace")
    except OSError:
        return 0, 0
    findings = list(report.findings)
    ai_found = 0
    if with_ai:
        from lantern.analysis.languages import detect_language
        from lantern.assist.review import review_text

        language = detect_language(str(path))
        if language is not None:
            ai_findings, errors = await review_text(
                edge(ls).service(), uri, text, language, findings, cancel
            )
            for error in errors:
                edge(ls).failed(error, asked=True)
            findings += ai_findings
            ai_found = len(ai_findings)
    index = LineIndex(text)
    docs_url = settings.rules.docs_url
    items = [diagnostics.to_diagnostic(f, index, ls.session.encoding, docs_url) for f in findings]
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=items))
    return len(report.findings), ai_found
