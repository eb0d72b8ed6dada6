"""The answer cache: an in-memory LRU in front of diskcache, keyed by opaque strings.

It stores JSON-able values only (never pickles) under keys the caller has already
hashed, and it never fails its caller: a corrupt, locked, unwritable or full cache
logs one warning and the cache carries on in memory only. A cache directory removed
while in use is noticed (one warning) and created again.

SQLite connections belong to the thread that made them, and diskcache makes one per
thread: every disk operation therefore runs on the cache's own single thread, so
`close()` can close the one connection there is and release every file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lantern.config import CacheSettings

if TYPE_CHECKING:
    import diskcache

log = logging.getLogger(__name__)

# A second process (the CLI next to the server) may hold the database briefly; a
# request waits this long for it, then goes on without the disk.
LOCK_TIMEOUT_SECONDS = 2.0
SUBDIRECTORY = "ai"


def default_cache_root() -> Path:
    """The user cache directory, e.g. `~/.cache/lantern` on Linux."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("lantern", appauthor=False))


def cache_directory(settings: CacheSettings) -> Path:
    """Where answers live: `<cache dir>/ai`, the cache dir being `settings.dir` or the default."""
    root = Path(settings.dir).expanduser() if settings.dir else default_cache_root()
    return root / SUBDIRECTORY


class AnswerCache:
    """get/set/clear/stats over memory and disk; thread-safe; opens the disk lazily."""

    def __init__(
        self,
        settings: CacheSettings,
        *,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    ) -> None:
        self.enabled = settings.enabled
        self.directory = cache_directory(settings)
        self.size_limit = settings.max_size_mb * 1024 * 1024
        self.problem: str | None = None  # why the disk is not used, once it failed
        self._lock_timeout = lock_timeout
        self._memory_size = settings.memory_entries if settings.enabled else 0
        self._memory: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._disk: diskcache.Cache | None = None
        self._opened = False
        self._worker: ThreadPoolExecutor | None = None  # the one thread touching the disk
        self._recreated = False
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0

    # -- public interface --------------------------------------------------------------

    def get(self, key: str) -> Any | None:
        """The value stored under `key` and not expired, else None."""
        if not self.enabled:
            return None
        with self._guard:
            value = self._memory_get(key)
            if value is None and (disk := self._open()) is not None:
                value = self._safely(lambda: disk.get(key, retry=False))
                if value is not None:
                    # Disk entries carry their own expiry; memory gets a short-lived copy.
                    self._memory_put(key, value, time.time() + 3600)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
            return value

    def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        """Store a JSON-able `value` for `ttl_seconds`. Keys look like `<task>:<hash>`."""
        if not self.enabled:
            return
        with self._guard:
            self._memory_put(key, value, time.time() + ttl_seconds)
            if (disk := self._open()) is not None:
                self._safely(lambda: disk.set(key, value, expire=ttl_seconds))

    def clear(self) -> int:
        """Remove every entry; the number removed from disk (memory is always emptied)."""
        with self._guard:
            self._memory.clear()
            disk = self._open()
            if disk is None:
                return 0
            removed = self._safely(lambda: disk.clear(retry=True))
            return int(removed or 0)

    def stats(self) -> dict[str, Any]:
        """Plain data for `lantern cache stats`, `lantern doctor` and the server's status."""
        with self._guard:
            data: dict[str, Any] = {
                "enabled": self.enabled,
                "directory": str(self.directory),
                "size_limit_bytes": self.size_limit,
                "memory_entries": len(self._memory),
                "hits": self.hits,
                "misses": self.misses,
                "disk": "disabled" if not self.enabled else "unused",
                "problem": self.problem,
            }
            disk = self._open() if self.enabled else None
            if disk is not None:

                def read() -> dict[str, Any]:
                    # Keys are "<task>:<hash>", so the task is the part before the colon.
                    by_task: dict[str, int] = {}
                    for key in disk.iterkeys():
                        task = str(key).partition(":")[0]
                        by_task[task] = by_task.get(task, 0) + 1
                    return {"entries": len(disk), "size_bytes": disk.volume(), "by_task": by_task}

                if (details := self._safely(read)) is not None:
                    data.update(details, disk="ok")
            if self.problem:  # known only once opening was tried, just above
                data.update(disk="unavailable", problem=self.problem)
            return data

    def close(self) -> None:
        """Close the database: no file of the cache stays open afterwards."""
        with self._guard:
            if self._disk is not None:
                self._safely(self._disk.close)
            self._disk = None
            self._opened = False
            if self._worker is not None:
                self._worker.shutdown(wait=True)
                self._worker = None

    # -- memory ------------------------------------------------------------------------

    def _memory_get(self, key: str) -> Any | None:
        entry = self._memory.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at < time.time():
            del self._memory[key]
            return None
        self._memory.move_to_end(key)
        return value

    def _memory_put(self, key: str, value: Any, expires_at: float) -> None:
        if self._memory_size <= 0:
            return
        self._memory[key] = (expires_at, value)
        self._memory.move_to_end(key)
        while len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    # -- disk --------------------------------------------------------------------------

    def _open(self) -> diskcache.Cache | None:
        """The disk cache, opened on first use; None once it has failed."""
        if self._opened and self._disk is not None and not self._database_exists():
            self._reopen_removed()
        if self._opened:
            return self._disk
        self._opened = True
        # diskcache retries a locked database for 60 s while opening; open it on a
        # helper thread and stop waiting after the lock timeout.
        outcome: list[Any] = []
        opener = threading.Thread(target=self._open_disk, args=(outcome,), daemon=True)
        opener.start()
        opener.join(self._lock_timeout + 1.0)
        if not outcome:
            self._give_up(TimeoutError("the cache database is locked by another process"))
        elif isinstance(outcome[0], BaseException):
            self._give_up(outcome[0])
        else:
            self._disk = outcome[0]
        return self._disk

    def _database_exists(self) -> bool:
        return (self.directory / "cache.db").exists()  # diskcache's database file

    def _reopen_removed(self) -> None:
        """The directory was deleted under us: SQLite would go on writing into the
        unlinked file and every later answer would be lost. Start a new database (once;
        if it goes again, carry on in memory)."""
        disk, self._disk = self._disk, None
        if disk is not None:
            with contextlib.suppress(Exception):
                self._run(disk.close)
        if self._recreated:
            self._give_up(FileNotFoundError(f"{self.directory} was removed again"))
            return
        self._recreated = True
        log.warning(
            "The answer cache at %s was removed while in use; creating it again.", self.directory
        )
        self._opened = False

    def _open_disk(self, outcome: list[Any]) -> None:
        try:
            import diskcache

            _private_directory(self.directory)
            disk = diskcache.Cache(
                str(self.directory),
                timeout=self._lock_timeout,
                disk=diskcache.JSONDisk,
                size_limit=self.size_limit,
                eviction_policy="least-recently-used",
            )
            # Opening succeeds on some broken files; touch the database to find out now.
            disk.get("lantern:probe", retry=False)
            disk.close()  # this thread's connection; the cache's own thread opens its own
            outcome.append(disk)
        except Exception as exc:
            outcome.append(exc)

    def _run(self, operation: Any) -> Any:
        """Run `operation` on the cache's own thread (see the module docstring)."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="lantern-cache")
        return self._worker.submit(operation).result()

    def _safely(self, operation: Any) -> Any:
        try:
            return self._run(operation)
        except Exception as exc:
            self._give_up(exc)
            return None

    def _give_up(self, exc: BaseException) -> None:
        if self.problem is None:
            self.problem = f"{type(exc).__name__}: {exc}"
            log.warning(
                "The answer cache at %s is unusable (%s); continuing without it.",
                self.directory,
                self.problem,
            )
        if self._disk is not None:
            with contextlib.suppress(Exception):  # already broken; nothing more to learn
                self._run(self._disk.close)
        self._disk = None


def _private_directory(path: Path) -> None:
    """Create `path` readable by the owner only, and its parent the same way if missing.

    An existing parent is left alone: it may be a directory the user shares on purpose.
    """
    for directory, ours in ((path.parent, False), (path, True)):
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)
            ours = True
        # mkdir's mode is filtered by the umask, so set it explicitly.
        status = directory.stat()
        if ours and status.st_uid == os.getuid() and status.st_mode & 0o077:
            directory.chmod(0o700)


def open_cache(
    settings: CacheSettings, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS
) -> AnswerCache:
    """The cache for `settings`; opening it costs nothing until the first request."""
    return AnswerCache(settings, lock_timeout=lock_timeout)
