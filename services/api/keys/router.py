"""HTTP for API keys and for "who am I"."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, select

from services.api.auth import SCOPES, AnyKey, ManagerKey
from services.api.db import SessionDep
from services.api.errors import problems
from services.api.keys import service
from services.api.models import ApiKey, Role
from services.api.pagination import CursorParam, Limit, paginate
from shared.schemas import Page
from shared.schemas.bounds import Id, IdParam

router = APIRouter(prefix="/v1", tags=["keys"])


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Role
    member_id: Id | None = Field(default=None, description="Required for people below manager.")
    scopes: list[str] = Field(default_factory=list, max_length=len(SCOPES),
                              description="Service keys only: " + ", ".join(SCOPES))


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    role: Role
    member_id: IdParam | None
    scopes: list[str]
    prefix: str = Field(description="The key's first characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret. Shown once; only its hash is stored.")


class Me(BaseModel):
    key_id: IdParam
    name: str
    role: Role
    member_id: IdParam | None
    scopes: list[str]


def _public(k: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(k, from_attributes=True)


@router.post("/api-keys", status_code=201, summary="Issue an API key",
             responses=problems(401, 403, 422))
async def create_api_key(body: ApiKeyCreate, session: SessionDep, me: ManagerKey) -> ApiKeyCreated:
    """The response holds the secret once; store it now, it cannot be shown again."""
    key, secret = await service.issue_key(session, name=body.name, role=body.role,
                                          member_id=body.member_id, scopes=body.scopes, actor=me)
    return ApiKeyCreated(**_public(key).model_dump(), key=secret)


@router.get("/api-keys", summary="List API keys", responses=problems(401, 403, 422))
async def list_api_keys(session: SessionDep, _: ManagerKey, request: Request, response: Response,
                        limit: Limit = 50, cursor: CursorParam = None) -> Page[ApiKeyPublic]:
    """Manager only. Every key's metadata (role, scopes, member, revoked or not); never the
    secret."""
    return await paginate(session, select(ApiKey), order=[(col(ApiKey.id), False)],
                          key=lambda k: [k.id], convert=_public, limit=limit, cursor=cursor,
                          request=request, response=response)


@router.post("/api-keys/{key_id:int}/revoke", summary="Revoke an API key",
             responses=problems(401, 403, 404))
async def revoke_api_key(key_id: IdParam, session: SessionDep, me: ManagerKey,
                         request: Request) -> ApiKeyPublic:
    """From now on the key gets 401 (other API worker processes follow within
    `AUTH_CACHE_SECONDS`). Revoking an already revoked key changes nothing."""
    key = await service.revoke_key(session, key_id, actor=me)
    request.app.state.key_cache.evict(key_id)
    return _public(key)


@router.get("/me", summary="Who am I?", responses=problems(401))
async def read_me(me: AnyKey) -> Me:
    """The calling key's role, member and scopes."""
    return Me(key_id=me.key_id, name=me.name, role=me.role, member_id=me.member_id,
              scopes=sorted(me.scopes))
