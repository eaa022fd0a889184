"""Connect's rest-json wire: error answers, field-by-field body validation, opaque page tokens.

Bodies are checked by hand against the shapes of botocore's `service-2.json` rather than through
a pydantic model per operation: every refusal then carries Connect's error type and a message
that names the field as the SDK user wrote it (`MediaConcurrencies[1].Channel`), and a request
costs one `orjson.loads` (DESIGN §10: hot paths may need leaner handling than a model).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

import orjson

__all__ = [
    "ApiError",
    "Body",
    "InvalidParameterError",
    "InvalidRequestError",
    "NotFoundError",
    "error_body",
    "page",
    "parse_body",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

STATUS_OF: dict[str, int] = {
    "InvalidRequestException": 400,
    "InvalidParameterException": 400,
    "DuplicateResourceException": 409,
    "ResourceNotFoundException": 404,
    "LimitExceededException": 429,
    "ThrottlingException": 429,
    "AccessDeniedException": 403,
    "InternalServiceException": 500,
    "UnknownOperationException": 404,
}
"""HTTP status per error type, from the error shapes' `httpStatusCode` in service-2.json."""


class ApiError(Exception):
    """A refusal with Connect's error type (`code`), HTTP status and a message for the caller."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_OF.get(code, 400)


def InvalidParameterError(message: str) -> ApiError:  # noqa: N802 -- reads as an exception type
    return ApiError("InvalidParameterException", message)


def InvalidRequestError(message: str) -> ApiError:  # noqa: N802 -- reads as an exception type
    return ApiError("InvalidRequestException", message)


def NotFoundError(message: str) -> ApiError:  # noqa: N802 -- reads as an exception type
    return ApiError("ResourceNotFoundException", message)


def error_body(message: str) -> bytes:
    """The JSON body of an error; the type travels in the `x-amzn-ErrorType` header."""
    return orjson.dumps({"message": message})


# --------------------------------------------------------------------------- bodies


def _type_name(value: object) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case dict():
            return "an object"
        case _:
            return type(value).__name__


def parse_body(raw: bytes) -> Body:
    """The request's JSON object; an empty body is an empty object (GETs and bare PUTs)."""
    if not raw.strip():
        return Body({})
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidRequestError(f"The request body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidRequestError(f"The request body must be a JSON object, not {_type_name(data)}")
    return Body(data)


class Body:
    """One JSON object of a request, read member by member; `where` prefixes names in messages."""

    __slots__ = ("data", "where")

    def __init__(self, data: dict[str, object], where: str = "") -> None:
        self.data = data
        self.where = where

    def _name(self, name: str) -> str:
        return f"{self.where}{name}"

    def _value(self, name: str, required: bool) -> object:
        value = self.data.get(name)
        if value is None and required:
            raise InvalidParameterError(f"{self._name(name)} is required")
        return value

    def _wrong(self, name: str, expected: str, value: object) -> ApiError:
        return InvalidParameterError(
            f"{self._name(name)} must be {expected}, not {_type_name(value)}"
        )

    def opt_str(
        self,
        name: str,
        *,
        min_len: int = 0,
        max_len: int | None = None,
        pattern: re.Pattern[str] | None = None,
        required: bool = False,
    ) -> str | None:
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(name, "a string", value)
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            limit = f"{min_len} to {max_len}" if max_len is not None else f"at least {min_len}"
            raise InvalidParameterError(
                f"{self._name(name)} must be {limit} characters long, got {len(value)}"
            )
        if pattern is not None and not pattern.fullmatch(value):
            raise InvalidParameterError(
                f"{self._name(name)} {value!r} does not match the pattern {pattern.pattern}"
            )
        return value

    def need_str(
        self,
        name: str,
        *,
        min_len: int = 1,
        max_len: int | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str:
        value = self.opt_str(name, min_len=min_len, max_len=max_len, pattern=pattern, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def opt_int(
        self,
        name: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = False,
    ) -> int | None:
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(name, "an integer", value)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = (
                f"{minimum} to {maximum}"
                if minimum is not None and maximum is not None
                else f"at least {minimum}"
                if minimum is not None
                else f"at most {maximum}"
            )
            raise InvalidParameterError(f"{self._name(name)} must be {bounds}, got {value}")
        return value

    def need_int(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.opt_int(name, minimum=minimum, maximum=maximum, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def opt_bool(self, name: str, *, required: bool = False) -> bool | None:
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._wrong(name, "a boolean", value)
        return value

    def need_bool(self, name: str) -> bool:
        value = self.opt_bool(name, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def opt_enum(self, name: str, kind: type[E], *, required: bool = False) -> E | None:
        value = self.opt_str(name, required=required)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise InvalidParameterError(
                f"{self._name(name)} {value!r} is not one of {allowed}"
            ) from None

    def need_enum(self, name: str, kind: type[E]) -> E:
        value = self.opt_enum(name, kind, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def opt_struct(self, name: str, *, required: bool = False) -> Body | None:
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, "an object", value)
        return Body(value, f"{self._name(name)}.")

    def need_struct(self, name: str) -> Body:
        value = self.opt_struct(name, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def structs(self, name: str, *, required: bool = False) -> list[Body]:
        value = self._value(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, "a list", value)
        out = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self._wrong(f"{name}[{index}]", "an object", item)
            out.append(Body(item, f"{self._name(name)}[{index}]."))
        return out

    def strs(self, name: str, *, required: bool = False) -> list[str]:
        value = self._value(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, "a list", value)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self._wrong(f"{name}[{index}]", "a string", item)
        return list(value)


# --------------------------------------------------------------------------- pagination


def _token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode().rstrip("=")


def _offset(kind: str, token: str) -> int:
    bad = InvalidParameterError(
        f"nextToken {token[:64]!r} is not a token this server gave for this list"
    )
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    given_kind, _, number = text.partition(":")
    if given_kind != kind or not number.isdigit():
        raise bad
    return int(number)


def page(
    items: Sequence[T],
    *,
    kind: str,
    next_token: str | None,
    max_results: str | None,
    limit: int = 1000,
    default: int = 100,
) -> tuple[Sequence[T], str | None]:
    """One page of `items` from the query's `nextToken`/`maxResults`, and the token after it.

    Tokens are opaque to the caller (the list's kind and an offset); one from another list, or
    one that was altered, is refused. Lists are in creation order, so a page boundary is stable
    while resources are only added.
    """
    size = default
    if max_results is not None:
        if not max_results.isdigit() or not 1 <= int(max_results) <= limit:
            raise InvalidParameterError(
                f"maxResults must be an integer from 1 to {limit}, got {max_results!r}"
            )
        size = int(max_results)
    start = 0 if next_token is None else _offset(kind, next_token)
    if start > len(items):
        raise InvalidParameterError(f"nextToken {next_token!r} points past the end of the list")
    end = start + size
    return items[start:end], (_token(kind, end) if end < len(items) else None)
