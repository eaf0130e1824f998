"""Turn pydantic's errors into one line a person can act on."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from socdesk.domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def describe(error: ValidationError, what: str) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(x) for x in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = len(error.errors()) - 5
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"invalid {what}: " + "; ".join(parts) + suffix


def parse(model: type[M], data: Any, what: str) -> M:
    """Validate ``data`` as ``model`` or raise ``InvalidInput`` with a readable message."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(describe(error, what)) from None


T = TypeVar("T")


def parse_value(adapter: TypeAdapter[T], data: Any, what: str) -> T:
    """The same for a single annotated value (a note's text, a feedback line)."""
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        raise InvalidInput(describe(error, what)) from None
