"""Limits every request passes before any handler reads it: body size, JSON nesting depth
and NUL characters (which no text column can hold) in the path, the query or the body."""

import re
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import problem_response
from shared.schemas.common import FieldError

# Deeper than any body the API accepts (its deepest is 5 levels); json.loads recurses once
# per level and fails with RecursionError near 1,000.
MAX_JSON_DEPTH = 32
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# `\u0000` in a JSON string, not preceded by an escaped backslash (`\\u0000` is text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_MESSAGE = "Text may not contain the NUL character (U+0000)."


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds the limit of {limit} bytes.")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in `body`, strings skipped, without parsing.
    Not a validator: the parser still rejects what is not JSON."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper: spare the scan for nearly every body
    depth = deepest = 0
    for token in _JSON_TOKENS.findall(body):
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _nul_fields(scope: Scope, body: bytes) -> list[FieldError]:
    found = []
    if "\x00" in scope["path"]:
        found.append(FieldError(field="path", pointer="/", message=NUL_MESSAGE,
                                type="nul_character"))
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                found.append(FieldError(field=f"query.{name.replace(chr(0), '')}",
                                        pointer="/", message=NUL_MESSAGE, type="nul_character"))
    if b"\x00" in body or _JSON_NUL.search(body):
        found.append(FieldError(field="body", pointer="/", message=NUL_MESSAGE,
                                type="nul_character"))
    return found


class BodyLimitMiddleware:
    """Reads the whole body (at most `max_bytes`), checks it, and hands it on unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if problem := self._problem(scope, body):
            await problem(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as Starlette does

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = BodyTooLarge(self.max_bytes)
        await problem_response(413, "payload-too-large", "Request body too large",
                               exc.detail, None)(scope, receive, send)

    @staticmethod
    def _problem(scope: Scope, body: bytes) -> JSONResponse | None:
        if nul := _nul_fields(scope, body):
            return problem_response(422, "validation", "Invalid request",
                                    f"{len(nul)} invalid field(s): "
                                    f"{', '.join(e.field for e in nul)}.", None, errors=nul)
        if json_depth(body) > MAX_JSON_DEPTH:
            return problem_response(400, "malformed-json", "Malformed JSON",
                                    f"JSON nested deeper than {MAX_JSON_DEPTH} levels is "
                                    "refused.", None)
        return None
