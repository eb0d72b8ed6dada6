"""The AI operations behind commands and code actions: fix, explain, generate.

Each takes a document snapshot and returns an `Outcome`: a WorkspaceEdit tied to the
version it was computed for, Markdown, or a sentence saying why there is neither.
Nothing here applies an edit; the caller returns it to the client or applies it
through `workspace/applyEdit` when the user chose it. A result computed while the
document moved on is dropped, never offered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from lantern.analysis.rules.model import Edit
from lantern.lsp import diagnostics, edits
from lantern.lsp.ai import edge
from lantern.lsp.review import known_diagnostics
from lantern.lsp.server import LanternServer
from lantern.positions import Encoding
from lantern.session import Snapshot

log = logging.getLogger(__name__)

NEW_PROBLEMS = "lantern-ai-new-problems"


@dataclass
class Outcome:
    """What an AI operation produced. Exactly one of edit / markdown / error is set,
    except `files` (for clients that cannot create files) which comes with `summary`."""

    edit: types.WorkspaceEdit | None = None
    markdown: str | None = None
    error: str | None = None
    summary: str = ""
    files: list[dict[str, str]] = field(default_factory=list)
    new_problems: int = 0

    def to_result(self) -> dict[str, Any]:
        """The command result the clients read (client-vscode/src/protocol.ts)."""
        result: dict[str, Any] = {"summary": self.summary or self.error or ""}
        if self.edit is not None:
            result["edit"] = self.edit
        if self.markdown is not None:
            result["markdown"] = self.markdown
        if self.files:
            result["files"] = self.files
        if self.error is not None:
            result["error"] = self.error
        if self.new_problems:
            result["newProblems"] = self.new_problems
        return result


@dataclass(frozen=True)
class Target:
    """What the user pointed at: a diagnostic (any source) or a range, in LSP positions."""

    range: types.Range
    diagnostic: types.Diagnostic | None = None


def _lines(ls: LanternServer, snapshot: Snapshot, target: Target) -> tuple[int, int]:
    """1-based inclusive lines of `target` (a range ending at column 0 ends the line before)."""
    start, end = target.range.start, target.range.end
    last = end.line if end.character > 0 or end.line == start.line else end.line - 1
    total = max(snapshot.index.line_count, 1)
    return min(start.line + 1, total), min(max(last, start.line) + 1, total)


def _stale(ls: LanternServer, snapshot: Snapshot) -> Outcome | None:
    document = ls.session.documents.get(snapshot.uri)
    if document is None or document.version != snapshot.version:
        return Outcome(
            error="Lantern AI: the document changed while the model was answering; the "
            "result was for the old text and is dropped. Run it again."
        )
    return None


# -- fix -----------------------------------------------------------------------------------


async def fix(
    ls: LanternServer, snapshot: Snapshot, target: Target, cancel: asyncio.Event | None = None
) -> Outcome:
    """Rewrite the unit around `target` with the model; offer only a verified, minimal edit."""
    from lantern.ai.errors import AIError
    from lantern.ai.service import KnownDiagnostic

    ai = edge(ls)
    first, last = _lines(ls, snapshot, target)
    static = await diagnostics.findings_for(ls, snapshot)
    known = known_diagnostics(ls, snapshot, static)
    if target.diagnostic is not None:
        diagnostic = target.diagnostic
        wanted = KnownDiagnostic(
            line=first,
            end_line=last,
            message=diagnostic.message,
            code=str(diagnostic.code) if diagnostic.code is not None else None,
            source=diagnostic.source,
        )
        span: dict[str, int] = {}  # the enclosing function or class
    else:
        wanted = KnownDiagnostic(
            line=first,
            end_line=last,
            message="Fix the bugs, security problems and reported findings in this code.",
        )
        span = {"start_line": first, "end_line": last}
    with ai.working("fixing with AI"):
        result = await ai.service().fix(
            snapshot.uri,
            snapshot.text,
            wanted,
            others=known,
            language=snapshot.language.name if snapshot.language else None,
            cancel=cancel,
            **span,
        )
    if isinstance(result, AIError):
        return Outcome(error=ai.failed(result, asked=True))
    ai.succeeded()
    outcome = _verified_edit(ls, snapshot, result.apply(snapshot.text))
    if outcome.error is not None:
        return Outcome(error=f"Lantern AI: the fix was dropped: {outcome.error}")
    verified = outcome.verified
    assert verified is not None and outcome.edit is not None
    edit = outcome.edit
    summary = f"Fix for lines {verified.first_line}-{verified.last_line} ({result.meta.model})"
    if result.explanation:
        summary += f": {result.explanation}"
    if verified.new_problems:
        codes = ", ".join(sorted({f.code for f in verified.new_problems}))
        summary += f". Warning: it introduces {len(verified.new_problems)} new problem(s): {codes}"
        _needs_confirmation(ls, edit, f"The AI fix introduces new problems: {codes}")
    return Outcome(edit=edit, summary=summary, new_problems=len(verified.new_problems))


def _needs_confirmation(ls: LanternServer, edit: types.WorkspaceEdit, why: str) -> None:
    """Mark the edit's text edits so the editor asks before applying (change annotations)."""
    workspace = ls.client_capabilities.workspace
    capability = workspace.workspace_edit if workspace else None
    if not (capability and capability.change_annotation_support and edit.document_changes):
        return
    edit.change_annotations = {
        NEW_PROBLEMS: types.ChangeAnnotation(label=why, needs_confirmation=True)
    }
    for change in edit.document_changes:
        if isinstance(change, types.TextDocumentEdit):
            change.edits = [
                types.AnnotatedTextEdit(
                    range=e.range, new_text=e.new_text, annotation_id=NEW_PROBLEMS
                )
                for e in change.edits
            ]


def _verified_edit(ls: LanternServer, snapshot: Snapshot, proposed: str) -> _Verified:
    """`proposed` (the whole new text) as a minimal edit, re-parsed and re-checked."""
    from lantern.analysis.engine import rule_options
    from lantern.assist.fixing import Rejected, verify_rewrite

    settings = ls.session.settings
    options = rule_options(settings.rules if settings is not None else None)
    verified = verify_rewrite(snapshot.text, proposed, snapshot.language, options)
    if isinstance(verified, Rejected):
        return _Verified(error=f"{verified.reason}.")
    if stale := _stale(ls, snapshot):
        return _Verified(error=stale.error)
    edit = edits.workspace_edit(
        ls, snapshot, [Edit(verified.start_byte, verified.end_byte, verified.text)]
    )
    if isinstance(edit, edits.Refused):
        return _Verified(error=edit.reason)
    return _Verified(edit=edit, verified=verified)


@dataclass
class _Verified:
    edit: types.WorkspaceEdit | None = None
    verified: Any = None  # lantern.assist.fixing.VerifiedFix
    error: str | None = None


# -- explain -------------------------------------------------------------------------------


async def explain(
    ls: LanternServer, snapshot: Snapshot, target: Target, cancel: asyncio.Event | None = None
) -> Outcome:
    """Markdown explaining the target's code (and why a diagnostic was reported)."""
    from lantern.ai.context import enclosing_unit
    from lantern.ai.errors import AIError

    ai = edge(ls)
    first, last = _lines(ls, snapshot, target)
    empty = target.range.start == target.range.end
    if target.diagnostic is None and empty and snapshot.language is not None:
        unit = enclosing_unit(snapshot.text, snapshot.language, first)
        if unit is not None:
            first, last = unit.start_line, unit.end_line
    question = None
    if target.diagnostic is not None:
        d = target.diagnostic
        label = " ".join(str(p) for p in (d.source, d.code) if p)
        question = f"Why is this reported ({label}): {d.message}? How should it be fixed?"
    with ai.working("explaining"):
        result = await ai.service().explain(
            snapshot.uri,
            snapshot.text,
            first,
            last,
            question=question,
            language=snapshot.language.name if snapshot.language else None,
            cancel=cancel,
        )
    if isinstance(result, AIError):
        return Outcome(error=ai.failed(result, asked=True))
    ai.succeeded()
    name = snapshot.uri.rsplit("/", 1)[-1]
    lines = f"Lines {first}-{last}" if first != last else f"Line {first}"
    heading = f"# {lines} of {name}\n\n"
    return Outcome(markdown=heading + result.markdown, summary=f"Explained {lines.lower()}")


async def show_markdown(ls: LanternServer, markdown: str, name: str) -> None:
    """Show `markdown` as a file (window/showDocument) or, failing that, as a message."""
    window = ls.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        from lantern.cache import cache_directory

        settings = ls.session.settings
        folder = cache_directory(settings.cache) / "explanations" if settings else None
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256(markdown.encode()).hexdigest()[:10]
                path = folder / f"{name}-{digest}.md"
                path.write_text(markdown, encoding="utf-8")
                uri = from_fs_path(str(path)) or path.as_uri()
                await ls.window_show_document_async(
                    types.ShowDocumentParams(uri=uri, take_focus=True)
                )
                return
            except Exception as exc:  # fall back to a message
                log.info("showDocument failed (%s); showing a message instead", exc)
    ls.window_show_message(
        types.ShowMessageParams(type=types.MessageType.Info, message=markdown[:4000])
    )


async def write_new_files(ls: LanternServer, files: list[dict[str, str]]) -> Outcome:
    """Create `files` ({"uri", "text"}) on disk, for an editor that cannot create files
    from a WorkspaceEdit but whose user chose an action that makes them (e.g. "Generate
    tests"). Only new files: one that exists by now is left alone and named in the error.
    The first file written is opened with window/showDocument when the editor can."""
    written: list[str] = []
    problems: list[str] = []
    for item in files:
        path = Path(to_fs_path(item["uri"]) or "")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
                handle.write(item["text"])
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
            continue
        written.append(item["uri"])
    window = ls.client_capabilities.window
    if written and window and window.show_document and window.show_document.support:
        try:
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=written[0], take_focus=True)
            )
        except Exception as exc:  # the files exist; not being shown is no failure
            log.info("showDocument failed for %s: %s", written[0], exc)
    if problems:
        return Outcome(error="Lantern AI: could not write " + "; ".join(problems))
    return Outcome(summary="Wrote " + ", ".join(to_fs_path(uri) or uri for uri in written))


# -- generate ------------------------------------------------------------------------------


async def generate(
    ls: LanternServer,
    snapshot: Snapshot,
    position: types.Position,
    prompt: str,
    kind: str,
    cancel: asyncio.Event | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Outcome:
    """Code for `prompt` inserted at `position`, or new files for the file kinds.
    `on_text` hears the model's answer so far while it streams."""
    from lantern.assist.generation import FILE_KINDS, KINDS, instruction

    if kind not in KINDS:
        return Outcome(error=f"Lantern AI: unknown kind `{kind}`; one of {', '.join(KINDS)}.")
    prompt = prompt.strip() or comment_at(snapshot, position.line) or ""
    if kind in FILE_KINDS:
        return await _generate_files(ls, snapshot, prompt, kind, cancel, on_text)
    from lantern.ai.errors import AIError

    ai = edge(ls)
    line = _insertion_line(snapshot, position.line, kind)
    with ai.working("generating"):
        result = await ai.service().generate(
            snapshot.uri,
            snapshot.text,
            line,
            instruction(kind, prompt),
            language=snapshot.language.name if snapshot.language else None,
            project_root=_root(ls, snapshot),
            cancel=cancel,
            on_text=on_text,
        )
    if isinstance(result, AIError):
        return Outcome(error=ai.failed(result, asked=True))
    ai.succeeded()
    if stale := _stale(ls, snapshot):
        return stale
    verified = _verified_edit(ls, snapshot, result.apply(snapshot.text))
    if verified.error is not None:
        return Outcome(error=f"Lantern AI: the generated code was dropped: {verified.error}")
    _remember(ls, snapshot, kind, prompt, result.meta, [])
    summary = f"Generated {kind} at line {line} ({result.meta.model})"
    return Outcome(edit=verified.edit, summary=summary)


async def _generate_files(
    ls: LanternServer,
    snapshot: Snapshot,
    prompt: str,
    kind: str,
    cancel: asyncio.Event | None,
    on_text: Callable[[str], None] | None,
) -> Outcome:
    from lantern.ai.errors import AIError
    from lantern.assist.generation import instruction, layout, path_for_tests, plan_files

    ai = edge(ls)
    root = _root(ls, snapshot)
    source_path = Path(to_fs_path(snapshot.uri) or root / "untitled")
    targets = []
    if kind == "tests":
        wanted = path_for_tests(source_path, root, snapshot.language)
        targets = [_relative(wanted, root)]
    with ai.working(f"generating {kind}"):
        result = await ai.service().generate_files(
            snapshot.uri,
            snapshot.text,
            instruction(kind, prompt),
            kind=kind,
            targets=targets,
            layout=layout(root),
            language=snapshot.language.name if snapshot.language else None,
            project_root=root,
            cancel=cancel,
            on_text=on_text,
        )
    if isinstance(result, AIError):
        return Outcome(error=ai.failed(result, asked=True))
    ai.succeeded()
    planned = plan_files(root, [(f.path, f.content) for f in result.files])
    uris = [from_fs_path(str(p.path)) or p.path.as_uri() for p in planned]
    notes = [
        f"{_relative(p.wanted, root)} exists, so it was written to {_relative(p.path, root)}"
        for p in planned
        if p.wanted is not None
    ]
    names = ", ".join(_relative(p.path, root) for p in planned)
    summary = f"Generated {len(planned)} file(s): {names} ({result.meta.model})"
    if notes:
        summary += ". " + "; ".join(notes) + " (nothing is overwritten)"
    _remember(ls, snapshot, kind, prompt, result.meta, uris)
    changes: list[Any] = []
    for uri, item in zip(uris, planned, strict=True):
        created = edits.file_creation(ls, uri, item.content)
        if isinstance(created, edits.Refused):
            # The client cannot create files: hand them over for it to write.
            files = [{"uri": u, "text": p.content} for u, p in zip(uris, planned, strict=True)]
            return Outcome(files=files, summary=summary)
        changes += created.document_changes or []
    return Outcome(edit=types.WorkspaceEdit(document_changes=changes), summary=summary)


def comment_at(snapshot: Snapshot, line: int) -> str | None:
    """The text of the comment on 0-based `line` (markers stripped), if there is one."""
    if snapshot.tree is None:
        return None
    text = snapshot.index.line_text(line)
    column = len(text) - len(text.lstrip())
    start = snapshot.index.byte_at_position(line, column, Encoding.UTF32)
    node = snapshot.tree.root_node.descendant_for_byte_range(start, start)
    while node is not None and "comment" not in node.type:
        if node.start_byte < start:
            return None
        node = node.parent
    if node is None or node.text is None:
        return None
    words = node.text.decode("utf-8", "replace")
    for marker in ("//", "#", "/*", "*/", "--"):
        words = words.replace(marker, " ")
    return " ".join(words.replace("*", " ").split()) or None


def _insertion_line(snapshot: Snapshot, line: int, kind: str) -> int:
    """1-based line to insert before: after the cursor's comment or code line, at a blank
    line; for docs, at the start of the function's body (Python) or above the function."""
    index = snapshot.index
    if kind == "docs" and snapshot.language is not None:
        from lantern.ai.context import enclosing_unit

        unit = enclosing_unit(snapshot.text, snapshot.language, line + 1)
        if unit is not None:
            if snapshot.language.name != "python":
                return unit.start_line
            for number in range(unit.start_line, unit.end_line + 1):
                if index.line_text(number - 1).rstrip().endswith(":"):
                    return number + 1
    if not index.line_text(line).strip():
        return line + 1
    return line + 2


def _root(ls: LanternServer, snapshot: Snapshot) -> Path:
    if ls.session.workspace_root is not None:
        return ls.session.workspace_root
    path = to_fs_path(snapshot.uri)
    return Path(path).parent if path else Path.cwd()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _remember(
    ls: LanternServer, snapshot: Snapshot, kind: str, prompt: str, meta: Any, files: list[str]
) -> None:
    from lantern.assist.history import history_for

    settings = ls.session.settings
    if settings is None:
        return
    history_for(settings.cache).add(
        kind=kind,
        prompt=prompt,
        model=meta.model,
        provider=meta.provider,
        target=snapshot.uri,
        files=files,
        cached=meta.cached,
    )
