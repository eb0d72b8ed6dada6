"""JSON-RPC and LSP life cycle over raw stdio: every request gets an answer, exit statuses.

pytest-lsp's client always speaks correctly, so these tests write framed bytes themselves.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SERVER_COMMAND

WAIT = 15.0
DIAGNOSTIC = "textDocument/diagnostic"


class RawClient:
    """`lantern serve` on pipes; messages are written and read exactly as given."""

    def __init__(self, tmp_path: Path) -> None:
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
        env.pop("LANTERN_CONFIG", None)
        self.proc = subprocess.Popen(
            SERVER_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.received: queue.Queue[Any] = queue.Queue()
        self.responses: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        length = 0
        while header := stdout.readline():
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
            elif not header.strip():
                self.received.put(json.loads(stdout.read(length)))

    def send(self, message: Any) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def response(self, msg_id: int | None) -> dict[str, Any]:
        """The response to request `msg_id` (server-to-client requests are answered null);
        notifications are kept in `notifications`, other responses for later calls."""
        if msg_id in self.responses:
            return self.responses.pop(msg_id)
        while True:
            message = self.received.get(timeout=WAIT)
            if "method" not in message:
                if message.get("id") == msg_id:
                    return message
                self.responses[message.get("id")] = message
            elif "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.append(message)

    def request(self, msg_id: int, method: str, params: Any = None) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.response(msg_id)

    def initialize(self) -> None:
        assert "result" in self.request(1, "initialize", {"capabilities": {}, "processId": None})
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def exit_status(self) -> int:
        self.send({"jsonrpc": "2.0", "method": "exit"})
        return self.proc.wait(WAIT)


@pytest.fixture
def raw(tmp_path: Path) -> Iterator[RawClient]:
    client = RawClient(tmp_path)
    yield client
    if client.proc.poll() is None:
        client.proc.kill()
        client.proc.wait()


def error_code(response: dict[str, Any]) -> int:
    assert "result" not in response, response
    return response["error"]["code"]


A_PY = {"textDocument": {"uri": "file:///project/a.py"}}


@pytest.mark.parametrize("method", [DIAGNOSTIC, "textDocument/codeAction", "shutdown"])
def test_requests_before_initialize_are_refused(raw: RawClient, method: str):
    assert error_code(raw.request(7, method, A_PY)) == -32002
    raw.initialize()
    assert raw.request(8, DIAGNOSTIC, A_PY)["result"]["kind"] == "full"


@pytest.mark.parametrize(
    "params",
    [
        {"textDocument": {}},
        {},
        {"textDocument": "a.py"},
        {"textDocument": A_PY["textDocument"], "range": "x", "context": {"diagnostics": []}},
    ],
)
def test_invalid_params_get_invalid_params(raw: RawClient, params: dict[str, Any]):
    raw.initialize()
    method = "textDocument/codeAction" if "range" in params else DIAGNOSTIC
    response = raw.request(5, method, params)
    assert error_code(response) == -32602
    assert method in response["error"]["message"]
    assert raw.request(6, DIAGNOSTIC, A_PY)["result"]["kind"] == "full"  # still serving


@pytest.mark.parametrize(
    "message",
    [
        {"jsonrpc": "1.0", "id": 9, "method": DIAGNOSTIC, "params": A_PY},
        {"id": 9, "method": DIAGNOSTIC, "params": A_PY},
        [{"jsonrpc": "2.0", "id": 9, "method": DIAGNOSTIC, "params": A_PY}],
    ],
    ids=["jsonrpc-1.0", "no-jsonrpc", "batch"],
)
def test_malformed_requests_get_invalid_request(raw: RawClient, message: Any):
    raw.initialize()
    raw.send(message)
    assert error_code(raw.response(9)) == -32600
    assert raw.request(10, DIAGNOSTIC, A_PY)["result"]["kind"] == "full"


def _frame(body: bytes, length: int | None = None, header: bytes | None = None) -> bytes:
    if header is None:
        header = b"Content-Length: %d\r\n" % (len(body) if length is None else length)
    return header + b"\r\n" + body


# (the frame around a body, whether the message in it is still understood)
FRAMES = {
    "no-header": (lambda body: body, False),
    "length-short": (lambda body: _frame(body, len(body) - 5), False),
    "length-long": (lambda body: _frame(body, len(body) + 5), True),
    "length-not-a-number": (lambda body: _frame(body, header=b"Content-Length: ten\r\n"), False),
    "other-header-only": (lambda body: _frame(body, header=b"Content-Type: x\r\n"), False),
    "garbage-line": (lambda body: b"hello\r\n" + _frame(body), True),
}


@pytest.mark.parametrize("frame", FRAMES.values(), ids=FRAMES.keys())
def test_a_malformed_frame_costs_only_itself(raw: RawClient, frame: Any):
    """Issue 11, item 13: the next message after a bad frame is answered; a body that
    holds a whole message followed by bytes of the next frame keeps both."""
    wrap, understood = frame
    raw.initialize()
    body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": DIAGNOSTIC, "params": A_PY}).encode()
    raw.write(wrap(body))
    assert raw.request(6, DIAGNOSTIC, A_PY)["result"]["kind"] == "full"
    if understood:
        assert raw.response(5)["result"]["kind"] == "full"
    assert raw.request(7, "shutdown") == {"jsonrpc": "2.0", "id": 7, "result": None}
    assert raw.exit_status() == 0


def test_bodies_that_are_not_json_are_said_once_as_a_sentence(raw: RawClient):
    raw.initialize()
    for _ in range(2):
        raw.write(_frame(b"{not json at all"))
    assert raw.request(6, DIAGNOSTIC, A_PY)["result"]["kind"] == "full"
    assert None not in raw.responses  # no id-less answer that clients cannot match
    said = [
        m["params"]["message"] for m in raw.notifications if m["method"] == "window/showMessage"
    ]
    assert said == [
        "Lantern skipped a malformed message from the editor and keeps serving; "
        "the details are in its log."
    ]


def test_batch_of_two_answers_each(raw: RawClient):
    raw.initialize()
    raw.send([{"jsonrpc": "2.0", "id": i, "method": DIAGNOSTIC, "params": A_PY} for i in (11, 12)])
    assert error_code(raw.response(11)) == error_code(raw.response(12)) == -32600


def test_requests_after_shutdown_are_refused_and_exit_is_clean(raw: RawClient):
    raw.initialize()
    assert raw.request(2, "shutdown") == {"jsonrpc": "2.0", "id": 2, "result": None}
    for msg_id, method in enumerate([DIAGNOSTIC, "textDocument/codeAction", "shutdown"], 3):
        assert error_code(raw.request(msg_id, method, A_PY)) == -32600
    assert raw.exit_status() == 0


def test_exit_without_shutdown_is_status_1(raw: RawClient):
    raw.initialize()
    assert raw.exit_status() == 1


def test_exit_before_initialize_is_status_1(raw: RawClient):
    assert raw.exit_status() == 1
