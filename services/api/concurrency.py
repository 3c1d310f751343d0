"""ETags from row versions, and the If-Match rule for PATCH and DELETE."""

from typing import Annotated, Protocol

from fastapi import Depends, Header

from services.api.errors import PreconditionFailed, PreconditionRequired


class HasVersion(Protocol):
    version: int


def etag(obj: HasVersion) -> str:
    return etag_of(obj.version)


def etag_of(version: int) -> str:
    return f'"v{version}"'


def require_if_match(
    if_match: Annotated[
        str | None,
        Header(description="The ETag you last read; the change applies only if it is current."),
    ] = None,
) -> str:
    if if_match is None:
        raise PreconditionRequired(
            "Send the ETag you last read in If-Match, so a concurrent change is not overwritten."
        )
    return if_match


IfMatch = Annotated[str, Depends(require_if_match)]


def check_if_match(obj: HasVersion, if_match: str) -> None:
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in tags and etag(obj) not in tags:
        raise PreconditionFailed(
            f"The resource is at {etag(obj)}, not {if_match}; read it again and retry."
        )
