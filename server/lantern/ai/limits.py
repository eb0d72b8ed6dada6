"""Client-side protection of providers: rate limits that queue callers, and a circuit breaker.

Time comes from a `Clock` so tests can run minutes in milliseconds. A limiter either
serves a caller or answers it with `RateLimited`; it never drops one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Literal

from lantern.ai.errors import RateLimited


class Clock:
    """Real time. Subclass it (tests) to make time pass faster."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def real_seconds(self, seconds: float) -> float:
        """How long `seconds` of this clock's time last in real time."""
        return seconds


class TokenBucket:
    """`capacity` units, refilled continuously at `capacity` per `period` seconds.

    Callers are served in arrival order (asyncio.Lock is fair); one whose wait would end
    after its deadline is refused at once instead of waiting in vain.
    """

    def __init__(self, capacity: int, clock: Clock, period: float = 60.0, what: str = "requests"):
        self.capacity = capacity
        self.rate = capacity / period
        self.what = what
        self._clock = clock
        self._level = float(capacity)
        self._updated = clock.monotonic()
        self._turn = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
        self._updated = now

    async def take(self, amount: float, deadline: float, owner: str) -> None:
        """Wait for `amount` units, or raise RateLimited if they cannot come by `deadline`."""
        if amount > self.capacity:
            raise RateLimited(
                f"{owner}: this request needs about {int(amount)} {self.what}, more than the "
                f"configured {self.capacity} per minute.",
                retry_after=None,
            )
        async with self._turn:
            self._refill()
            wait = max(0.0, (amount - self._level) / self.rate)
            if self._clock.monotonic() + wait > deadline:
                raise RateLimited(
                    f"{owner}: the local limit of {self.capacity} {self.what} per minute is "
                    f"reached; a slot frees in {wait:.1f}s, after this request's deadline.",
                    retry_after=round(wait, 3),
                )
            if wait > 0:
                await self._clock.sleep(wait)
                self._refill()
            self._level -= amount

    def give_back(self, amount: float) -> None:
        """Return units taken but not used (an estimate that was too high)."""
        self._refill()
        self._level = min(self.capacity, self._level + amount)


class RateLimiter:
    """A provider's requests-per-minute and tokens-per-minute limits (either may be off)."""

    def __init__(
        self, requests_per_minute: int | None, tokens_per_minute: int | None, clock: Clock
    ) -> None:
        self.requests = (
            TokenBucket(requests_per_minute, clock, what="requests")
            if requests_per_minute
            else None
        )
        self.tokens = (
            TokenBucket(tokens_per_minute, clock, what="tokens") if tokens_per_minute else None
        )

    async def acquire(self, estimated_tokens: int, deadline: float, owner: str) -> None:
        if self.tokens is not None:
            await self.tokens.take(estimated_tokens, deadline, owner)
        if self.requests is not None:
            try:
                await self.requests.take(1, deadline, owner)
            except BaseException:
                if self.tokens is not None:
                    self.tokens.give_back(estimated_tokens)
                raise

    def settle(self, estimated_tokens: int, used_tokens: int | None) -> None:
        """After the answer: correct the token estimate with what the provider reported."""
        if self.tokens is not None and used_tokens is not None and used_tokens < estimated_tokens:
            self.tokens.give_back(estimated_tokens - used_tokens)


BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Skips a provider after `threshold` consecutive failures, for `cooldown` seconds,
    then lets exactly one probe through: success closes it, failure opens it again."""

    threshold: int
    cooldown: float
    clock: Clock = field(default_factory=Clock)
    failures: int = 0
    state: BreakerState = "closed"
    opened_at: float = 0.0
    _probing: bool = False

    def allow(self) -> bool:
        if self.state == "open" and self.clock.monotonic() - self.opened_at >= self.cooldown:
            self.state, self._probing = "half_open", False
        if self.state == "closed":
            return True
        if self.state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until the next probe may go (0 when allowed now)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.opened_at + self.cooldown - self.clock.monotonic())

    def release(self) -> None:
        """The call that `allow()` let through ended without a verdict (cancelled)."""
        self._probing = False

    def record_success(self) -> None:
        self.failures, self.state, self._probing = 0, "closed", False

    def record_failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.threshold:
            self.state, self.opened_at, self._probing = "open", self.clock.monotonic(), False
