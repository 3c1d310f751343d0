"""PATCH bodies: a field left out keeps its stored value, and only a field whose column may be
empty accepts an explicit null (to clear it).

Type a field whose column cannot be null `NotNull[T] = None`: in Python it reads `T | None`
(None when left out; services take `model_dump(exclude_unset=True)`), but an explicit JSON
null is a validation error on that field (a 422 naming it, before anything is read or
written), and the OpenAPI document declares it plain `T`, so generated clients and the
fuzzer agree with the service. A clearable field stays `T | None = None`."""

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

T = TypeVar("T")


def _refuse_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "cannot be null; leave the field out to keep its value")
    return value


class _NotNullInSchema:
    """Drops the null branch pydantic gives the `T | None` annotation from the JSON schema."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        branches = schema.get("anyOf")
        if branches is not None:
            rest = [b for b in branches if b != {"type": "null"}]
            del schema["anyOf"]
            if len(rest) == 1:
                schema.update(rest[0])
            else:
                schema["anyOf"] = rest
        return schema


NotNull = Annotated[T | None, BeforeValidator(_refuse_null), _NotNullInSchema()]


def drop_defaults(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a PATCH model: a field left out keeps its value, so no field has
    a default to document (pydantic would show `default: null`, which a non-null field
    cannot take)."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Patch(BaseModel):
    """Base of every PATCH body: unknown fields are refused, as in the create bodies."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_defaults)
