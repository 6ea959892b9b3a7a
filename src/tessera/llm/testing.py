"""Fakes for tests, shipped beside the real providers (as httpx ships ``MockTransport``).

- ``ScriptedProvider``: a ``Provider`` that streams a fixed script, for tests of the
  code that consumes providers.
- ``FakeOpenAIServer``: a real HTTP server on 127.0.0.1 speaking the OpenAI
  chat-completions wire format (JSON and SSE streams), scripted per request, for tests of
  ``OpenAIProvider`` or of anything else that talks to an OpenAI-compatible endpoint
  (browser tests included: it runs in its own thread with its own event loop).
- ``FakeAnthropicServer``: the same for Anthropic's Messages API (``POST /v1/messages``),
  for tests of ``AnthropicProvider``.

Both fake servers answer each request with the next scripted reply (``script(...)`` or the
``enqueue_*`` methods): a sequence such as a 429 with ``retry-after: 0.2`` followed by a
normal stream shows how a client retries; ``requests`` records what arrived and when
(``intervals()``), and ``pending`` what was not asked for yet.
"""

from __future__ import annotations

import abc
import asyncio
import itertools
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tessera.errors import ProviderStreamBroken
from tessera.llm.base import CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


class ScriptedProvider:
    """A ``Provider`` that streams ``chunks``, then ends with ``finish_reason``.

    ``break_after=n`` sends the first ``n`` chunks and then raises ``ProviderStreamBroken``
    instead of ending. Every request received is kept in ``requests``.
    """

    name = "scripted"

    def __init__(
        self,
        chunks: list[str],
        *,
        finish_reason: str = "stop",
        break_after: int | None = None,
        label: str = "scripted model",
        delay: float = 0.0,
    ) -> None:
        self.chunks = list(chunks)
        self.finish_reason = finish_reason
        self.break_after = break_after
        self.label = label
        self.delay = delay
        self.requests: list[CompletionRequest] = []
        self.closed = False

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        self.requests.append(request)
        limit = len(self.chunks) if self.break_after is None else self.break_after
        for chunk in self.chunks[:limit]:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield TextDelta(chunk)
        if self.break_after is not None:
            raise ProviderStreamBroken(
                f"The {self.label} stopped after {len(self.chunks[:limit])} chunks (scripted)."
            )
        prompt = sum(len(message.content) for message in request.messages)
        output = sum(len(chunk) for chunk in self.chunks)
        yield StreamEnd(self.finish_reason, Usage(_tokens(prompt), _tokens(output)))

    async def aclose(self) -> None:
        self.closed = True


# --- the fake OpenAI server ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScriptedText:
    chunks: list[str]
    finish_reason: str = "stop"
    delay: float | None = None


@dataclass(frozen=True, slots=True)
class ScriptedError:
    """An HTTP error answer; ``headers`` are added to it (e.g. ``retry-after-ms``,
    ``x-should-retry``)."""

    status: int
    message: str
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScriptedDrop:
    chunks: list[str]
    after: int
    delay: float | None = None


@dataclass(frozen=True, slots=True)
class ScriptedStreamError:
    """A stream that starts well, sends ``after`` chunks, then an error event of ``kind``
    (Anthropic: "overloaded_error", "rate_limit_error", "api_error"...)."""

    kind: str
    message: str
    chunks: list[str] = field(default_factory=list)
    after: int = 0


Scripted = ScriptedText | ScriptedError | ScriptedDrop | ScriptedStreamError


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    """The JSON body, or ``None``."""
    received_at: float = 0.0
    """``time.monotonic()`` when the request arrived."""


@dataclass(slots=True)
class _Queue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    items: deque[Scripted] = field(default_factory=deque)


class _DroppedOnPurpose(Exception):
    """Raised inside the fake server to cut a response off mid-way; never logged."""


def _hide_drops(record: logging.LogRecord) -> bool:
    """A log filter: the server's report of a connection it cut on purpose is noise."""
    return not (record.exc_info and isinstance(record.exc_info[1], _DroppedOnPurpose))


_ERROR_KINDS = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class _FakeServer(abc.ABC):
    """What the fake servers share: a uvicorn server on a free port of 127.0.0.1 in a
    thread, a queue of scripted replies and a record of the requests received."""

    _thread_name = "fake-server"

    def __init__(self, default: Scripted) -> None:
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._queue = _Queue()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._counter = 0

    def _push(self, item: Scripted) -> None:
        with self._queue.lock:
            self._queue.items.append(item)

    def script(self, *replies: Scripted) -> None:
        """Queue ``replies``: the next requests take them in order, then the default."""
        with self._queue.lock:
            self._queue.items.extend(replies)

    def reset(self) -> None:
        """Forget the recorded requests and every reply not taken yet."""
        with self._queue.lock:
            self._queue.items.clear()
        self.requests.clear()

    @property
    def pending(self) -> int:
        """Scripted replies no request has taken yet."""
        with self._queue.lock:
            return len(self._queue.items)

    def intervals(self) -> list[float]:
        """Seconds between one recorded request and the next, in order."""
        times = [request.received_at for request in self.requests]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    @staticmethod
    def _error_headers(error: ScriptedError) -> dict[str, str]:
        headers = dict(error.headers)
        if error.retry_after is not None:
            headers["retry-after"] = f"{error.retry_after:g}"
        return headers

    def enqueue_error(
        self,
        status: int,
        message: str,
        retry_after: float | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._push(ScriptedError(status, message, retry_after, dict(headers or {})))

    def enqueue_drop(self, chunks: list[str], after: int, *, delay: float | None = None) -> None:
        """Send ``after`` text pieces, then close the connection without the stream's end
        (no finish_reason / [DONE] for OpenAI, no ``message_stop`` for Anthropic)."""
        self._push(ScriptedDrop(list(chunks), after, delay))

    def _next(self) -> Scripted:
        with self._queue.lock:
            return self._queue.items.popleft() if self._queue.items else self.default

    @abc.abstractmethod
    def _app(self) -> Starlette:
        """The server's routes, speaking one provider's wire format."""

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Self:
        if self._server is not None:
            return self
        logging.getLogger("uvicorn.error").addFilter(_hide_drops)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app(),
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            ws="none",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self._thread_name, daemon=True
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        if server is not None:
            server.should_exit = True
            server.force_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _record(self, request: Request) -> Any:
        received_at = time.monotonic()
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append(
            RecordedRequest(
                request.method, request.url.path, dict(request.headers), body, received_at
            )
        )
        return body


class FakeOpenAIServer(_FakeServer):
    """An OpenAI-compatible HTTP server on a free port of 127.0.0.1, run in a thread.

    Use as a context manager (or ``start()`` / ``stop()``); ``base_url`` is
    ``http://127.0.0.1:PORT/v1``. Each chat-completions request takes the next scripted
    reply (``enqueue_text``, ``enqueue_error``, ``enqueue_drop``); with none queued it
    answers ``default_chunks``. ``chunk_delay`` seconds pass before each streamed chunk.
    Every request is recorded in ``requests``.
    """

    _thread_name = "fake-openai"

    def __init__(
        self,
        *,
        default_chunks: list[str] | None = None,
        chunk_delay: float = 0.0,
        models: list[str] | None = None,
    ) -> None:
        super().__init__(ScriptedText(default_chunks or ["Hello", " from the", " fake model."]))
        self.chunk_delay = chunk_delay
        self.models = models or ["fake-model"]

    # --- scripting -------------------------------------------------------------------------

    def enqueue_text(
        self, chunks: list[str], finish_reason: str = "stop", *, delay: float | None = None
    ) -> None:
        self._push(ScriptedText(list(chunks), finish_reason, delay))

    def set_default(self, chunks: list[str], finish_reason: str = "stop") -> None:
        self.default = ScriptedText(list(chunks), finish_reason)

    # --- HTTP ------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        created = int(time.time())
        data = [
            {"id": model, "object": "model", "created": created, "owned_by": "tessera"}
            for model in self.models
        ]
        return JSONResponse({"object": "list", "data": data})

    async def _completions(self, request: Request) -> Response:
        body = await self._record(request)
        if not isinstance(body, dict):
            return self._error(ScriptedError(400, "The request body is not valid JSON."))
        reply = self._next()
        if isinstance(reply, ScriptedError):
            return self._error(reply)
        if isinstance(reply, ScriptedStreamError):
            return self._error(ScriptedError(500, "ScriptedStreamError is Anthropic's only."))
        self._counter += 1
        context = _Completion(
            id=f"chatcmpl-fake{self._counter}",
            created=int(time.time()),
            model=str(body.get("model") or self.models[0]),
            prompt_chars=sum(
                len(message.get("content") or "")
                for message in body.get("messages") or []
                if isinstance(message, dict) and isinstance(message.get("content"), str)
            ),
        )
        if not body.get("stream"):
            return self._whole(reply, context)
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        events = self._events(reply, context, include_usage=include_usage)
        return StreamingResponse(events, media_type="text/event-stream")

    def _error(self, error: ScriptedError) -> Response:
        kind, code = _ERROR_KINDS.get(error.status, ("server_error", "server_error"))
        headers = self._error_headers(error)
        payload = {"error": {"message": error.message, "type": kind, "param": None, "code": code}}
        return JSONResponse(payload, status_code=error.status, headers=headers)

    def _whole(self, reply: ScriptedText | ScriptedDrop, context: _Completion) -> Response:
        text = "".join(reply.chunks)
        document = {
            "id": context.id,
            "object": "chat.completion",
            "created": context.created,
            "model": context.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": getattr(reply, "finish_reason", "stop"),
                }
            ],
            "usage": context.usage(len(text)),
        }
        encoded = json.dumps(document).encode()
        if isinstance(reply, ScriptedText):
            return Response(encoded, media_type="application/json")

        async def cut_off() -> AsyncIterator[bytes]:
            yield encoded[: len(encoded) // 2]
            raise _DroppedOnPurpose

        return StreamingResponse(cut_off(), media_type="application/json")

    async def _events(
        self, reply: ScriptedText | ScriptedDrop, context: _Completion, *, include_usage: bool
    ) -> AsyncIterator[str]:
        delay = self.chunk_delay if reply.delay is None else reply.delay
        limit = reply.after if isinstance(reply, ScriptedDrop) else len(reply.chunks)
        yield context.event({"role": "assistant", "content": ""}, None, include_usage)
        for chunk in reply.chunks[:limit]:
            if delay:
                await asyncio.sleep(delay)
            yield context.event({"content": chunk}, None, include_usage)
        if isinstance(reply, ScriptedDrop):
            raise _DroppedOnPurpose
        yield context.event({}, reply.finish_reason, include_usage)
        if include_usage:
            output = sum(len(chunk) for chunk in reply.chunks)
            yield context.sse({**context.head(), "choices": [], "usage": context.usage(output)})
        yield "data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class _Completion:
    """What every chunk of one completion repeats."""

    id: str
    created: int
    model: str
    prompt_chars: int

    def head(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_tessera_fake",
        }

    def usage(self, output_chars: int) -> dict[str, int]:
        prompt, completion = _tokens(self.prompt_chars), _tokens(output_chars)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def event(self, delta: dict[str, Any], finish_reason: str | None, include_usage: bool) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        chunk: dict[str, Any] = {**self.head(), "choices": [choice]}
        if include_usage:
            chunk["usage"] = None
        return self.sse(chunk)

    @staticmethod
    def sse(data: dict[str, Any]) -> str:
        return f"data: {json.dumps(data)}\n\n"


# --- the fake Anthropic server -------------------------------------------------------------


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _text_chars(content: Any) -> int:
    """Characters of a Messages API ``content`` or ``system``: a string or text blocks."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(
            len(block["text"])
            for block in content
            if isinstance(block, dict) and isinstance(block.get("text"), str)
        )
    return 0


class FakeAnthropicServer(_FakeServer):
    """An HTTP server speaking Anthropic's Messages API on a free port of 127.0.0.1.

    Use as a context manager (or ``start()`` / ``stop()``); ``base_url`` is
    ``http://127.0.0.1:PORT`` (the SDK adds ``/v1/messages``). Each ``POST /v1/messages``
    takes the next scripted reply (``enqueue_text``, ``enqueue_error``, ``enqueue_drop``);
    with none queued it answers ``default_chunks``. Every request is recorded in
    ``requests``.
    """

    _thread_name = "fake-anthropic"

    def __init__(
        self, *, default_chunks: list[str] | None = None, chunk_delay: float = 0.0
    ) -> None:
        super().__init__(
            ScriptedText(default_chunks or ["Hello", " from the", " fake model."], "end_turn")
        )
        self.chunk_delay = chunk_delay

    # --- scripting -------------------------------------------------------------------------

    def enqueue_text(
        self, chunks: list[str], stop_reason: str = "end_turn", *, delay: float | None = None
    ) -> None:
        self._push(ScriptedText(list(chunks), stop_reason, delay))

    def enqueue_stream_error(
        self, kind: str, message: str, *, chunks: list[str] | None = None, after: int = 0
    ) -> None:
        """Answer 200, send ``after`` text deltas, then an ``error`` event of ``kind``."""
        self._push(ScriptedStreamError(kind, message, list(chunks or []), after))

    # --- HTTP ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])

    async def _messages(self, request: Request) -> Response:
        body = await self._record(request)
        if not isinstance(body, dict):
            return self._error(ScriptedError(400, "The request body is not valid JSON."))
        reply = self._next()
        if isinstance(reply, ScriptedError):
            return self._error(reply)
        self._counter += 1
        prompt_chars = _text_chars(body.get("system")) + sum(
            _text_chars(message.get("content"))
            for message in body.get("messages") or []
            if isinstance(message, dict)
        )
        message: dict[str, Any] = {
            "id": f"msg_fake{self._counter}",
            "type": "message",
            "role": "assistant",
            "model": str(body.get("model") or "fake-model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": _tokens(prompt_chars), "output_tokens": 1},
        }
        if not body.get("stream"):
            if isinstance(reply, ScriptedStreamError):
                return self._error(ScriptedError(529, reply.message))
            text = "".join(reply.chunks)
            whole = {
                **message,
                "content": [{"type": "text", "text": text}],
                "stop_reason": getattr(reply, "finish_reason", "end_turn"),
                "usage": {
                    "input_tokens": _tokens(prompt_chars),
                    "output_tokens": _tokens(len(text)),
                },
            }
            return JSONResponse(whole)
        return StreamingResponse(self._events(reply, message), media_type="text/event-stream")

    def _error(self, error: ScriptedError) -> Response:
        kind = _ANTHROPIC_ERROR_TYPES.get(error.status, "api_error")
        headers = {"request-id": "req_fake", **self._error_headers(error)}
        payload = {"type": "error", "error": {"type": kind, "message": error.message}}
        return JSONResponse(payload, status_code=error.status, headers=headers)

    async def _events(
        self, reply: ScriptedText | ScriptedDrop | ScriptedStreamError, message: dict[str, Any]
    ) -> AsyncIterator[str]:
        delay = None if isinstance(reply, ScriptedStreamError) else reply.delay
        delay = self.chunk_delay if delay is None else delay
        limit = len(reply.chunks) if isinstance(reply, ScriptedText) else reply.after
        yield _event("message_start", {"type": "message_start", "message": message})
        yield _event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield _event("ping", {"type": "ping"})
        for chunk in reply.chunks[:limit]:
            if delay:
                await asyncio.sleep(delay)
            delta = {"type": "text_delta", "text": chunk}
            yield _event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        if isinstance(reply, ScriptedDrop):
            raise _DroppedOnPurpose
        if isinstance(reply, ScriptedStreamError):
            error = {"type": reply.kind, "message": reply.message}
            yield _event("error", {"type": "error", "error": error})
            return
        yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
        output = _tokens(sum(len(chunk) for chunk in reply.chunks))
        yield _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.finish_reason, "stop_sequence": None},
                "usage": {"output_tokens": output},
            },
        )
        yield _event("message_stop", {"type": "message_stop"})


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"
