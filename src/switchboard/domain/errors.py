"""Typed rule violations: each names what was asked and why it cannot be done."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; nothing changed."""

    code = "InvalidRequestException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """An id or name that the instance does not know."""

    code = "ResourceNotFoundException"


class IllegalTransition(DomainError):
    """A move that the current state does not allow."""

    code = "InvalidRequestException"

    def __init__(self, *, subject: str, state: str, move: str, why: str = "") -> None:
        text = f"cannot {move}: {subject} is {state}"
        super().__init__(f"{text} ({why})" if why else text)
        self.subject = subject
        self.state = state
        self.move = move


class InvalidParameter(DomainError):
    """A value outside its documented range."""

    code = "InvalidParameterException"


class Duplicate(DomainError):
    """A resource with that name or id already exists."""

    code = "DuplicateResourceException"
