"""One error type for business rules, carrying a stable code and a Chinese message.

Services raise `BusinessError`; pages show `message`, the API returns
`{"code", "message", "extra"}`, the import framework turns it into a row error.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Base for each app's error-code enum: value is the code, `message` the Chinese text."""

    def __new__(cls, code: str, message: str):
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.message = message
        return obj


class BusinessError(Exception):
    def __init__(self, code: ErrorCode, message: str | None = None, *, field: str | None = None, **extra):
        self.code = code
        # Rendered now, in the request's language; stored reasons (import reports) stay plain text.
        self.message = str(message or code.message)
        self.field = field
        self.extra = extra
        super().__init__(self.message)


class NotFoundOrForbidden(Exception):
    """Raised by access_* gates: out-of-scope and missing look the same to the caller."""
