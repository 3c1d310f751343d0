"""Per-request context that logs and error bodies read without a Request at hand."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
