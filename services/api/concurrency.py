"""ETags from row versions, and the If-Match rule for PATCH and DELETE."""

from typing import Annotated, Protocol

from fastapi import Depends, Header

from services.api.errors import PreconditionFailed


class HasVersion(Protocol):
    version: int


def etag(obj: HasVersion) -> str:
    return etag_of(obj.version)


def etag_of(version: int) -> str:
    return f'"v{version}"'


def require_if_match(
    if_match: Annotated[
        str,
        Header(description="The ETag you last read; the change applies only if it is current. "
                           "Required: without it the answer is 428."),
    ],
) -> str:
    # Declared required so the document says so; a request without it never gets here:
    # errors.validation_error answers its missing-header error with a 428.
    return if_match


IfMatch = Annotated[str, Depends(require_if_match)]


def check_if_match(obj: HasVersion, if_match: str) -> None:
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in tags and etag(obj) not in tags:
        raise PreconditionFailed(
            f"The resource is at {etag(obj)}, not {if_match}; read it again and retry."
        )
