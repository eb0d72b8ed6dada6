"""The generation history: what was asked, of which model, and what was written.

One JSON file per entry in a folder beside the cache (`<cache dir>/history/`), so the
editor and `lantern history` share it and a damaged entry costs only itself. It keeps
no code, only the request and where the result went.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{8,32}$")
MAX_ENTRIES = 500  # the oldest go first


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    time: float  # seconds since the epoch
    kind: str  # a generation kind: code, tests, files, api, ...
    prompt: str
    model: str
    provider: str
    target: str  # the document the request came from
    files: list[str] = field(default_factory=list)  # files created (URIs), if any
    request_id: str | None = None
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.time))
        prompt = " ".join(self.prompt.split())
        prompt = prompt if len(prompt) <= 60 else prompt[:57] + "..."
        return f"{self.id}  {when}  {self.kind:<8} {self.model:<20} {prompt}"


class GenerationHistory:
    """Entries under `directory`; every method degrades to empty on a file-system error."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def add(self, **values: Any) -> HistoryEntry:
        entry = HistoryEntry(id=uuid.uuid4().hex[:12], time=time.time(), **values)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self.directory / f".{entry.id}.tmp"
            temporary.write_text(json.dumps(entry.to_dict(), indent=2), encoding="utf-8")
            os.replace(temporary, self.directory / f"{entry.id}.json")
            self._prune()
        except OSError as exc:
            log.warning("Could not record the generation in %s: %s", self.directory, exc)
        return entry

    def entries(self) -> list[HistoryEntry]:
        """Newest first; unreadable entries are skipped."""
        found = []
        for path in self._files():
            entry = self._read(path)
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: e.time, reverse=True)

    def get(self, entry_id: str) -> HistoryEntry | None:
        if not _ID.match(entry_id):
            return None
        return self._read(self.directory / f"{entry_id}.json")

    def delete(self, entry_id: str) -> bool:
        if not _ID.match(entry_id):
            return False
        try:
            (self.directory / f"{entry_id}.json").unlink()
            return True
        except OSError:
            return False

    def _files(self) -> list[Path]:
        try:
            return list(self.directory.glob("*.json"))
        except OSError:
            return []

    def _read(self, path: Path) -> HistoryEntry | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return HistoryEntry(**data)
        except (OSError, ValueError, TypeError):
            return None

    def _prune(self) -> None:
        files = self._files()
        if len(files) <= MAX_ENTRIES:
            return
        for path in sorted(files, key=lambda p: p.stat().st_mtime)[: len(files) - MAX_ENTRIES]:
            path.unlink(missing_ok=True)


def history_for(cache_settings: Any) -> GenerationHistory:
    """The history beside the cache configured by `cache_settings` (CacheSettings)."""
    from lantern.cache import cache_directory

    return GenerationHistory(cache_directory(cache_settings) / "history")
