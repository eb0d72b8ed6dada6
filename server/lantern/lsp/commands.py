"""workspace/executeCommand: Lantern's commands, all advertised in the initialize result.

Arguments are positional, as the clients send them (client-vscode/src/protocol.ts):

    lantern.generate(uri, position, prompt, kind, options?)
    lantern.explain(uri, range | diagnostic, options?)
    lantern.fix(uri, diagnostic | range, options?)
    lantern.fixAll(uri)
    lantern.analyzeFile(uri)            lantern.analyzeWorkspace()
    lantern.clearCache()                lantern.status()
    lantern.history(action?, id?)       action: "list" (default), "show", "delete"

`options` is an object: `{"apply": true}` makes the server apply the edit itself with
`workspace/applyEdit` (what code actions use, since a client ignores the result of a
command it runs for an action); `{"show": true}` shows an explanation as a document.
Without `apply`, generate and fix return `{"edit": WorkspaceEdit, "summary": ...}` (or
`{"files": [{"uri", "text"}]}` for a client that cannot create files) for the client to
apply; with `apply`, such files are written by the server (new files only) and the
answer is `{"applied": true, "summary", "written": [uri]}`.
Bad arguments are answered with JSON-RPC error -32602 naming the argument.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lantern.lsp import assistant, diagnostics, review
from lantern.lsp.ai import edge
from lantern.lsp.progress import WorkProgress
from lantern.lsp.server import LanternServer
from lantern.session import Snapshot

log = logging.getLogger(__name__)

GENERATE = "lantern.generate"
EXPLAIN = "lantern.explain"
FIX = "lantern.fix"
FIX_ALL = "lantern.fixAll"
ANALYZE_FILE = "lantern.analyzeFile"
ANALYZE_WORKSPACE = "lantern.analyzeWorkspace"
CLEAR_CACHE = "lantern.clearCache"
STATUS = "lantern.status"
HISTORY = "lantern.history"

Handler = Callable[..., Awaitable[Any]]


class BadArguments(ValueError):
    """The command's arguments are not what it takes (JSON-RPC -32602)."""


def register(server: LanternServer) -> None:
    table: dict[str, Handler] = {
        GENERATE: _generate,
        EXPLAIN: _explain,
        FIX: _fix,
        FIX_ALL: _fix_all,
        ANALYZE_FILE: _analyze_file,
        ANALYZE_WORKSPACE: _analyze_workspace,
        CLEAR_CACHE: _clear_cache,
        STATUS: _status,
        HISTORY: _history,
    }
    for name, handler in table.items():
        server.command(name)(_guarded(name, handler))


def _guarded(name: str, handler: Handler) -> Handler:
    """Isolate a command like a handler: bad arguments are -32602, a failure is logged,
    shown once and answered with an error, and the server keeps serving."""

    @functools.wraps(handler)
    async def run(ls: LanternServer, *arguments: Any) -> Any:
        await ls.settings_ready.wait()
        try:
            return await handler(ls, *arguments)
        except BadArguments as exc:
            raise JsonRpcInvalidParams(f"{name}: {exc}") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            ls.report_handler_error(name, exc)
            raise

    del run.__wrapped__  # pygls reads the signature: `ls`, then the raw arguments
    return run


# -- arguments ---------------------------------------------------------------------------------


def _snapshot(ls: LanternServer, uri: Any) -> Snapshot:
    if not isinstance(uri, str) or not uri:
        raise BadArguments("the first argument must be a document URI")
    snapshot = ls.session.snapshot(uri)
    if snapshot is None:
        raise BadArguments(f"{uri} is not open in the editor")
    return snapshot


def _structure(ls: LanternServer, value: Any, kind: type, what: str) -> Any:
    try:
        return ls.converter.structure(value, kind)
    except Exception:
        raise BadArguments(f"{what} is not a valid LSP {kind.__name__}") from None


def _target(ls: LanternServer, value: Any) -> assistant.Target:
    """A diagnostic (it has a message) or a range."""
    if isinstance(value, dict) and "message" in value:
        diagnostic = _structure(ls, value, types.Diagnostic, "the diagnostic")
        return assistant.Target(diagnostic.range, diagnostic)
    if isinstance(value, dict) and "range" in value and "start" not in value:
        value = value["range"]
    return assistant.Target(_structure(ls, value, types.Range, "the range"))


def _options(arguments: tuple[Any, ...], index: int) -> dict[str, Any]:
    value = arguments[index] if len(arguments) > index else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadArguments(f"argument {index + 1} (options) must be an object")
    return value


def _at_least(arguments: tuple[Any, ...], count: int, usage: str) -> None:
    if len(arguments) < count:
        raise BadArguments(f"expected {usage}")


# -- the commands ------------------------------------------------------------------------------


async def _finish(ls: LanternServer, outcome: assistant.Outcome, options: dict[str, Any]) -> Any:
    """The result for the client, or, with `apply`, the edit applied by the server."""
    if outcome.error is not None:
        return outcome.to_result()
    if options.get("apply") and outcome.edit is not None:
        answer = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=outcome.edit, label="Lantern AI")
        )
        if not answer.applied:
            reason = answer.failure_reason or "the editor refused it (the file changed?)"
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"Lantern AI: the edit was not applied: {reason}",
                )
            )
        return {"applied": answer.applied, "summary": outcome.summary}
    if options.get("apply") and outcome.files:
        # The editor cannot create files from an edit (no "create" resource operation),
        # and asked the server to apply: the server writes the new files itself.
        written = await assistant.write_new_files(ls, outcome.files)
        if written.error is not None:
            _tell(ls, written.error)
            return written.to_result()
        summary = f"{outcome.summary}. {written.summary}."
        _tell(ls, summary, types.MessageType.Info)
        return {"applied": True, "summary": summary, "written": [f["uri"] for f in outcome.files]}
    return outcome.to_result()


async def _generate(ls: LanternServer, *arguments: Any) -> Any:
    _at_least(arguments, 2, "(uri, position, prompt?, kind?, options?)")
    snapshot = _snapshot(ls, arguments[0])
    position = _structure(ls, arguments[1], types.Position, "the position")
    prompt = arguments[2] if len(arguments) > 2 and arguments[2] is not None else ""
    kind = arguments[3] if len(arguments) > 3 and arguments[3] is not None else "code"
    if not isinstance(prompt, str) or not isinstance(kind, str):
        raise BadArguments("prompt and kind must be strings")
    options = _options(arguments, 4)
    progress = await WorkProgress.start(ls, "Lantern: generating", f"{kind}: {prompt[:60]}")
    reported = 0

    def writing(text: str) -> None:
        nonlocal reported
        lines = text.count("\n")
        if lines >= reported + 5:  # the model streams tokens: a report every few lines
            reported = lines
            progress.report(f"the model has written {lines} lines")

    try:
        outcome = await assistant.generate(
            ls, snapshot, position, prompt, kind, cancel=progress.cancelled, on_text=writing
        )
    finally:
        progress.end()
    if outcome.error is not None and options.get("apply"):
        _tell(ls, outcome.error)
    return await _finish(ls, outcome, options)


async def _explain(ls: LanternServer, *arguments: Any) -> Any:
    _at_least(arguments, 2, "(uri, range | diagnostic, options?)")
    snapshot = _snapshot(ls, arguments[0])
    target = _target(ls, arguments[1])
    options = _options(arguments, 2)
    outcome = await assistant.explain(ls, snapshot, target)
    if options.get("show"):
        if outcome.markdown is not None:
            name = snapshot.uri.rsplit("/", 1)[-1]
            await assistant.show_markdown(ls, outcome.markdown, f"explain-{name}")
        elif outcome.error is not None:
            _tell(ls, outcome.error)
    return outcome.to_result()


async def _fix(ls: LanternServer, *arguments: Any) -> Any:
    _at_least(arguments, 2, "(uri, diagnostic | range, options?)")
    snapshot = _snapshot(ls, arguments[0])
    target = _target(ls, arguments[1])
    options = _options(arguments, 2)
    version = options.get("version")
    if version is not None and version != snapshot.version:
        outcome = assistant.Outcome(
            error="Lantern AI: the document changed since this fix was offered; ask again."
        )
    else:
        outcome = await assistant.fix(ls, snapshot, target)
    if outcome.error is not None and options.get("apply"):
        _tell(ls, outcome.error)
    return await _finish(ls, outcome, options)


async def _fix_all(ls: LanternServer, *arguments: Any) -> Any:
    """Apply every safe static fix of the document (the same as `source.fixAll.lantern`)."""
    from lantern.lsp.actions import fix_all_edit

    _at_least(arguments, 1, "(uri)")
    snapshot = _snapshot(ls, arguments[0])
    edit = fix_all_edit(ls, snapshot, await diagnostics.findings_for(ls, snapshot))
    if edit is None:
        return {"applied": False, "summary": "Nothing to fix."}
    outcome = assistant.Outcome(edit=edit, summary="Applied every safe fix.")
    return await _finish(ls, outcome, {"apply": True})


async def _analyze_file(ls: LanternServer, *arguments: Any) -> Any:
    """Static analysis now, and the AI review of the units that need one."""
    _at_least(arguments, 1, "(uri)")
    snapshot = _snapshot(ls, arguments[0])
    static = await diagnostics.findings_for(ls, snapshot)
    result: dict[str, Any] = {"static": len(static)}
    ai = edge(ls)
    if ai.ready():
        task = review.start(ls, snapshot.uri)
        if task is not None:
            await asyncio.shield(task)
        current = ls.session.snapshot(snapshot.uri)
        if current is not None:
            merged = review.with_ai(ls, current, await diagnostics.findings_for(ls, current))
            result["ai"] = sum(1 for f in merged if f.source == "lantern-ai")
    else:
        result["ai"] = None
        result["aiSkipped"] = _why_not_ready(ls)
    diagnostics.refresh(ls, snapshot.uri)
    ai_part = f", {result['ai']} from the AI review" if result["ai"] is not None else ""
    result["summary"] = f"{result['static']} static finding(s){ai_part}."
    return result


async def _analyze_workspace(ls: LanternServer, *arguments: Any) -> Any:
    from lantern.lsp.workspace import analyze_workspace

    return await analyze_workspace(ls, _options(arguments, 0))


async def _clear_cache(ls: LanternServer, *arguments: Any) -> Any:
    ai = edge(ls)
    removed = await asyncio.to_thread(ai.service().cache.clear)
    review.clear(ls)
    return f"{removed} cached answer(s) removed"


async def _status(ls: LanternServer, *arguments: Any) -> Any:
    """Providers, circuit states, cache statistics, tokens and requests per task, and the
    last error with its request id, as JSON and as Markdown."""
    ai = edge(ls)
    settings = ls.session.settings
    report = ai.service().stats()
    report["last_error"] = ai.last_error
    report["review_on"] = settings.ai.review_on if settings else []
    report["markdown"] = _status_markdown(report)
    return report


async def _history(ls: LanternServer, *arguments: Any) -> Any:
    from lantern.assist.history import history_for

    settings = ls.session.settings
    assert settings is not None
    history = history_for(settings.cache)
    action = arguments[0] if arguments else "list"
    if action == "list":
        entries = history.entries()
        lines = [f"- `{e.id}` {e.summary()[len(e.id) :].strip()}" for e in entries]
        return {
            "entries": [e.to_dict() for e in entries],
            "markdown": "\n".join(lines) or "_No generation yet._",
        }
    if action in ("show", "delete") and len(arguments) > 1 and isinstance(arguments[1], str):
        if action == "delete":
            return {"deleted": history.delete(arguments[1])}
        entry = history.get(arguments[1])
        if entry is None:
            raise BadArguments(f"no history entry {arguments[1]!r}")
        return {**entry.to_dict(), "markdown": _entry_markdown(entry.to_dict())}
    raise BadArguments('expected ("list") or ("show" | "delete", id)')


# -- small helpers -----------------------------------------------------------------------------


def _tell(
    ls: LanternServer, message: str, kind: types.MessageType = types.MessageType.Warning
) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _why_not_ready(ls: LanternServer) -> str:
    settings = ls.session.settings
    if settings is not None and not settings.ai.enabled:
        return "AI features are turned off (`ai.enabled = false`)."
    error = edge(ls).service().pool.not_configured("review")
    edge(ls).failed(error, asked=True)
    return error.message


def _status_markdown(report: dict[str, Any]) -> str:
    lines = ["# Lantern status", ""]
    if not report["enabled"]:
        lines.append("AI features are **off** (`ai.enabled = false`).")
    elif not report["configured"]:
        lines.append("**No model configured.** Set `LANTERN_AI_BASE_URL`, `LANTERN_AI_MODEL` and ")
        lines.append("`LANTERN_AI_API_KEY`, or see docs/ai.md.")
    for provider in report["providers"]:
        lines.append(
            f"- **{provider['name']}** `{provider['model']}` at {provider['base_url']}: "
            f"{provider['health']}, circuit {provider['circuit']}, "
            f"{provider.get('requests', 0)} request(s)"
        )
    tasks = report.get("tasks") or {}
    if tasks:
        lines += [
            "",
            "| task | requests | cache hits | prompt tokens | failures |",
            "|---|---|---|---|---|",
        ]
        for task, counters in tasks.items():
            lines.append(
                f"| {task} | {counters.get('requests', 0)} | {counters.get('cache_hits', 0)} | "
                f"{counters.get('prompt_tokens', 0)} | {counters.get('failures', 0)} |"
            )
    cache = report.get("cache") or {}
    lines += ["", f"Cache: {cache}"]
    if report.get("last_error"):
        error = report["last_error"]
        lines += ["", f"Last error ({error.get('kind')}): {error.get('message')}"]
    return "\n".join(lines)


def _entry_markdown(entry: dict[str, Any]) -> str:
    files = "\n".join(f"- {uri}" for uri in entry.get("files") or []) or "(inserted in place)"
    return (
        f"# Generation {entry['id']}\n\n- kind: {entry['kind']}\n- model: {entry['model']} "
        f"({entry['provider']})\n- from: {entry['target']}\n\n## Prompt\n\n{entry['prompt']}\n\n"
        f"## Files\n\n{files}\n"
    )
