"""Wire shapes every endpoint shares: RFC 9457 problem details and cursor pages."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

PROBLEM_BASE = "https://social-priorities.dev/problems/"


class FieldError(BaseModel):
    field: str = Field(description="Dotted location of the offending value, e.g. `body.email`.")
    pointer: str = Field(description="JSON Pointer (RFC 6901) to the value in the request body.")
    message: str
    type: str = Field(description="Machine-readable error code, e.g. `missing`.")


class Problem(BaseModel):
    """An RFC 9457 problem: every error the API returns has this shape."""

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No network with slug 'myspace'."])
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="Echo of `X-Request-ID`.")
    errors: list[FieldError] | None = Field(
        default=None, description="For validation problems: one entry per offending field."
    )


class Page(BaseModel, Generic[T]):
    """One page of a list. Follow `next` (or the `Link: rel="next"` header) until it is null."""

    items: list[T]
    next: str | None = Field(
        default=None, description="Opaque cursor for the next page; null on the last page."
    )
