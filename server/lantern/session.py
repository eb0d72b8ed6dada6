"""All mutable server state: open documents, settings, negotiated capabilities.

Documents change only here, in the order the client sent the edits; each change is
applied to the text and to the tree-sitter tree (`tree.edit` + incremental re-parse).
Background work gets an immutable `Snapshot` and never touches a `Document`.
This module knows nothing of the protocol library: changes arrive as plain values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lantern.analysis.languages import LanguageSpec, detect_language, parse
from lantern.config_sources import MAX_FILE_SIZE
from lantern.positions import Encoding, LineIndex

if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Tree

    from lantern.config import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_FILE_SIZE = MAX_FILE_SIZE  # bytes: until the settings say otherwise
# Documents of at least this many bytes are never parsed on the event loop: parsing
# takes a second or more at 2 MB. `snapshot` gives them no tree until the edge has run
# their `parse_job` on a worker (see lantern.lsp.parsing) and `install`ed the result.
LARGE_DOCUMENT = 512_000
# Parsed trees are most of an open document's memory (about 25 bytes per byte of
# source): only the most recently used documents keep theirs (and their UTF-8 source);
# another is parsed again, in milliseconds, when it is next needed (its first analysis
# after that is a full one).
TREES_KEPT = 16


@dataclass(frozen=True, slots=True)
class TextChange:
    """One `contentChanges` entry: a replaced LSP range, or the whole text when range is None."""

    text: str
    start: tuple[int, int] | None = None  # (line, character)
    end: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of one document version, safe to analyse on another thread."""

    uri: str
    version: int
    language: LanguageSpec | None
    text: str
    source: bytes
    index: LineIndex
    tree: Tree | None
    skip_reason: str | None
    settings_generation: int
    settings: Settings | None = None  # this document's (its folder's, its project's)
    # A large document whose tree is being built off the event loop: `tree` is None
    # for now, not because the document has none.
    parse_pending: bool = False


@dataclass(frozen=True, slots=True)
class ParseJob:
    """The parse a large document needs, to run on a worker: `source` is its current
    version's, `old_tree` a copy of the last tree, edited to match (or None)."""

    uri: str
    version: int
    language: LanguageSpec
    source: bytes
    old_tree: Tree | None

    def run(self) -> Tree:
        """Parse (on a worker, letting the event loop run between chunks); the same tree
        a fresh parse of `source` gives."""
        return parse_document(self.language, self.source, self.old_tree, yielding=True)


@dataclass(slots=True)
class Document:
    uri: str
    language_id: str
    version: int
    language: LanguageSpec | None
    index: LineIndex  # of the current text
    # The last parse, `.edit()`ed to match the current text while `stale`; parsing
    # waits until someone needs the tree, so a burst of keystrokes costs one parse.
    tree: Tree | None = None
    stale: bool = True
    parsed: bool = False  # `tree` is the parse of `source` (a large one's may be pending)
    source: bytes = b""
    skip_reason: str | None = None
    settings: Settings | None = None  # None until settings are loaded

    @property
    def text(self) -> str:
        return self.index.text


def encode(text: str) -> bytes:
    # Lone surrogates can arrive through JSON; keep byte offsets consistent with positions.
    return text.encode("utf-8", "surrogatepass")


def skip_reason(source: bytes, max_size: int) -> str | None:
    """Why a file must not be analysed (too large, binary), or None."""
    if len(source) > max_size:
        return f"{len(source):,} bytes exceeds diagnostics.max_file_size ({max_size:,} bytes)"
    if b"\x00" in source:
        return "it contains NUL bytes (binary?)"
    return None


# Grammars whose error recovery after an incremental parse builds the tree a fresh parse
# of the same text does: tests/unit/test_session.py checks it on random broken edits
# (tree-sitter-python: 4,045 of 4,045 alike over 400 standard-library files; JavaScript
# differed in 13 of 368, and Go is known to differ).
_STABLE_RECOVERY = frozenset({"python"})


def parse_document(
    language: LanguageSpec, source: bytes, edited: Tree | None, *, yielding: bool = False
) -> Tree:
    """`source` parsed, reusing `edited` (the last tree, `.edit()`ed to match) if given;
    `yielding` as `lantern.analysis.languages.parse`."""
    tree = parse(language, source, edited, yielding=yielding)
    if edited is not None and tree.root_node.has_error and language.name not in _STABLE_RECOVERY:
        # Error recovery after an incremental parse can build a different tree from a
        # fresh parse of the same text: re-parse so the result equals what opening the
        # file gives. It costs one parse with error recovery, the slowest kind.
        tree = parse(language, source, yielding=yielding)
    return tree


def _size_cap(settings: Settings | None) -> int:
    return settings.diagnostics.max_file_size if settings is not None else DEFAULT_MAX_FILE_SIZE


class Session:
    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        # The workspace's settings (its first folder's); documents may have their own.
        self.settings: Settings | None = None
        self.settings_generation = 0
        # uri -> the settings for that document (its workspace folder and nearest config).
        self.resolve_settings: Callable[[str], Settings] | None = None
        self.encoding = Encoding.UTF16
        self.workspace_root: Path | None = None  # the first workspace folder
        self.workspace_folders: list[str] = []  # their URIs, as the client sent them
        self.pull_diagnostics = False  # the client asks for diagnostics itself
        self.initialization_options: Any = None
        self._with_trees: dict[str, None] = {}  # documents holding a tree, oldest use first
        # Called with the uri of a document whose tree was dropped, so that whoever keeps
        # a copy of it (the last analysis) can drop theirs too.
        self.on_tree_dropped: Callable[[str], None] | None = None

    def update_settings(
        self, settings: Settings, resolve: Callable[[str], Settings] | None = None
    ) -> None:
        """New workspace settings, and how to find each document's own (default: the same)."""
        self.settings = settings
        self.resolve_settings = resolve
        self.settings_generation += 1
        for document in self.documents.values():
            cap = _size_cap(document.settings)
            document.settings = self._settings_for(document.uri)
            if _size_cap(document.settings) != cap:
                document.stale = True  # parsed again: whether it is skipped may change

    def settings_for(self, uri: str) -> Settings | None:
        """The settings a document is analysed with (None before any are loaded)."""
        document = self.documents.get(uri)
        return document.settings if document is not None else self._settings_for(uri)

    def _settings_for(self, uri: str) -> Settings | None:
        if self.settings is None or self.resolve_settings is None:
            return self.settings
        return self.resolve_settings(uri)

    # -- documents ---------------------------------------------------------------------

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        language = detect_language(uri, language_id)
        document = Document(uri, language_id, version, language, LineIndex(text))
        document.settings = self._settings_for(uri)
        self.documents[uri] = document
        return document

    def change(self, uri: str, version: int, changes: list[TextChange]) -> Document | None:
        document = self.documents.get(uri)
        if document is None:
            log.warning("didChange for %s, which is not open; ignored", uri)
            return None
        for change in changes:
            if change.start is None or change.end is None:
                document.index, document.tree = LineIndex(change.text), None
            else:
                self._apply_range(document, change)
        document.version = version
        document.stale = True
        return document

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self._with_trees.pop(uri, None)

    def snapshot(self, uri: str) -> Snapshot | None:
        """The current version of `uri`, parsed (None if it is not open). A large document
        is not parsed here: until its `parse_job` is installed its snapshot has no tree
        and `parse_pending` set."""
        document = self.documents.get(uri)
        if document is None:
            return None
        self._parse(document)
        parsed = document.parsed and document.tree is not None
        return Snapshot(
            uri=uri,
            version=document.version,
            language=document.language,
            text=document.text,
            source=document.source,
            index=document.index,
            # A copy: the session edits its own tree on the next keystroke.
            tree=document.tree.copy() if parsed and document.tree is not None else None,
            skip_reason=document.skip_reason,
            settings_generation=self.settings_generation,
            settings=document.settings,
            parse_pending=self._pending(document),
        )

    def parse_job(self, uri: str) -> ParseJob | None:
        """The parse `uri`'s current version still needs (a large document's), or None."""
        document = self.documents.get(uri)
        if document is None:
            return None
        self._parse(document)
        if not self._pending(document):
            return None
        assert document.language is not None
        old_tree = document.tree.copy() if document.tree is not None else None
        return ParseJob(uri, document.version, document.language, document.source, old_tree)

    def install(self, job: ParseJob, tree: Tree) -> bool:
        """Give the document the tree `job` built, if it is still at that version."""
        document = self.documents.get(job.uri)
        if document is None or document.version != job.version or document.stale:
            return False
        if document.parsed or document.source is not job.source:
            return False
        self._keep_tree(job.uri)
        document.tree, document.parsed = tree, True
        return True

    # -- internals ---------------------------------------------------------------------

    def _apply_range(self, document: Document, change: TextChange) -> None:
        assert change.start is not None and change.end is not None
        index = document.index
        start = index.offset_at(*change.start, self.encoding)
        end = index.offset_at(*change.end, self.encoding)
        start, end = min(start, end), max(start, end)
        if document.tree is not None:
            start_byte, old_end_byte = index.byte_at(start), index.byte_at(end)
            start_point, old_end_point = index.point_at(start), index.point_at(end)
            inserted = encode(change.text)
            if (newlines := inserted.count(b"\n")) == 0:
                new_end_point = (start_point[0], start_point[1] + len(inserted))
            else:
                new_end_point = (
                    start_point[0] + newlines,
                    len(inserted) - inserted.rfind(b"\n") - 1,
                )
            document.tree.edit(
                start_byte,
                old_end_byte,
                start_byte + len(inserted),
                start_point,
                old_end_point,
                new_end_point,
            )
        document.index = index.replaced(start, end, change.text)

    def _pending(self, document: Document) -> bool:
        return (
            not document.parsed
            and document.language is not None
            and document.skip_reason is None
            and len(document.source) >= LARGE_DOCUMENT
        )

    def _parse(self, document: Document) -> None:
        """Bring `source` and `tree` up to date with the text (incrementally if possible);
        a large document's parse is left to `parse_job`."""
        if not document.stale:
            return
        document.stale, document.parsed = False, False
        document.source = encode(document.text)
        if document.language is None:
            document.tree = None
            return
        reason = skip_reason(document.source, _size_cap(document.settings))
        if reason is not None:
            if reason != document.skip_reason:
                log.info("Not analysing %s: %s", document.uri, reason)
            document.skip_reason, document.tree = reason, None
            return
        document.skip_reason = None
        if len(document.source) >= LARGE_DOCUMENT:
            return  # keeps its edited tree for the incremental parse of its job
        self._keep_tree(document.uri)
        document.tree = parse_document(document.language, document.source, document.tree)
        document.parsed = True

    def _keep_tree(self, uri: str) -> None:
        """`uri` is about to hold a fresh tree: the least recently used documents beyond
        `TREES_KEPT` drop theirs (and are parsed again when next needed)."""
        self._with_trees.pop(uri, None)
        self._with_trees[uri] = None
        while len(self._with_trees) > TREES_KEPT:
            oldest = next(iter(self._with_trees))
            del self._with_trees[oldest]
            if (document := self.documents.get(oldest)) is not None:
                # Its UTF-8 copy goes too (encoded again with the next parse): for ASCII
                # text as large as the text itself.
                document.tree, document.source = None, b""
                document.stale, document.parsed = True, False
                if self.on_tree_dropped is not None:
                    self.on_tree_dropped(oldest)
