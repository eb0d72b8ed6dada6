"""Reading LSP base-protocol frames from stdin, recovering from malformed ones.

A frame is headers (`Content-Length: N`, optionally others), a blank line, then N bytes
of JSON (LSP specification, "Base Protocol"). pygls 2.1's reader trusts every frame: a
message without its header, or a `Content-Length` off by a few bytes, leaves it reading
the rest of the stream out of step, so no later request is ever answered. This reader
finds the next header wherever it starts on a line, and hands back what a too-long body
took from the next frame, so one bad frame costs only itself. Each bad frame is passed
to `on_bad_frame` with a sentence saying what was wrong.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, Protocol

# Anywhere on a line: bytes left over from a bad frame may precede the next header.
_CONTENT_LENGTH = re.compile(rb"content-length:[ \t]*(\d+)[ \t]*\r?\n$", re.IGNORECASE)


class Reader(Protocol):
    def readline(self) -> Awaitable[bytes]: ...
    def readexactly(self, n: int) -> Awaitable[bytes]: ...


class PipeReader:
    """stdin read by the event loop itself, for a pipe or socket (what editors give).

    pygls's reader asks a worker thread for every line and every body: two or three
    thread hand-offs per message, each waiting for the GIL while an analysis runs (on
    a burst of keystrokes, most of the framework's cost per notification). Here the
    loop reads whatever the pipe holds, and a burst is split into frames from one
    buffer. `open` returns None where this does not apply (a regular file, a terminal,
    Windows): pygls's reader is used there.
    """

    # The longest line the reader buffers: a malformed frame may have none for a while.
    LIMIT = 1 << 30

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream

    @classmethod
    async def open(cls, stdin: BinaryIO) -> PipeReader | None:
        try:
            fd = stdin.fileno()
            kind = os.fstat(fd).st_mode
        except (OSError, ValueError, AttributeError):
            return None
        if os.name != "posix" or not (stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind)):
            return None
        if stat.S_ISSOCK(kind) and _same_file(fd, 1):
            return None  # one socket for both: non-blocking reads would make writes fail
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=cls.LIMIT, loop=loop)
        protocol = asyncio.StreamReaderProtocol(stream, loop=loop)
        try:
            # Its own file object: the transport closes what it was given.
            await loop.connect_read_pipe(lambda: protocol, os.fdopen(os.dup(fd), "rb", 0))
        except (OSError, ValueError):
            return None
        return cls(stream)

    async def readline(self) -> bytes:
        return await self.stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as end:
            return end.partial


def _same_file(fd: int, other: int) -> bool:
    try:
        mine, theirs = os.fstat(fd), os.fstat(other)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


class _Pushback:
    """`reader` with bytes that can be put back in front of what it reads next."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.pending = b""

    async def readline(self) -> bytes:
        if b"\n" in self.pending:
            line, _, self.pending = self.pending.partition(b"\n")
            return line + b"\n"
        head, self.pending = self.pending, b""
        return head + await self.reader.readline()

    async def read(self, n: int) -> bytes:
        head, self.pending = self.pending[:n], self.pending[n:]
        if len(head) == n:
            return head
        # A stream reader may return fewer bytes than asked; read until n or the end.
        while len(head) < n and (more := await self.reader.readexactly(n - len(head))):
            head += more
        return head


async def read_frames(
    stop: threading.Event,
    reader: Reader,
    decode: Callable[[bytes], Any],
    handle: Callable[[Any], None],
    on_bad_frame: Callable[[str], None],
    on_error: Callable[[Exception], None],
) -> None:
    """Read frames until the stream ends or `stop` is set; `handle(decode(body))` each.

    `decode` raises ValueError for a body that is not JSON; the rest of a body that held a
    whole JSON value followed by more bytes (a `Content-Length` too long) is read again as
    the start of the next frame. Any other exception from `decode` or `handle` goes to
    `on_error`, and reading goes on.
    """
    stream = _Pushback(reader)
    length: int | None = None
    while not stop.is_set():
        line = await stream.readline()
        if not line:
            return
        if header := _CONTENT_LENGTH.search(line):
            if header.start() > 0:
                on_bad_frame(f"{header.start()} bytes that were not part of any message")
            length = int(header.group(1))
            continue
        if line.strip():
            if b":" not in line:
                on_bad_frame("a line that is not a header")
            continue  # another header (Content-Type): nothing to do
        if length is None:
            continue  # a blank line with no Content-Length before it
        body, length = await stream.read(length), None
        if not body:
            return
        try:
            try:
                message = decode(body)
            except ValueError:
                message, rest = _split_off_extra(body, decode)
                if message is None:
                    on_bad_frame("a message that is not valid JSON (a wrong Content-Length?)")
                    continue
                on_bad_frame("a Content-Length longer than its message")
                stream.pending = rest + stream.pending
            handle(message)
        except Exception as exc:  # one message's failure is not the connection's
            on_error(exc)


def _split_off_extra(body: bytes, decode: Callable[[bytes], Any]) -> tuple[Any, bytes]:
    """(message, the bytes after it) when `body` starts with a whole JSON value, else
    (None, b"")."""
    text = body.decode("utf-8", "replace")
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None, b""
    head = text[:end].encode("utf-8")
    if not body.startswith(head):
        return None, b""  # replaced bytes: offsets no longer agree
    try:
        return decode(head), body[len(head) :]
    except ValueError:
        return None, b""
