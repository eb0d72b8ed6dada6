"""AI code actions: "Fix with AI", "Explain", "Generate code from this comment",
"Generate docstring", "Generate tests".

Listing never calls the model: it looks at the diagnostics, the selection and the
syntax tree under the cursor only. The model runs when the user picks an action: in
`codeAction/resolve` for clients that resolve edits lazily, else through the command
the action carries (with `apply`, so the server applies the edit it computed). Every
edit is tied to the document version the action was listed for.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from lantern.lsp import assistant
from lantern.lsp.commands import EXPLAIN, FIX, GENERATE
from lantern.lsp.edits import supports_resource_operation
from lantern.lsp.server import LanternServer
from lantern.session import Snapshot

FIX_KIND = "lantern.ai.fix"
GENERATE_KIND = "lantern.ai.generate"
QUICK_FIX = types.CodeActionKind.QuickFix.value
REWRITE = types.CodeActionKind.RefactorRewrite.value
MAX_DIAGNOSTICS = 5  # AI actions for at most this many diagnostics under the cursor


def listed(
    ls: LanternServer, snapshot: Snapshot, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """The AI actions at `params.range`, in the order they should appear."""
    settings = ls.session.settings
    if settings is None or not settings.ai.enabled:
        return []
    only = params.context.only
    lazily = _resolves_lazily(ls)
    base = {"uri": snapshot.uri, "version": snapshot.version}
    actions: list[types.CodeAction] = []
    if _wants(only, QUICK_FIX):
        for diagnostic in params.context.diagnostics[:MAX_DIAGNOSTICS]:
            plain = ls.converter.unstructure(diagnostic)
            short = _short(diagnostic.message)
            actions.append(
                _edit_action(
                    f"Fix with AI: {short}",
                    QUICK_FIX,
                    {**base, "kind": FIX_KIND, "target": plain},
                    types.Command(
                        title="Fix with AI",
                        command=FIX,
                        arguments=[snapshot.uri, plain, _apply(snapshot)],
                    ),
                    lazily,
                    [diagnostic],
                )
            )
            actions.append(
                types.CodeAction(
                    title=f"Explain with AI: {short}",
                    kind=QUICK_FIX,
                    diagnostics=[diagnostic],
                    command=types.Command(
                        title="Explain with AI",
                        command=EXPLAIN,
                        arguments=[snapshot.uri, plain, {"show": True}],
                    ),
                )
            )
    if not _wants(only, REWRITE):
        return actions
    selection = ls.converter.unstructure(params.range)
    if params.range.start != params.range.end:
        actions.append(
            _edit_action(
                "Fix selection with AI",
                REWRITE,
                {**base, "kind": FIX_KIND, "target": selection},
                types.Command(
                    title="Fix with AI",
                    command=FIX,
                    arguments=[snapshot.uri, selection, _apply(snapshot)],
                ),
                lazily,
            )
        )
        actions.append(_explain_action("Explain selection with AI", snapshot.uri, selection))
    line = params.range.start.line
    cursor = {"line": line, "character": 0}
    comment = assistant.comment_at(snapshot, line)
    if comment:
        actions.append(
            _generate_action(
                "Generate code from this comment", base, cursor, comment, "code", lazily
            )
        )
    definition = _definition_at(snapshot, line)
    if definition is not None:
        name, first_line = definition
        if params.range.start == params.range.end:
            actions.append(_explain_action(f"Explain `{name}` with AI", snapshot.uri, selection))
        if not _documented(snapshot, first_line):
            actions.append(
                _generate_action(
                    f"Generate docstring for `{name}`",
                    base,
                    cursor,
                    f"for `{name}`",
                    "docs",
                    lazily,
                )
            )
        # A new file: an edit only where the editor can create files; elsewhere the
        # command runs, and the server writes the file itself.
        creates = supports_resource_operation(ls, types.ResourceOperationKind.Create)
        actions.append(
            _generate_action(
                f"Generate tests for `{name}`",
                base,
                cursor,
                f"Tests for `{name}`.",
                "tests",
                lazily and creates,
            )
        )
    return actions


async def resolve(
    ls: LanternServer, action: types.CodeAction, data: dict[str, Any]
) -> types.CodeAction:
    """Compute an AI action's edit (this is where the model runs)."""
    snapshot = ls.session.snapshot(str(data.get("uri", "")))
    if snapshot is None or snapshot.version != data.get("version"):
        return action  # the document changed: an edit for the old text must not apply
    if data.get("kind") == FIX_KIND:
        from lantern.lsp.commands import _target

        outcome = await assistant.fix(ls, snapshot, _target(ls, data.get("target")))
    else:
        position = types.Position(**data.get("position", {"line": 0, "character": 0}))
        outcome = await assistant.generate(
            ls, snapshot, position, str(data.get("prompt", "")), str(data.get("generate", "code"))
        )
    if outcome.error is not None:
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=outcome.error)
        )
        return action
    if outcome.edit is None:  # e.g. files this editor cannot create: never a silent no-op
        message = outcome.summary or "Lantern AI: nothing to apply."
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=message)
        )
        return action
    if outcome.new_problems:
        action.title += f" (introduces {outcome.new_problems} new problem(s))"
    action.edit = outcome.edit
    return action


# -- building actions ----------------------------------------------------------------------------


def _edit_action(
    title: str,
    kind: str,
    data: dict[str, Any],
    command: types.Command,
    lazily: bool,
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeAction:
    """An action whose edit the model computes: resolved later, or run as a command."""
    return types.CodeAction(
        title=title,
        kind=kind,
        diagnostics=diagnostics,
        data=data if lazily else None,
        command=None if lazily else command,
    )


def _generate_action(
    title: str,
    base: dict[str, Any],
    position: dict[str, int],
    prompt: str,
    kind: str,
    lazily: bool,
) -> types.CodeAction:
    arguments = [base["uri"], position, prompt, kind, {"apply": True}]
    data = {**base, "kind": GENERATE_KIND, "position": position, "prompt": prompt}
    data["generate"] = kind
    return _edit_action(
        title,
        REWRITE,
        data,
        types.Command(title=title, command=GENERATE, arguments=arguments),
        lazily,
    )


def _explain_action(title: str, uri: str, selection: Any) -> types.CodeAction:
    command = types.Command(
        title=title, command=EXPLAIN, arguments=[uri, selection, {"show": True}]
    )
    return types.CodeAction(title=title, kind=REWRITE, command=command)


def _apply(snapshot: Snapshot) -> dict[str, Any]:
    return {"apply": True, "version": snapshot.version}


def _short(message: str, width: int = 60) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _wants(only: list[str] | None, kind: str) -> bool:
    if not only:
        return True
    return any(kind == want or kind.startswith(f"{want}.") for want in only)


def _resolves_lazily(ls: LanternServer) -> bool:
    text_document = ls.client_capabilities.text_document
    action = text_document.code_action if text_document else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


def _definition_at(snapshot: Snapshot, line: int) -> tuple[str, int] | None:
    """(name, 0-based first line) of the innermost definition around `line`, from the tree."""
    from lantern.ai.context import unwrap_definition

    if snapshot.tree is None:
        return None
    text = snapshot.index.line_text(line)
    column = len(text.encode("utf-8", "surrogatepass")) - len(
        text.lstrip().encode("utf-8", "surrogatepass")
    )
    node = snapshot.tree.root_node.descendant_for_point_range((line, column), (line, column))
    while node is not None:
        definition = unwrap_definition(node)
        if definition is not None:
            name = definition.child_by_field_name("name")
            label = (
                name.text.decode("utf-8", "replace") if name is not None and name.text else "this"
            )
            return label, node.start_point[0]
        node = node.parent
    return None


def _documented(snapshot: Snapshot, first_line: int) -> bool:
    """A comment right above the definition, or (Python) a docstring as its first statement."""
    above = snapshot.index.line_text(first_line - 1).strip() if first_line > 0 else ""
    if above.startswith(("#", "//", "/*", "*", "///")):
        return True
    for number in range(first_line, min(first_line + 12, snapshot.index.line_count)):
        text = snapshot.index.line_text(number).strip()
        if text.endswith(":") or text.endswith("{"):
            following = snapshot.index.line_text(number + 1).strip()
            return following.startswith(('"""', "'''", 'r"""', '"', "'"))
    return False
