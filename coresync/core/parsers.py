"""The API's JSON parser: bounded in size and in nesting depth (``coresync.core.jsonsafe``)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from .errors import RequestTooLarge
from .jsonsafe import loads


def read_limited(stream) -> bytes:
    """The whole body, refused with a 413 past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (also without a Content-Length)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        body = read_limited(stream)
        try:
            return loads(body.decode(encoding), parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:  # JSONDecodeError, JSONTooDeep, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
