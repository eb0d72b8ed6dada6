"""textDocument/codeAction and codeAction/resolve: quick fixes, ignore comments, fix-all.

Actions are built from the findings of the document's *current* version (the same
cached analysis that produced its diagnostics), never from the byte offsets a client
echoes back, and every edit carries the version it was computed for. For clients that
can resolve actions lazily the list is sent without edits; resolving recomputes them
for that version, and an action whose document has moved on resolves to no edit.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lantern.analysis.findings import NOTICE, Finding
from lantern.analysis.fixes import combine, ignore_edit
from lantern.analysis.rules.model import Edit, Fix
from lantern.lsp import ai_actions, diagnostics, parsing
from lantern.lsp.edits import Refused, workspace_edit
from lantern.lsp.server import LanternServer
from lantern.positions import Encoding
from lantern.session import Snapshot

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.lantern"
QUICK_FIX = types.CodeActionKind.QuickFix.value


def register(server: LanternServer) -> None:
    options = types.CodeActionOptions(
        code_action_kinds=[
            types.CodeActionKind.QuickFix,
            types.CodeActionKind.RefactorRewrite,
            FIX_ALL,
        ],
        resolve_provider=True,
    )

    @server.handler(types.TEXT_DOCUMENT_CODE_ACTION, options)
    async def code_action(
        ls: LanternServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        await ls.settings_ready.wait()  # which actions exist depends on the settings
        # A large document's tree and findings take seconds the first time: until both
        # are there, it is answered with what there is (no quick fixes yet).
        deadline = asyncio.get_running_loop().time() + parsing.ANSWER_WITHIN
        snapshot = await parsing.snapshot(ls, params.text_document.uri, wait=parsing.ANSWER_WITHIN)
        if snapshot is None or snapshot.tree is None:
            return None
        findings = await diagnostics.findings_by(ls, snapshot, deadline)
        wanted = params.context.only
        chosen = []
        if _wants(wanted, QUICK_FIX):
            chosen = _at_range(snapshot, findings, params.range, ls.session.encoding)

        def build() -> list[types.CodeAction]:
            # Off the event loop: every edit is re-parsed before it is offered, and that
            # must not hold up the didChange notifications queued behind this request.
            actions = [action for f in chosen for action in _quick_fixes(ls, snapshot, f)]
            # Asked for by kind, or (no kind asked) beside a safe fix at the cursor: so every
            # editor's code action menu reaches it, also those without a "source action" UI.
            offer = _wants(wanted, FIX_ALL) if wanted else bool(_safe_fixes(chosen))
            if offer and (fix_all := _fix_all(ls, snapshot, findings)):
                actions.append(fix_all)
            return actions

        # Nothing to re-parse (no finding at the range, no fix-all asked for): answer here,
        # without a round trip through a worker thread.
        needs_work = chosen or (wanted and _wants(wanted, FIX_ALL))
        actions = await asyncio.to_thread(build) if needs_work else []
        if _resolves_lazily(ls):
            for action in actions:
                action.edit = None
        return actions + ai_actions.listed(ls, snapshot, params)

    @server.handler(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: LanternServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        if str(data.get("kind", "")).startswith("lantern.ai."):
            return await ai_actions.resolve(ls, action, data)
        snapshot = ls.session.snapshot(str(data.get("uri", "")))
        if snapshot is None or snapshot.version != data.get("version"):
            return action  # the document changed: an edit for the old text must not apply
        findings = await diagnostics.findings_for(ls, snapshot)
        if data.get("kind") == FIX_ALL:
            fix_all = _fix_all(ls, snapshot, findings)
            action.edit = fix_all.edit if fix_all is not None else None
            return action
        for finding in findings:
            if finding.code == data.get("code") and finding.start_byte == data.get("start"):
                for candidate in _quick_fixes(ls, snapshot, finding):
                    if candidate.title == action.title:
                        action.edit = candidate.edit
        return action


# Editors ask at the cursor and users mean the line's problems; but on a one-line
# (minified) file "the line" is the whole file, so beyond the findings at the range itself
# only this many more from its lines get actions.
MAX_MORE_ON_THE_LINES = 4


def _at_range(
    snapshot: Snapshot, findings: list[Finding], at: types.Range, encoding: Encoding
) -> list[Finding]:
    """The findings to offer quick fixes for: those the range touches, then a few more
    on its lines (the nearest first); never syntax errors or notices. `at` is in `encoding`."""
    index = snapshot.index
    start = index.byte_at_position(at.start.line, 0, Encoding.UTF8)
    end = index.byte_at_position(at.end.line + 1, 0, Encoding.UTF8)
    on_lines = [f for f in findings if f.code not in ("syntax", NOTICE) and _touches(f, start, end)]
    if len(on_lines) <= MAX_MORE_ON_THE_LINES:
        return on_lines
    exact_start = index.byte_at_position(at.start.line, at.start.character, encoding)
    exact_end = index.byte_at_position(at.end.line, at.end.character, encoding)
    touched = [f for f in on_lines if _touches(f, exact_start, exact_end)]
    touched_ids = {id(f) for f in touched}
    nearest = sorted(
        (f for f in on_lines if id(f) not in touched_ids),
        key=lambda f: min(abs(f.start_byte - exact_start), abs(f.end_byte - exact_start)),
    )
    return touched + nearest[:MAX_MORE_ON_THE_LINES]


def _wants(only: list[str] | None, kind: str) -> bool:
    if not only:
        return kind == QUICK_FIX
    return any(kind == want or kind.startswith(f"{want}.") for want in only)


def _touches(finding: Finding, start: int, end: int) -> bool:
    return finding.start_byte < end and start <= finding.end_byte


def _resolves_lazily(ls: LanternServer) -> bool:
    text_document = ls.client_capabilities.text_document
    action = text_document.code_action if text_document else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


def _fix_of(finding: Finding) -> Fix | None:
    data = finding.data or {}
    return Fix.from_data(data["fix"]) if "fix" in data else None


def _safe_fixes(findings: list[Finding]) -> list[Fix]:
    return [fix for f in findings if (fix := _fix_of(f)) is not None and fix.safe]


def _quick_fixes(ls: LanternServer, snapshot: Snapshot, finding: Finding) -> list[types.CodeAction]:
    """The finding's own fix and "ignore on this line", each only if its edit is offered."""
    diagnostic = diagnostics.diagnostics_of(ls, snapshot, [finding])[0]
    data = {"uri": snapshot.uri, "version": snapshot.version, "code": finding.code}
    data |= {"start": finding.start_byte, "kind": QUICK_FIX}
    candidates: list[tuple[str, list[Edit], bool]] = []
    fix = _fix_of(finding)
    if fix is not None:
        label = "" if fix.safe else " (unsafe)"
        candidates.append((f"{fix.title} ({finding.code}){label}", list(fix.edits), fix.safe))
    assert snapshot.language is not None and snapshot.tree is not None
    ignore = ignore_edit(
        snapshot.language, snapshot.source, snapshot.tree, finding.start_byte, finding.code
    )
    if ignore is not None:
        candidates.append((f"Ignore {finding.code} on this line", [ignore], False))
    actions = []
    for title, edits, preferred in candidates:
        edit = workspace_edit(ls, snapshot, edits)
        if isinstance(edit, Refused):
            continue
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=preferred or None,
                edit=edit,
                data=data,
            )
        )
    return actions


def _fix_all(
    ls: LanternServer, snapshot: Snapshot, findings: list[Finding]
) -> types.CodeAction | None:
    """Every safe fix at once; fixes that would break the syntax are left out."""
    fixes = _safe_fixes(findings)
    edit = workspace_edit(ls, snapshot, combine(fixes))
    if isinstance(edit, Refused):
        fixes = [
            f for f in fixes if not isinstance(workspace_edit(ls, snapshot, list(f.edits)), Refused)
        ]
        edit = workspace_edit(ls, snapshot, combine(fixes))
    if isinstance(edit, Refused):
        return None
    return types.CodeAction(
        title="Lantern: fix all safe problems",
        kind=FIX_ALL,
        edit=edit,
        data={"uri": snapshot.uri, "version": snapshot.version, "kind": FIX_ALL},
    )


def fix_all_edit(
    ls: LanternServer, snapshot: Snapshot, findings: list[Finding]
) -> types.WorkspaceEdit | None:
    """The edit of "fix all safe problems", or None when there is nothing to fix."""
    action = _fix_all(ls, snapshot, findings)
    return action.edit if action is not None else None
