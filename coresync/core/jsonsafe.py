"""The one JSON loader for bodies that come from outside: depth-limited, so deep nesting is a 400, not a 500.

``json.loads`` recurses once per nesting level: ``[[[[...]]]]`` 10,000 deep
raises ``RecursionError`` (a 500), and a few hundred levels still reach code
that walks the result recursively (error flattening, deep copies). Every JSON
body (the DRF parser, both webhooks, the WebSocket frames) goes through
:func:`loads`, which measures the depth first, outside strings, in one regular
expression pass.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32

# A string (escapes included) or a bracket; everything else is skipped by the search.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JSONTooDeep(json.JSONDecodeError):
    """Nested deeper than allowed; a ``JSONDecodeError`` so every caller's existing handler catches it."""


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in ``text``, counted up to ``limit + 1``."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in "]}":
            depth -= 1
    return deepest


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, **kwargs) -> Any:
    """``json.loads`` that refuses more than ``max_depth`` levels of nesting with :class:`JSONTooDeep`.

    Bytes are decoded as UTF-8 (a ``UnicodeDecodeError``, also a ``ValueError``, when they are not);
    other keyword arguments go to ``json.loads``.
    """
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if nesting_depth(text, max_depth) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels", text, 0)
    try:
        return json.loads(text, **kwargs)
    except RecursionError as error:  # belt and braces: the scan above should make this unreachable
        raise JSONTooDeep("JSON nested too deep", text, 0) from error
