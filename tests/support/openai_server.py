"""A loopback OpenAI-compatible HTTP server for tests: real sockets on 127.0.0.1.

It answers chat and legacy completions (streamed as server-sent events or not),
`GET /models`, and Azure's deployment paths; it records every request, and injects
faults on demand. It never listens on anything but 127.0.0.1.

    server = OpenAIServer(models=("test-model",)).start()
    server.script('{"findings": []}', Fault.status(429, retry_after=0.05), "plain text")
    ... point a provider at server.url ...
    server.requests          # every RecordedRequest, in arrival order
    server.stop()

Each scripted item answers one generation request (chat or completions), in order;
a `str` is the assistant's content, a `Fault` misbehaves. When the script is empty
the server answers `responder(request)` if set, else `default_reply`. `down(fault)`
makes every generation request fail until `down(None)`.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

# A hanging answer gives up after this long even if the client never goes away, so a
# broken test cannot wedge the suite.
MAX_HANG_SECONDS = 30.0

FaultKind = Literal["status", "slow", "hang", "garbage", "cut_stream", "slow_stream"]


@dataclass(frozen=True)
class Fault:
    """One way to misbehave. Build with the class methods."""

    kind: FaultKind
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    after_chunks: int = 1
    body: str | None = None
    content: str | None = None

    @classmethod
    def status_code(
        cls, status: int, retry_after: float | None = None, body: str | None = None
    ) -> Fault:
        """An HTTP error. `retry_after` (seconds, may be fractional) sets `Retry-After`."""
        return cls("status", status=status, retry_after=retry_after, body=body)

    @classmethod
    def rate_limited(cls, retry_after: float) -> Fault:
        return cls.status_code(429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls.status_code(status)

    @classmethod
    def model_not_found(cls, model: str = "unknown") -> Fault:
        return cls.status_code(404, body=_error_body(f"The model `{model}` does not exist", 404))

    @classmethod
    def slow(cls, seconds: float, content: str | None = None) -> Fault:
        """Answer normally after `seconds` (or notice the client leaving first)."""
        return cls("slow", seconds=seconds, content=content)

    @classmethod
    def hang(cls) -> Fault:
        """Never answer; wait until the client disconnects."""
        return cls("hang", seconds=MAX_HANG_SECONDS)

    @classmethod
    def garbage(cls, body: str = "<html>upstream proxy error</html>") -> Fault:
        """A 200 whose body is not what the API promises."""
        return cls("garbage", body=body)

    @classmethod
    def cut_stream(cls, after_chunks: int = 1, content: str | None = None) -> Fault:
        """Start answering, then drop the connection after `after_chunks` pieces."""
        return cls("cut_stream", after_chunks=after_chunks, content=content)

    @classmethod
    def slow_stream(cls, seconds_per_chunk: float, content: str | None = None) -> Fault:
        """Stream the answer with a pause before each piece."""
        return cls("slow_stream", seconds=seconds_per_chunk, content=content)


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: str
    received_at: float  # time.monotonic()
    disconnected: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def raw(self) -> str:
        """Everything the client sent: request line, headers and body."""
        head = "\n".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method} {self.path}\n{head}\n\n{self.body}"

    @property
    def model(self) -> str | None:
        data = self.json
        return data.get("model") if isinstance(data, dict) else None

    @property
    def prompt_text(self) -> str:
        """The messages' contents (chat) or prompt + suffix (completions), joined."""
        data = self.json if isinstance(self.json, dict) else {}
        if "messages" in data:
            return "\n".join(str(message.get("content", "")) for message in data["messages"])
        return f"{data.get('prompt', '')}\n{data.get('suffix', '')}"


class OpenAIServer:
    """The server. Thread-safe: handlers run on threads, tests read from anywhere."""

    def __init__(
        self,
        models: tuple[str, ...] = ("test-model",),
        *,
        default_reply: str = "ok",
        supports_json_schema: bool = True,
        supports_json_object: bool = True,
        supports_completions: bool = True,
        refusal_status: int = 400,
        interrupts_streams: bool = False,
    ) -> None:
        self.models = set(models)
        self.default_reply = default_reply
        self.responder: Callable[[RecordedRequest], str] | None = None
        # What this endpoint accepts; turning one off makes it answer 400 like servers
        # that do not know the parameter (or 404 for the legacy completions route).
        self.supports_json_schema = supports_json_schema
        self.supports_json_object = supports_json_object
        self.supports_completions = supports_completions
        # As llama-cpp-python's server does: refuse a response_format with a 500, and end
        # a stream early (`[DONE]`, no final chunk) as soon as another request arrives.
        self.refusal_status = refusal_status
        self.interrupts_streams = interrupts_streams
        self.requests: list[RecordedRequest] = []
        self._script: deque[str | Fault] = deque()
        self._down: Fault | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> OpenAIServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL a provider uses (`.../v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        """The base URL without `/v1` (Azure's endpoint style)."""
        return f"http://127.0.0.1:{self.port}"

    # -- behaviour -----------------------------------------------------------------

    def script(self, *items: str | Fault) -> None:
        """Queue answers for the next generation requests, one each, in order."""
        with self._lock:
            self._script.extend(items)

    def reply_with(self, content: str) -> None:
        """The answer once the script is used up."""
        self.default_reply = content

    def down(self, fault: Fault | None) -> None:
        """Fail every generation request with `fault` (None: back to normal)."""
        with self._lock:
            self._down = fault

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self._down = None

    # -- observation ---------------------------------------------------------------

    @property
    def generation_requests(self) -> list[RecordedRequest]:
        """Chat and completions requests (not model listings)."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")
                self._arrived.wait(remaining)
            return list(self.requests)

    def _record(self, request: RecordedRequest) -> str | Fault:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()
            if request.method != "POST":
                return ""
            if self._down is not None:
                return self._down
            if self._script:
                return self._script.popleft()
        return self.responder(request) if self.responder else self.default_reply


def _error_body(message: str, status: int) -> str:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}
    code = "model_not_found" if status == 404 else None
    error = {"message": message, "type": kinds.get(status, "server_error"), "code": code}
    return json.dumps({"error": error})


def _usage(prompt: str, completion: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = len(prompt) // 4 + 1, len(completion) // 4 + 1
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _pieces(text: str) -> Iterator[str]:
    """Split an answer into a few stream chunks (by lines, long lines in halves)."""
    for line in text.splitlines(keepends=True):
        if len(line) > 8:
            half = len(line) // 2
            yield line[:half]
            yield line[half:]
        else:
            yield line


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the recorded requests are the log

    # -- routing ---------------------------------------------------------------------

    def do_GET(self) -> None:
        request = self._read()
        self.owner._record(request)
        if request.path.rstrip("/").endswith("/models"):
            data = [
                {"id": name, "object": "model", "owned_by": "test"} for name in self.owner.models
            ]
            self._send_json(200, {"object": "list", "data": sorted(data, key=lambda m: m["id"])})
        else:
            self._send_json(404, json.loads(_error_body(f"no route {request.path}", 404)))

    def do_POST(self) -> None:
        request = self._read()
        behaviour = self.owner._record(request)
        try:
            self._answer(request, behaviour)
        except (BrokenPipeError, ConnectionResetError):
            request.disconnected.set()
        finally:
            request.answered.set()

    def _answer(self, request: RecordedRequest, behaviour: str | Fault) -> None:
        path = request.path.rstrip("/")
        body = request.json
        if not isinstance(body, dict):
            self._send_json(400, json.loads(_error_body("body is not a JSON object", 400)))
            return
        model = body.get("model") or _azure_deployment(path)
        chat = path.endswith("/chat/completions")
        if not chat and not path.endswith("/completions"):
            self._send_json(404, json.loads(_error_body(f"no route {path}", 404)))
            return
        if not chat and not self.owner.supports_completions:
            self._send_json(404, json.loads(_error_body("legacy completions not supported", 404)))
            return
        if model not in self.owner.models:
            self._send_raw(404, _error_body(f"The model `{model}` does not exist", 404))
            return
        if refusal := self._unsupported(body):
            status = self.owner.refusal_status
            self._send_json(status, json.loads(_error_body(refusal, status)))
            return
        content = behaviour if isinstance(behaviour, str) else (behaviour.content or "")
        if isinstance(behaviour, Fault):
            if behaviour.kind == "status":
                self._send_status_fault(request, behaviour)
                return
            if behaviour.kind == "garbage":
                self._send_raw(200, behaviour.body or "", content_type="application/json")
                return
            if behaviour.kind in ("slow", "hang"):
                if self._client_left_within(behaviour.seconds):
                    request.disconnected.set()
                    return
                if behaviour.kind == "hang":
                    return
                content = (
                    behaviour.content if behaviour.content is not None else self._reply(request)
                )
            if not content:
                content = self._reply(request)
        prompt = request.prompt_text
        if body.get("stream"):
            self._stream(request, body, chat, content, behaviour)
        elif isinstance(behaviour, Fault) and behaviour.kind == "cut_stream":
            self._send_truncated(_completion(body, chat, content, prompt))
        else:
            self._send_json(200, _completion(body, chat, content, prompt))

    def _reply(self, request: RecordedRequest) -> str:
        owner = self.owner
        return owner.responder(request) if owner.responder else owner.default_reply

    def _unsupported(self, body: dict[str, Any]) -> str | None:
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_schema" and not self.owner.supports_json_schema:
            return "response_format.type 'json_schema' is not supported by this server"
        if kind == "json_object" and not self.owner.supports_json_object:
            return "response_format.type 'json_object' is not supported by this server"
        return None

    # -- answers ---------------------------------------------------------------------

    def _send_status_fault(self, request: RecordedRequest, fault: Fault) -> None:
        headers = {}
        if fault.retry_after is not None:
            # Both forms, as OpenAI does: the SDK prefers the millisecond one.
            headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
            headers["retry-after"] = f"{fault.retry_after:g}"
        body = fault.body or _error_body(f"injected HTTP {fault.status}", fault.status)
        self._send_raw(fault.status, body, headers=headers)

    def _stream(
        self,
        request: RecordedRequest,
        body: dict[str, Any],
        chat: bool,
        content: str,
        behaviour: str | Fault,
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        cut = (
            behaviour.after_chunks
            if isinstance(behaviour, Fault) and behaviour.kind == "cut_stream"
            else None
        )
        pause = (
            behaviour.seconds
            if isinstance(behaviour, Fault) and behaviour.kind == "slow_stream"
            else 0.0
        )
        arrived = len(self.owner.requests)
        for index, piece in enumerate(_pieces(content)):
            if self.owner.interrupts_streams and len(self.owner.requests) > arrived:
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                return
            if cut is not None and index >= cut:
                self._drop_connection()
                return
            if pause and self._client_left_within(pause):
                request.disconnected.set()
                return
            if chat:
                choice = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                chunk = {"object": "chat.completion.chunk", "choices": [choice]}
            else:
                chunk = {"object": "text_completion", "choices": [{"index": 0, "text": piece}]}
            self._event({"id": "chunk-1", "created": 0, "model": body.get("model"), **chunk})
        if cut is not None:
            self._drop_connection()
            return
        last: dict[str, Any] = {"id": "chunk-1", "created": 0, "model": body.get("model")}
        if chat:
            last |= {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
        else:
            last |= {
                "object": "text_completion",
                "choices": [{"index": 0, "text": "", "finish_reason": "stop"}],
            }
        if (body.get("stream_options") or {}).get("include_usage"):
            last["usage"] = _usage(request.prompt_text, content)
        self._event(last)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _drop_connection(self) -> None:
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _send_truncated(self, data: dict[str, Any]) -> None:
        """Promise the whole body, send half of it, hang up."""
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self._drop_connection()

    def _send_json(self, status: int, data: Any) -> None:
        self._send_raw(status, json.dumps(data))

    def _send_raw(
        self,
        status: int,
        body: str,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    # -- plumbing --------------------------------------------------------------------

    def _read(self) -> RecordedRequest:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        return RecordedRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )

    def _client_left_within(self, seconds: float) -> bool:
        """Wait up to `seconds`; True as soon as the client closes its end."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.owner._stopping.is_set():
                return True
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.02))
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
        return False


def _azure_deployment(path: str) -> str | None:
    parts = path.split("/")
    if "deployments" in parts and parts.index("deployments") + 1 < len(parts):
        return parts[parts.index("deployments") + 1]
    return None


def _completion(body: dict[str, Any], chat: bool, content: str, prompt: str) -> dict[str, Any]:
    base = {"id": "cmpl-1", "created": 0, "model": body.get("model") or "deployment"}
    if chat:
        message = {"role": "assistant", "content": content}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return base | {
            "object": "chat.completion",
            "choices": [choice],
            "usage": _usage(prompt, content),
        }
    choice = {"index": 0, "text": content, "finish_reason": "stop", "logprobs": None}
    return base | {
        "object": "text_completion",
        "choices": [choice],
        "usage": _usage(prompt, content),
    }
