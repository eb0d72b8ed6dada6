"""The protocol edge: LanternServer, handler isolation, logging to the client, start-up.

`lantern.lsp` is the only package that imports pygls/lsprotocol. Each feature module
registers its handlers through `LanternServer.handler`, which isolates them: an
exception is logged with its traceback (stderr and `window/logMessage`), the user sees
one short message per kind of failure, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import json
import logging
import os
import queue
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from cattrs import ClassValidationError, transform_error
from lsprotocol import types
from pygls.exceptions import (
    FeatureRequestError,
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import _prepare_command_arguments, lsp_method

from lantern import __version__
from lantern.session import Session

log = logging.getLogger("lantern")

# Test-only switch: handlers named here raise for documents whose file name starts "crash".
_CRASH_METHODS = frozenset(filter(None, os.environ.get("LANTERN_TEST_CRASH", "").split(",")))


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A request whose params did not fit the method's type: answered with `error`."""

    id: Any
    method: str
    jsonrpc: str
    error: JsonRpcException


class _LanternProtocol(LanguageServerProtocol):
    """pygls's protocol, minus its own copy of each text document, plus the JSON-RPC and
    LSP life-cycle answers pygls 2.1 does not give: every request gets a response.

    - params that do not fit the method: -32602 InvalidParams (pygls logs and drops them);
    - a wrong or missing `jsonrpc` member, or a batch (JSON array; LSP has no batches):
      -32600 InvalidRequest for each request in it (pygls drops them);
    - any request but `initialize` before `initialize`: -32002 ServerNotInitialized, and
      notifications then are dropped, except `exit` (pygls runs them);
    - any request after `shutdown`: -32600 InvalidRequest (pygls drops it, so the client
      waits forever);
    - `exit` ends the process with status 0 after `shutdown`, else 1 (pygls computes the
      status but its `start_io` swallows the SystemExit): `exit_code` keeps it for `serve`.

    `Session` keeps the one copy of each document Lantern reads; pygls's would be a
    second one, updated on every keystroke and never read, so `ls.workspace` holds none.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False
        self.exit_code: int | None = None
        self._finished: list[tuple[Any, Any]] = []  # see _execute_handler

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                method = data["method"]
                return _Unreadable(data["id"], method, data["jsonrpc"], _explained(exc, method))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, list):
            for item in message:
                self._refuse(item, JsonRpcInvalidRequest("Batch messages are not supported"))
            return
        if isinstance(message, dict) or message.jsonrpc != self.VERSION:
            self._refuse(message, JsonRpcInvalidRequest('"jsonrpc" must be "2.0"'))
            return
        method = getattr(message, "method", None)
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif method is not None and not self.initialize_received and method != types.EXIT:
            self._refuse(message, JsonRpcServerNotInitialized())
            return
        if self._shutdown and method is not None and method != types.EXIT:
            self._refuse(message, JsonRpcInvalidRequest("The server is shutting down"))
            return
        if isinstance(message, _Unreadable):
            self._send_response(message.id, None, message.error.to_response_error())
            return
        if method in _DOCUMENT_NOTIFICATIONS and not hasattr(message, "id"):
            # The hot path (a notification per keystroke): straight to the handler, which
            # isolates its own failures. pygls's dispatch would add protocol isinstance
            # checks, two futures, two uuid4s and a generator step, about half of the
            # edge's cost per keystroke, and its own handler would keep a second copy
            # of the text (see the class docstring).
            if (handler := self.fm.features.get(method)) is not None:
                handler(message.params)
            return
        super().handle_message(message)

    def _refuse(self, message: Any, error: JsonRpcException) -> None:
        """Answer a request with `error`; log and drop anything else."""
        if isinstance(message, dict):
            msg_id, method = message.get("id"), message.get("method")
        else:
            msg_id, method = getattr(message, "id", None), getattr(message, "method", None)
        if method is not None and msg_id is not None:
            self._send_response(msg_id, None, error.to_response_error())
        else:
            log.debug("Dropped a message (%s): %s", error.message, method)

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Iterator[Any]:
        self.exit_code = 0 if self._shutdown else 1
        yield from super().lsp_exit(*args)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Callable,
        callback: Callable,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls keeps the future of every generator or async handler in
        `_request_futures` until it sends a response; notifications get none, so each
        didOpen/didChange/didClose (and each step of a generator handler) would stay
        there for the life of the server, with its params. Finished entries are dropped
        when the next message is handled: not at once, since a future can finish while
        pygls iterates the table (`shutdown` cancels them all)."""
        self._drop_finished()

        def done(future: Any) -> None:
            self._finished.append((msg_id, future))  # atomic: may run on a worker thread
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)

    def _drop_finished(self) -> None:
        finished = self._finished
        while finished:
            msg_id, future = finished.pop()
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Any:
        """The command runs *as* the request's task, so `$/cancelRequest` cancels it.

        pygls 2.1 runs it as a separate task behind a generator; cancelling the request
        then leaves the command (and its HTTP request to a model) running.
        """
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(f"Command {params.command!r} is not defined")
        try:
            args, kwargs = _prepare_command_arguments(handler, params, self._converter)
        except Exception as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        result = handler(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result


class LanternServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "lantern",
            __version__,
            protocol_cls=_LanternProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.session = Session()
        self.shown: set[str] = set()  # keys of the messages shown (see show_once)
        self.pushed_settings: Any = None  # the last didChangeConfiguration settings
        # The raw configuration sources of the settings being loaded (see
        # lsp.configuration.unconfigured); None until the client's sections are in.
        self.config_sources: Any = None
        self.config_sources_known = asyncio.Event()
        self.first_load: asyncio.Task[None] | None = None  # (lsp.configuration)
        # Set while no message is being handled (see wait_quiet).
        self.idle = threading.Event()
        self.idle.set()
        self._answering = 0
        self._quiet_since = time.monotonic()
        self._later: queue.SimpleQueue[tuple[Callable[..., object], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._later_thread: threading.Thread | None = None
        self._later_lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.diagnostics_state: Any = None  # owned by lantern.lsp.diagnostics
        self.review_state: Any = None  # owned by lantern.lsp.review
        self.ai_edge: Any = None  # owned by lantern.lsp.ai
        self.completion_state: Any = None  # owned by lantern.lsp.completion
        self.parsing_state: Any = None  # owned by lantern.lsp.parsing
        # Set once the first settings are loaded. Before, a document is analysed only if
        # no source configures its analysis (lsp.configuration.unconfigured), and its
        # syntax errors are answered early only if none configures diagnostics.
        self.settings_ready = asyncio.Event()

    @property
    def converter(self) -> Any:
        """The protocol's cattrs converter (pygls keeps it private): the one whose hooks
        the warm-up generates. A second one would cost its own build (~30 ms: lsprotocol
        resolves every class) on first use, and its own hooks."""
        return self.protocol._converter

    # -- reading stdin -----------------------------------------------------------------

    def _start_io_async(self, stdin: Any = None, stdout: Any = None) -> None:
        """pygls's stdio server, with `framing.read_frames` in place of its reader so
        that one malformed frame costs only itself (see lantern.lsp.framing)."""
        from lantern.lsp.framing import PipeReader, read_frames

        self._stop_event = threading.Event()
        stdin = stdin or sys.stdin.buffer
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        protocol = self.protocol

        def decode(body: bytes) -> Any:
            return json.loads(body, object_hook=protocol.structure_message)

        async def serve() -> None:
            reader = await PipeReader.open(stdin) or StdinAsyncReader(stdin, self.thread_pool)
            await read_frames(
                self._stop_event,
                reader,
                decode,
                protocol.handle_message,
                self._report_bad_frame,
                lambda exc: self.report_server_error(exc, None),
            )

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            log.error("The connection to the editor is lost; shutting down.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            from lantern.lsp import parsing

            parsing.close(self)
            self.shutdown()

    def _report_bad_frame(self, problem: str) -> None:
        # Not answered with JSON-RPC's -32700 (id null), though the JSON-RPC spec allows
        # it: clients match responses by id, and some (pygls's, Neovim's) fail on one
        # they cannot match. Said once instead, and logged.
        log.warning("Skipped a malformed message from the editor: %s", problem)
        self.show_once(
            "protocol:frame",
            "Lantern skipped a malformed message from the editor and keeps serving; "
            "the details are in its log.",
        )

    # -- registration with isolation ---------------------------------------------------

    def handler(self, method: str, options: Any = None) -> Callable[[Callable], Callable]:
        """Register `fn(server, params)` for `method`, isolated from the rest of the server."""

        def register(fn: Callable) -> Callable:
            is_request = not _is_notification(method)
            if asyncio.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def guarded(ls: LanternServer, params: Any) -> Any:
                    ls.busy(+1)
                    try:
                        maybe_crash(method, _uri_of(params))
                        return await fn(ls, params)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        ls.report_handler_error(method, exc)
                        if is_request:
                            raise
                        return None
                    finally:
                        ls.busy(-1)

            else:

                @functools.wraps(fn)
                def guarded(ls: LanternServer, params: Any) -> Any:
                    ls.busy(+1)
                    try:
                        maybe_crash(method, _uri_of(params))
                        return fn(ls, params)
                    except Exception as exc:
                        ls.report_handler_error(method, exc)
                        if is_request:
                            raise
                        return None
                    finally:
                        ls.busy(-1)

            del guarded.__wrapped__  # pygls must see `ls` as the first parameter
            self.feature(method, options)(guarded)
            return fn

        return register

    def busy(self, change: int) -> None:
        """Count the messages being handled and the analyses being published (+1 when
        one starts, -1 when it ends); `idle` is set when there are none. On the loop."""
        self._answering += change
        if self._answering:
            self.idle.clear()
        else:
            self._quiet_since = time.monotonic()
            self.idle.set()

    def _quiet_left(self, seconds: float) -> float:
        """How much longer until nothing will have been handled for `seconds` (0: now;
        `seconds` while a message is being handled)."""
        if not self.idle.is_set():
            return seconds
        return max(0.0, self._quiet_since + seconds - time.monotonic())

    async def until_quiet(self, seconds: float, limit: float) -> None:
        """On the loop: until nothing has been handled for `seconds`, or `limit` seconds
        have passed (a request may be waiting for what the caller does next)."""
        deadline = time.monotonic() + limit
        await asyncio.sleep(seconds)  # a message read with the caller's may be on its way
        while (left := self._quiet_left(seconds)) and time.monotonic() < deadline:
            await asyncio.sleep(left)

    def later(self, fn: Callable[..., object], *args: Any) -> None:
        """Run `fn(*args)` on the one thread for work that can wait (a daemon: it never
        holds up the exit), once the server has been quiet (`wait_quiet`). Never on the
        analysis workers: blocked there, it would hold up the analyses it waits for."""
        with self._later_lock:  # called from the loop and from workers
            if self._later_thread is None:
                self._later_thread = threading.Thread(
                    target=self._run_later, name="lantern-later", daemon=True
                )
                self._later_thread.start()
        self._later.put((fn, args))

    def _run_later(self) -> None:
        while True:
            fn, args = self._later.get()
            self.wait_quiet()
            try:
                fn(*args)
            except Exception:  # work that can wait must never be what breaks the server
                log.exception("background work %s failed", getattr(fn, "__name__", fn))

    def wait_quiet(self, seconds: float = 0.05) -> None:
        """Block (a worker thread) until nothing has been handled for `seconds`: work
        that can wait (warm-up) goes between the user's bursts of keystrokes and requests,
        not in them."""
        while True:
            self.idle.wait()
            if not (left := self._quiet_left(seconds)):
                return
            time.sleep(left)

    # -- telling the user --------------------------------------------------------------

    def report_handler_error(self, method: str, exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        log.error("%s failed: %s\n%s", method, exc, trace)
        # A sentence for the user; the exception's own text is for the log.
        self.show_once(
            f"error:{method}:{type(exc).__name__}",
            f"Lantern: {method} failed because of an internal error. "
            "The server keeps running; the details are in its log.",
            types.MessageType.Error,
        )

    def report_server_error(self, error: Exception, source: Any) -> None:
        if source is FeatureRequestError:
            return  # already reported by the handler's guard
        log.error("Protocol error: %s", error, exc_info=error)
        self.show_once(
            f"protocol:{type(error).__name__}",
            "Lantern could not handle a message from the editor and skipped it; "
            "the details are in its log.",
        )

    def show_once(
        self, key: str, message: str, kind: types.MessageType = types.MessageType.Warning
    ) -> None:
        """window/showMessage, at most once per key for the life of the server."""
        if key in self.shown:
            return
        self.shown.add(key)
        self.notify_threadsafe(
            lambda: self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        )

    def notify_threadsafe(self, send: Callable[[], None]) -> None:
        """Run `send` on the event loop (writes to the client must not interleave)."""
        loop = self.loop
        if loop is None or _on_loop(loop):
            send()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(send)


def _explained(exc: JsonRpcException, method: Any) -> JsonRpcException:
    """`exc` with a message naming what did not fit (`$.range: expected ...`)."""
    cause = exc.__cause__
    if not isinstance(exc, JsonRpcInvalidParams) or not isinstance(cause, ClassValidationError):
        return exc
    problems = "; ".join(_camel(line) for line in transform_error(cause, path="$")[:5])
    return JsonRpcInvalidParams(f"Invalid params for {method}: {problems}")


def _camel(text: str) -> str:
    """Protocol field names in messages as the client wrote them (`textDocument`)."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), text)


# Handled without pygls's dispatch (see _LanternProtocol.handle_message).
_DOCUMENT_NOTIFICATIONS = frozenset(
    {types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE, types.TEXT_DOCUMENT_DID_CLOSE}
)


def _is_notification(method: str) -> bool:
    return method.startswith("$/") or method in {
        types.INITIALIZED,
        types.EXIT,
        types.TEXT_DOCUMENT_DID_OPEN,
        types.TEXT_DOCUMENT_DID_CHANGE,
        types.TEXT_DOCUMENT_DID_CLOSE,
        types.TEXT_DOCUMENT_DID_SAVE,
        types.WORKSPACE_DID_CHANGE_CONFIGURATION,
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS,
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
    }


def maybe_crash(method: str, uri: str) -> None:
    """The test-only fault switch (LANTERN_TEST_CRASH); does nothing unless it is set."""
    if method in _CRASH_METHODS and uri.rsplit("/", 1)[-1].startswith("crash"):
        raise RuntimeError(f"crash injected into {method} (LANTERN_TEST_CRASH)")


def _uri_of(params: Any) -> str:
    return str(getattr(getattr(params, "text_document", None), "uri", ""))


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _ClientLogHandler(logging.Handler):
    """Forwards Lantern's log records to the client as window/logMessage."""

    _LEVELS: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
    }

    def __init__(self, server: LanternServer) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):
            return  # a failure while logging must not log itself forever
        self._local.busy = True
        try:
            kind = self._LEVELS.get(record.levelno, types.MessageType.Log)
            params = types.LogMessageParams(type=kind, message=self.format(record))
            self.server.notify_threadsafe(lambda: self.server.window_log_message(params))
        except Exception:
            pass  # the client is gone; stderr still has the record
        finally:
            self._local.busy = False


def create_server() -> LanternServer:
    from lantern.lsp import (
        actions,
        commands,
        completion,
        configuration,
        diagnostics,
        documents,
        lifecycle,
        progress,
        review,
    )

    server = LanternServer()
    features = (lifecycle, configuration, documents, diagnostics, actions, commands, review)
    for feature in (*features, completion, progress):
        feature.register(server)
    return server


def serve(tcp: tuple[str, int] | None = None) -> int:
    # LANTERN_LOG_LEVEL=DEBUG logs everything, pygls's traffic included (for bug reports).
    level = os.environ.get("LANTERN_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=level if level in logging.getLevelNamesMapping() else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # The workers (warm-up, analysis, the settings' first import) run Python too: the
    # loop gets the GIL back within 1 ms of asking instead of 5, so a request answered
    # while they work (the first syntax errors, a code action) waits less for it.
    sys.setswitchinterval(0.001)
    server = create_server()
    # What is loaded by now (pygls, lsprotocol's classes, Lantern's modules) lives as long
    # as the process: kept out of the cyclic collector's full passes, which otherwise walk
    # it all again and again (10-20 ms pauses in the middle of a keystroke's analysis).
    gc.freeze()
    client_log = _ClientLogHandler(server)
    client_log.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(client_log)
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
    exit_code = server.protocol.exit_code  # type: ignore[attr-defined]
    return 0 if exit_code is None else exit_code
