"""A fake Anthropic Messages API on 127.0.0.1 that the real Claude Code CLI can talk to.

The main reply is chosen from the user's last typed text: the last text block of the last
``user`` message that does not start with ``<system-reminder>``. Keywords in that text:

- (none): a plain text reply ``hello``.
- ``SLOW<n>`` (e.g. ``SLOW3``, ``SLOW1.5``): the text ``hello`` streamed over about n
  seconds, one letter at a time with ``ping`` events in between, so a test can see Claude
  "working" (spinner, ``esc to interrupt``, braille pane title).
- ``BASH:<command>`` (to the end of the line): a ``tool_use`` of ``Bash`` with that command.
  ``BASH:touch x`` needs permission (dialog "Do you want to proceed?"); read-only commands
  such as ``BASH:ls`` or ``BASH:echo hi`` run without asking.
- ``READ:<path>`` (to the next whitespace): a ``tool_use`` of ``Read`` for that path.
- ``AGENT``: a ``tool_use`` of ``Agent`` (a general-purpose subagent) whose prompt has no
  keyword, so the subagent answers ``hello``; fires SubagentStart / SubagentStop.
- ``ERROR`` or ``ERROR<status>``: a non-2xx reply with an Anthropic error body, then the
  CLI fires StopFailure (and no Stop). Every error reply carries ``x-should-retry: false``.
  Seen with 2.1.197 (keyword: reply -> StopFailure ``error``, time to it):

  - ``ERROR``: 500 api_error -> ``server_error``, ~0.1 s
  - ``ERROR529``: 529 overloaded_error -> ``server_error``, ~2 s (the CLI tries 3 times)
  - ``ERROR429``: 429 rate_limit_error -> ``rate_limit``, ~0.1 s
  - ``ERROR401``: 401 authentication_error -> ``authentication_failed``, ~0.1 s
  - ``ERROR400``: 400 invalid_request_error -> ``unknown``, ~0.1 s

Keywords are case-sensitive; when several appear, the first of ERROR, AGENT, BASH:, READ:,
SLOW wins. After a ``tool_result`` (the last user message ends with one), the reply is plain
text ``done: <first line of the tool output>``. The subagent's own request is answered
``hello``.

``RecordedRequest.reply`` names the answer given: ``text``, ``slow``, ``bash``, ``read``,
``agent``, ``subagent``, ``after_tool``, ``error``, ``title``, ``new_topic``, ``prefix``,
``compact``, ``count_tokens`` (or ``""`` for ``HEAD``).

Side requests, recognised before the keywords: the session title (answered with
``{"title": "..."}``), the new-topic check (``{"isNewTopic": false, "title": null}``), the
Bash command-prefix check (the command's first word) and the ``/compact`` summary request
(``<analysis>..</analysis><summary>..</summary>``).

Every reply reports ``usage`` (see ``reply_usage``): figures that grow with the
conversation, with cache reads and cache creation, so transcripts carry real sums.

Also answered: ``HEAD /`` (200) and ``POST /v1/messages/count_tokens``. Every request is
recorded in ``FakeAnthropic.requests``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TITLE = "Fake session"
MODEL = "claude-opus-4-8"
SUBAGENT_PROMPT = "sub-task: say hello"
SUMMARY = "<analysis>fake analysis</analysis>\n<summary>Fake summary of the session.</summary>"

_SLOW = re.compile(r"\bSLOW(\d+(?:\.\d+)?)")
_BASH = re.compile(r"\bBASH:[ \t]*([^\n]+)")
_READ = re.compile(r"\bREAD:[ \t]*(\S+)")
_AGENT = re.compile(r"\bAGENT\b")
_ERROR = re.compile(r"\bERROR(\d{3})?\b")

# status -> (error type, message); the CLI maps these to StopFailure's `error` field.
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "fake error 400"),
    401: ("authentication_error", "fake error 401"),
    429: ("rate_limit_error", "fake rate limit"),
    500: ("api_error", "fake internal error"),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    client: str
    headers: dict[str, str]
    body: Any = None
    reply: str = ""


@dataclass
class _Reply:
    """What to send back for one /v1/messages request."""

    text: str = ""
    tool: tuple[str, dict[str, Any]] | None = None
    slow: float = 0.0
    error: int | None = None
    kind: str = "text"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _system_text(body: dict[str, Any]) -> str:
    return _text_of(body.get("system", ""))


def last_user_content(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the content blocks of the last ``user`` message (strings become one block)."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return [{"type": "text", "text": content}]
        return [b for b in content or [] if isinstance(b, dict)]
    return []


def _is_reminder(block: dict[str, Any]) -> bool:
    return block.get("type") == "text" and str(block.get("text", "")).lstrip().startswith(
        "<system-reminder>"
    )


def typed_text(body: dict[str, Any]) -> str:
    """Return the user's last typed text: the last non-reminder text block of the last user turn."""
    blocks = [b for b in last_user_content(body) if not _is_reminder(b)]
    for block in reversed(blocks):
        if block.get("type") == "text":
            return str(block.get("text", ""))
    return ""


def _ends_with_tool_result(body: dict[str, Any]) -> dict[str, Any] | None:
    # After a denied tool the user may type a new prompt into the same user message: only a
    # tool_result that is the last real block means "the tool ran, now answer".
    blocks = [b for b in last_user_content(body) if not _is_reminder(b)]
    if blocks and blocks[-1].get("type") == "tool_result":
        return blocks[-1]
    return None


def _tool_result_line(block: dict[str, Any]) -> str:
    text = _text_of(block.get("content", ""))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[0].strip()[:200] if lines else "(no output)"


def choose_reply(body: dict[str, Any]) -> _Reply:
    """Decide the reply to a /v1/messages request body."""
    system = _system_text(body)
    text = typed_text(body)
    schema = json.dumps((body.get("output_config") or {}).get("format") or {})
    # Side requests come without tools; the main request's long system prompt may mention
    # any of these words.
    side = not body.get("tools")
    if side and ("policy_spec" in system or "command prefix" in system.lower()):
        found = re.search(r"Command:\s*(\S+)", text)
        word = found.group(1) if found else (text.split() or ["none"])[0]
        return _Reply(text=word, kind="prefix")
    if "isNewTopic" in schema or (side and "isNewTopic" in system):
        return _Reply(text='{"isNewTopic": false, "title": null}', kind="new_topic")
    if '"title"' in schema:
        return _Reply(text=json.dumps({"title": TITLE}), kind="title")
    if "<analysis>" in text and "<summary>" in text:
        return _Reply(text=SUMMARY, kind="compact")
    result = _ends_with_tool_result(body)
    if result is not None:
        return _Reply(text=f"done: {_tool_result_line(result)}", kind="after_tool")
    if text.startswith(SUBAGENT_PROMPT):
        return _Reply(text="hello", kind="subagent")
    if m := _ERROR.search(text):
        return _Reply(error=int(m.group(1) or 500), kind="error")
    if _AGENT.search(text):
        agent_input = {
            "description": "Fake subagent",
            "prompt": SUBAGENT_PROMPT,
            "subagent_type": "general-purpose",
        }
        return _Reply(text="Delegating.", tool=("Agent", agent_input), kind="agent")
    if m := _BASH.search(text):
        command = m.group(1).strip()
        bash_input = {"command": command, "description": f"Run {command}"[:60]}
        return _Reply(text="Running a command.", tool=("Bash", bash_input), kind="bash")
    if m := _READ.search(text):
        return _Reply(text="Reading a file.", tool=("Read", {"file_path": m.group(1)}), kind="read")
    if m := _SLOW.search(text):
        return _Reply(text="hello", slow=float(m.group(1)), kind="slow")
    return _Reply(text="hello", kind="text")


def reply_usage(body: dict[str, Any], reply: _Reply) -> dict[str, int]:
    """The usage a reply reports: it grows with the conversation, like a real one.

    The prompt is billed as a little fresh input, a cached prefix read back and a newly
    cached part, so every figure a transcript carries is non-zero and differs per reply."""
    messages = len(body.get("messages") or [])
    return {
        "input_tokens": 10 + 3 * messages,
        "cache_creation_input_tokens": 40 + 7 * messages,
        "cache_read_input_tokens": 1000 * max(0, messages - 1),
        "output_tokens": 4 + len(reply.text) + (20 if reply.tool else 0),
    }


class _Server(ThreadingHTTPServer):
    """The HTTP server; keeps track of open connections so stop() can end them."""

    daemon_threads = True
    block_on_close = False
    fake: FakeAnthropic

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The CLI drops connections mid-stream when it is killed or interrupted: not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    """Answers the few endpoints the CLI uses."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    # -- plumbing ---------------------------------------------------------------------------

    def _record(self, body: Any) -> RecordedRequest:
        req = RecordedRequest(
            method=self.command,
            path=self.path,
            client=str(self.client_address[0]),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.server.fake._record(req)
        return req

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_fake_{self.server.fake._next_id()}")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    # -- endpoints --------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._record(None)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._record(None)
        self._send_json(404, _error_body(404, "not_found_error", "not found"))

    def do_POST(self) -> None:
        body = self._read_body()
        req = self._record(body)
        path = self.path.split("?", 1)[0]
        if path == "/v1/messages/count_tokens":
            req.reply = "count_tokens"
            size = len(json.dumps(body)) if body else 0
            self._send_json(200, {"input_tokens": max(1, size // 4)})
            return
        if path != "/v1/messages" or not isinstance(body, dict):
            req.reply = "not_found"
            self._send_json(404, _error_body(404, "not_found_error", f"no route {self.path}"))
            return
        reply = choose_reply(body)
        req.reply = reply.kind
        if reply.error is not None:
            err_type, message = _ERRORS.get(reply.error, ("api_error", f"fake error {reply.error}"))
            # x-should-retry keeps the SDK from retrying on top of the CLI's own policy.
            self._send_json(
                reply.error,
                _error_body(reply.error, err_type, message),
                {"x-should-retry": "false"},
            )
            return
        if body.get("stream"):
            self._stream(body, reply)
        else:
            self._send_json(200, self._message(body, reply))

    # -- replies ----------------------------------------------------------------------------

    def _blocks(self, reply: _Reply) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if reply.text:
            blocks.append({"type": "text", "text": reply.text})
        if reply.tool is not None:
            name, tool_input = reply.tool
            tool_id = f"toolu_fake{self.server.fake._next_id():016d}"
            blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
        return blocks

    def _message(self, body: dict[str, Any], reply: _Reply) -> dict[str, Any]:
        blocks = self._blocks(reply)
        return {
            "id": f"msg_fake{self.server.fake._next_id():016d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model") or MODEL,
            "content": blocks,
            "stop_reason": "tool_use" if reply.tool else "end_turn",
            "stop_sequence": None,
            "usage": reply_usage(body, reply),
        }

    def _stream(self, body: dict[str, Any], reply: _Reply) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_fake_{self.server.fake._next_id()}")
        self.end_headers()
        stopping = self.server.fake._stopping
        message = self._message(body, reply)
        blocks = message["content"]
        start = dict(message, content=[], stop_reason=None)
        # The prompt's figures come first; the output count grows until message_delta.
        start["usage"] = dict(message["usage"], output_tokens=1)
        self._event("message_start", {"type": "message_start", "message": start})
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                pieces = list(block["text"]) if reply.slow else [block["text"]]
                pause = reply.slow / max(1, len(pieces))
                for piece in pieces:
                    if reply.slow:
                        # Pings keep the stream visibly alive while nothing else comes.
                        deadline = time.monotonic() + pause
                        while not stopping.is_set() and time.monotonic() < deadline:
                            self._event("ping", {"type": "ping"})
                            stopping.wait(min(0.25, max(0.0, deadline - time.monotonic())))
                    self._event(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
            else:
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {
                            "type": "tool_use",
                            "id": block["id"],
                            "name": block["name"],
                            "input": {},
                        },
                    },
                )
                self._event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {
                            "type": "input_json_delta",
                            "partial_json": json.dumps(block["input"]),
                        },
                    },
                )
            self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        self._event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
        self._event("message_stop", {"type": "message_stop"})
        self._chunk(b"")

    def _event(self, name: str, data: dict[str, Any]) -> None:
        self._chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _error_body(status: int, err_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": err_type, "message": message}}


class FakeAnthropic:
    """A fake Anthropic Messages API on a free port of 127.0.0.1, served by a daemon thread."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAnthropic is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAnthropic:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-anthropic-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        # Keep-alive connections from a still-running CLI would otherwise hold handler threads.
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self._lock:
                if not self._connections:
                    break
            time.sleep(0.01)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- queries for tests --------------------------------------------------------------------

    def messages(self, kind: str | None = None) -> list[RecordedRequest]:
        """Return the recorded /v1/messages requests, optionally only those answered with kind."""
        with self._lock:
            reqs = list(self.requests)
        return [
            r
            for r in reqs
            if r.path.split("?", 1)[0] == "/v1/messages" and (kind is None or r.reply == kind)
        ]

    def wait_for_request(self, kind: str, timeout: float = 10.0) -> RecordedRequest:
        """Wait until a /v1/messages request answered with ``kind`` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(kind)
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                kinds = [r.reply for r in self.messages()]
                raise AssertionError(f"no {kind!r} request within {timeout}s; saw {kinds}")
            time.sleep(0.02)

    # -- used by the handler --------------------------------------------------------------------

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _next_id(self) -> int:
        return next(self._ids)
