"""The team-shared layer of the answer cache: a Redis server behind memory and disk.

Values are JSON text under `lantern:<namespace>:<key>`, with the answer's TTL, and never
larger than a bound. It never fails its caller: when Redis cannot be reached, refuses the
credentials or answers with an error, one warning is logged, the layer is skipped for
`retry_seconds` (the local layers carry on) and then tried again. The password is read
from the environment and never logged. `redis` (redis-py) is imported on first use.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import redis

log = logging.getLogger("lantern.cache")

KEY_PREFIX = "lantern"
# After a failure, the shared layer is left alone this long before the next try, so
# that an outage costs one timeout per half minute instead of one per request.
RETRY_SECONDS = 30.0
INSTALL_HELP = "install redis-py where Lantern runs (`pip install 'redis>=5,<9'`)"

T = TypeVar("T")


def display_url(url: str) -> str:
    """`url` without any password it carries (safe to log and to show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class SharedCache:
    """get/set/clear/stats on one Redis namespace; thread-safe; connects lazily."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        max_value_bytes: int,
        timeout: float,
        password_env: str | None = None,
        env: Mapping[str, str] | None = None,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import os

        env = os.environ if env is None else env
        self.url = url
        self.namespace = namespace
        self.max_value_bytes = max_value_bytes
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self._password = env.get(password_env) if password_env else None
        self._clock = clock
        self._client: redis.Redis | None = None
        self._guard = threading.Lock()
        self._down_until: float | None = None  # set while an outage is being waited out
        self.problem: str | None = None  # the last outage's reason, while it lasts
        self.hits = 0
        self.misses = 0
        self.too_large = 0  # values kept local because they exceed the bound
        self.failures = 0

    @property
    def prefix(self) -> str:
        return f"{KEY_PREFIX}:{self.namespace}:"

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    # -- public interface --------------------------------------------------------------

    def get(self, key: str) -> tuple[Any, float] | None:
        """The value stored under `key` by anyone sharing the namespace, and the seconds
        it has left; None when absent (or the server is unavailable)."""

        def read(client: redis.Redis) -> list[Any]:
            pipeline = client.pipeline(transaction=False)
            pipeline.get(self.prefix + key)
            pipeline.pttl(self.prefix + key)
            return list(pipeline.execute())

        raw, milliseconds_left = self._call(read) or (None, None)
        try:
            value = json.loads(raw) if raw is not None else None
        except ValueError:
            value = None  # not ours, or cut short: treat as absent
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        # PTTL is -1 for a key without expiry (not one of ours): keep it locally an hour.
        seconds_left = (
            milliseconds_left / 1000 if milliseconds_left and milliseconds_left > 0 else 3600.0
        )
        return value, seconds_left

    def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        """Share a JSON-able `value` for `ttl_seconds`, unless it exceeds the size bound."""
        encoded = json.dumps(value, separators=(",", ":")).encode()
        if len(encoded) > self.max_value_bytes:
            self.too_large += 1
            log.debug("%s: %d bytes, kept out of the shared cache", key, len(encoded))
            return
        milliseconds = max(1, int(ttl_seconds * 1000))
        self._call(lambda client: client.set(self.prefix + key, encoded, px=milliseconds))

    def clear(self) -> int:
        """Remove this namespace's entries (only this namespace's); the number removed."""

        def remove(client: redis.Redis) -> int:
            removed = 0
            batch: list[bytes] = []
            for name in client.scan_iter(match=self.prefix + "*", count=500):
                batch.append(name)
                if len(batch) == 500:
                    removed += int(client.unlink(*batch))
                    batch.clear()
            if batch:
                removed += int(client.unlink(*batch))
            return removed

        return int(self._call(remove) or 0)

    def stats(self) -> dict[str, Any]:
        """Plain data: where, which namespace, counters, and whether it is reachable."""
        entries = self._call(
            lambda client: sum(1 for _ in client.scan_iter(match=self.prefix + "*", count=1000))
        )
        return {
            "url": self.display_url,
            "namespace": self.namespace,
            "state": "unavailable" if self.problem else "ok",
            "entries": entries,
            "hits": self.hits,
            "misses": self.misses,
            "too_large": self.too_large,
            "failures": self.failures,
            "max_value_bytes": self.max_value_bytes,
            "problem": self.problem,
        }

    def close(self) -> None:
        with self._guard:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception as exc:  # closing a broken connection: nothing left to do
                log.debug("closing the shared cache: %s", exc)

    # -- the connection ----------------------------------------------------------------

    def _call(self, operation: Callable[[redis.Redis], T]) -> T | None:
        """Run `operation` on the client; None (and an outage noted) if it fails."""
        client = self._connected()
        if client is None:
            return None
        try:
            result = operation(client)
        except Exception as exc:  # redis-py's errors, OSError, a bad reply: all an outage
            self._outage(f"{type(exc).__name__}: {exc}")
            return None
        if self.problem is not None:
            log.info("The shared cache at %s is back.", display_url(self.url))
            self.problem = None
        return result

    def _connected(self) -> redis.Redis | None:
        with self._guard:
            if self._down_until is not None:
                if self._clock() < self._down_until:
                    return None
                self._down_until = None  # time for another try
            if self._client is None:
                try:
                    import redis
                    from redis.backoff import NoBackoff
                    from redis.retry import Retry
                except ImportError:
                    self._down_until = float("inf")  # no point trying again
                    self._warn(f"the `redis` package is not installed; {INSTALL_HELP}")
                    return None
                try:
                    self._client = redis.Redis.from_url(
                        self.url,
                        password=self._password or None,
                        socket_timeout=self.timeout,
                        socket_connect_timeout=self.timeout,
                        # Our own cooldown replaces redis-py's retries: a request must
                        # never wait for a series of reconnects to a server that is down.
                        retry=Retry(NoBackoff(), 0),
                        client_name="lantern",
                    )
                except Exception as exc:  # a malformed URL
                    self._down_until = float("inf")
                    self._warn(f"`cache.url` cannot be used ({type(exc).__name__}: {exc})")
                    return None
            return self._client

    def _outage(self, reason: str) -> None:
        self.failures += 1
        with self._guard:
            self._down_until = self._clock() + self.retry_seconds
        self._warn(reason)

    def _warn(self, reason: str) -> None:
        """One warning per outage: repeated failures while it lasts are not logged again."""
        if self.problem is None:
            again = self._down_until != float("inf")
            log.warning(
                "The shared cache at %s is unavailable (%s); using the local cache only%s.",
                display_url(self.url),
                _without(reason, self._password),
                f", trying again in {self.retry_seconds:g}s" if again else "",
            )
        self.problem = _without(reason, self._password)


def _without(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
