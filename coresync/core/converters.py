"""URL path converters for identifiers that come from outside."""

from __future__ import annotations

from django.urls import register_converter


class ReferenceConverter:
    """A booking reference as people type it (``CS-7KQ2M9``): letters, digits and dashes, nothing else.

    Anything else (a NUL byte, spaces, a 10 KB string) never reaches the
    database: the path simply does not match, a 404.
    """

    regex = "[A-Za-z0-9-]{1,32}"
    schema = {"type": "string", "pattern": f"^{regex}$", "example": "CS-7KQ2M9"}

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(ReferenceConverter, "reference")
