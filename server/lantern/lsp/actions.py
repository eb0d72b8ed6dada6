"""textDocument/codeAction and codeAction/resolve: quick fixes, ignore comments, fix-all.

Actions are built from the findings of the document's *current* version (the same
cached analysis that produced its diagnostics), never from the byte offsets a client
echoes back, and every edit carries the version it was computed for. For clients that
can resolve actions lazily the list is sent without edits; resolving recomputes them
for that version, and an action whose document has moved on resolves to no edit.
"""

from __future__ import annotations

from lsprotocol import types

from lantern.analysis.findings import NOTICE, Finding
from lantern.analysis.fixes import combine, ignore_edit
from lantern.analysis.rules.model import Edit, Fix
from lantern.lsp import ai_actions, diagnostics
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
        snapshot = ls.session.snapshot(params.text_document.uri)
        if snapshot is None or snapshot.tree is None:
            return None
        findings = await diagnostics.findings_for(ls, snapshot)
        wanted = params.context.only
        actions: list[types.CodeAction] = []
        if _wants(wanted, QUICK_FIX):
            # Whole lines: editors ask at the cursor, users mean the line's problems.
            start = snapshot.index.byte_at_position(params.range.start.line, 0, Encoding.UTF8)
            end = snapshot.index.byte_at_position(params.range.end.line + 1, 0, Encoding.UTF8)
            for finding in findings:
                if finding.code not in ("syntax", NOTICE) and _touches(finding, start, end):
                    actions += _quick_fixes(ls, snapshot, finding)
        if wanted and _wants(wanted, FIX_ALL) and (fix_all := _fix_all(ls, snapshot, findings)):
            actions.append(fix_all)
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
