"""Reading a request's JSON body: media type, size limit, strict parsing, nesting depth."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect

from simulator.http._errors import ApiError

if TYPE_CHECKING:
    from starlette.requests import Request

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted; the provider's documents need about six."""
MAX_EXACT_INT = 2**53 - 1
"""The largest integer magnitude accepted (I-JSON's interoperable range)."""

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SIZE = re.compile(r"[0-9]{1,18}")


def too_large(limit: int) -> ApiError:
    """The 413 for a body over the limit."""
    return ApiError(
        413, "payload_too_large", f"The request body is larger than the limit of {limit} bytes."
    )


def declared_size_refusal(content_length: str | None, limit: int) -> ApiError | None:
    """Why a request's Content-Length header is refused (400 not a size, 413 over `limit`).

    Only ASCII digits count, and never more than 18 of them: `int()` takes other digits
    ("²" is not one, "٣" is) and is slow on thousands of them.
    """
    if content_length is None:
        return None
    text = content_length.strip()
    if not _SIZE.fullmatch(text):
        return ApiError(
            400, "bad_request", "The Content-Length header is not a size in bytes (0 to 10**18)."
        )
    return too_large(limit) if int(text) > limit else None


async def read_json(request: Request, max_bytes: int) -> object:
    """Read and parse the body of a request that must carry JSON.

    Its media type was checked before routing (`_gate`): every state-changing request
    declares JSON.

    Raises:
        ApiError: 413 over `max_bytes` (counted as it streams, whatever Content-Length
            said), 400 empty, not UTF-8, malformed, NaN or Infinity, nested deeper than
            `MAX_DEPTH`, or cut short by the client closing the connection.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            chunks.append(chunk)
    except ClientDisconnect:
        # Not the server's fault, so not a 500: the answer goes nowhere, but the journal
        # shows what happened.
        raise ApiError(
            400,
            "client_disconnected",
            f"The client closed the connection after {size} bytes of the body.",
        ) from None
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiError(400, "malformed_json", "The request body is empty; send a JSON object.")
    return parse_json(raw)


def check_media_type(declared: str) -> None:
    """Accept `application/json` and `application/*+json`, in UTF-8.

    Raises:
        ApiError: 415 for any other media type or charset.
    """
    media, _, params = declared.partition(";")
    media = media.strip().lower()
    kind, _, subtype = media.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        shown = f"'{media}'" if media else "missing"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"The request body must be JSON: send 'Content-Type: application/json' "
            f"(the Content-Type was {shown}).",
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in {"utf-8", "utf8"}:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"The request body must be UTF-8 JSON, not charset '{charset}'.",
            )


def parse_json(raw: bytes) -> object:
    """Parse UTF-8 JSON strictly: I-JSON (RFC 7493), as every JSON reader understands it alike.

    Beyond plain JSON that refuses a key given twice in one object (which value counts
    differs between readers), an unpaired surrogate escape (not Unicode text), and an
    integer beyond +/-(2**53 - 1) (not held exactly by readers that use doubles).

    Raises:
        ApiError: 400 naming what is wrong and, for a syntax error, where.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _malformed(f"the body is not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_exact_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise _malformed(
            f"{error.msg} at line {error.lineno} column {error.colno} (char {error.pos})"
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as error:
        # Raised by the hooks below, and by int() for numbers with thousands of digits.
        raise _malformed(str(error)) from None
    if _depth(value) > MAX_DEPTH:
        raise _too_deep()
    surrogate = _unpaired_surrogate(value)
    if surrogate is not None:
        raise _malformed(
            f"the text {surrogate[:40]!r} holds an unpaired surrogate escape (\\ud800 to "
            "\\udfff), which is not Unicode text"
        )
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON; send a finite number or null")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large for a JSON number")
    return value


def _exact_int(text: str) -> int:
    # Checked on the digits first: int() of thousands of digits is slow, then refused anyway.
    if len(text.lstrip("-")) > len(str(MAX_EXACT_INT)) or abs(int(text)) > MAX_EXACT_INT:
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
        raise ValueError(
            f"the integer {shown} is beyond +/-{MAX_EXACT_INT}, the largest every JSON reader "
            "holds exactly"
        )
    return int(text)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key[:40]!r} appears twice in one object")
        found[key] = value
    return found


def _unpaired_surrogate(value: object) -> str | None:
    """The first text (a string or a key) holding a lone surrogate, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _depth(value: object) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _malformed(why: str) -> ApiError:
    return ApiError(400, "malformed_json", f"Malformed JSON: {why}.")


def _too_deep() -> ApiError:
    return ApiError(
        400, "malformed_json", f"Malformed JSON: arrays and objects nest deeper than {MAX_DEPTH}."
    )
