"""Domain errors. Each carries a machine-readable `code`; `api.errors` maps classes to HTTP."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code = "domain_error"
    title = "The request could not be carried out"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = dict(errors) if errors else None


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"
    title = "Not found"


class Unauthenticated(DomainError):
    """No valid API key was presented."""

    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"
    title = "Not allowed"


class RuleViolation(DomainError):
    """The input is well formed but breaks a business rule."""

    code = "rule_violation"
    title = "The request breaks a rule"


class InvalidInput(DomainError):
    """A value is malformed (the domain's own validation, beside the schemas')."""

    code = "invalid_input"
    title = "Invalid input"


class Conflict(DomainError):
    """The thing changed under the caller, or the action is not legal in its state."""

    code = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    """An event that the state machine does not allow from the current state."""

    code = "illegal_transition"
    title = "Not possible in the current state"

    def __init__(self, event: str, state: str) -> None:
        super().__init__(f"Cannot {event} an introduction that is {state}.")
        self.event = event
        self.state = state


class ConcurrentTransition(Conflict):
    """Another request changed the state first (the compare-and-swap lost)."""

    code = "concurrent_transition"
    title = "Someone else changed this first"


class BadRequest(DomainError):
    """The request is malformed in a way that is not a field error (a header, a cursor)."""

    code = "bad_request"
    title = "Bad request"
