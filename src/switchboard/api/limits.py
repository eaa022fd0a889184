"""Request size limits: an oversized body is refused with 413 before any handler reads it.

Connect's largest request bodies (CreateRoutingProfile with many queues, tasks with references)
stay far below 1 MiB; a bigger body is a mistake or an attack, and reading it would cost memory
for nothing. Both a declared `Content-Length` and a streamed (chunked) body are counted.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_BYTES", "BodyLimit"]

MAX_BODY_BYTES = 1 << 20


class BodyLimit:
    """ASGI middleware: 413 with a JSON message for a body over `limit` bytes; nothing runs."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "Content-Length is not a number")
                    return
                if declared > self.limit:
                    await self._refuse_size(send)
                    return
        if not any(name == b"content-length" for name, _ in scope.get("headers", ())):
            # A streamed body: read it all first (up to the limit), then hand it on.
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.limit:
                    await self._refuse_size(send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    async def _refuse_size(self, send: Send) -> None:
        await self._refuse(
            send, 413, f"The request body is larger than {self.limit} bytes; nothing was done"
        )

    @staticmethod
    async def _refuse(send: Send, status: int, message: str) -> None:
        code = "RequestTooLarge" if status == 413 else "InvalidRequest"
        body = orjson.dumps({"code": code, "message": message})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-errortype", b"InvalidRequestException"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
