"""The app's clock: "now" for the rules that depend on it (plans, plates, triage slots).

One clock per app (`app.state.clock`, the real one unless `create_app` is given another),
made current for each request by `ClockMiddleware`; service code asks `clock.now()`. Tests
freeze it, so no test depends on the date it runs on."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FrozenClock:
    """A clock that says `at` until moved."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


_SYSTEM = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("clock", default=None)


def now() -> datetime:
    """Now, as the current request's app (or the `using` block) tells it; real otherwise."""
    return (_current.get() or _SYSTEM).now()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Make `clock` current for the block: service-level tests and CLI commands."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


class ClockMiddleware:
    """Makes the app's clock the current one for the request (read at each request, so a
    test can swap `app.state.clock` on a running app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        clock = getattr(scope["app"].state, "clock", None) if "app" in scope else None
        if clock is None:
            await self.app(scope, receive, send)
            return
        token = _current.set(clock)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
