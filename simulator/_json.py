"""JSON text for the store: orjson to encode, the standard library wherever orjson would not do.

orjson encodes order documents many times faster; it refuses a few values the standard
library takes, and reads integers beyond 64 bits as floats, so those paths stay standard.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: object) -> str:
    """Compact JSON text (UTF-8 kept as is).

    orjson refuses a few things the standard library accepts (integers beyond 64 bits,
    non-string keys); those take the standard library's path, so no value is refused here
    that `json.dumps` would take.

    Raises:
        TypeError: the value is not JSON-serialisable at all.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Decode JSON text the store wrote.

    The standard library's decoder, not orjson's: orjson reads an integer beyond 64 bits as
    a float, and a stored value must read back exactly as it was written.

    Raises:
        ValueError: the text is not JSON.
    """
    return json.loads(text)
