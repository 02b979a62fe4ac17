"""The provider's response schemas as JSON Schema, and where a response departs from them.

Reads the vendored provider document (tests/data/okc-core-api-v2.subset.json), turns its
OpenAPI 3.0 schemas into JSON Schema (`nullable` honoured) and names each mismatch by
operation, status and field, the unit `docs/conformance.md` lists its deviations in.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]  # no stubs; the tests need none

DATA = Path(__file__).parent / "data"
PROVIDER_DOCUMENT: dict[str, Any] = json.loads(
    (DATA / "okc-core-api-v2.subset.json").read_text(encoding="utf-8")
)
PROVIDER_OPERATIONS = frozenset(
    (method, re.sub(r"\{[^/}]+\}", "{}", path))
    for method, path in json.loads(
        (DATA / "okc-core-api-v2.operations.json").read_text(encoding="utf-8")
    )["operations"]
)
"""Every (METHOD, path template) of the provider's whole document, parameter names left out."""
CONFORMANCE_PAGE = Path(__file__).parent.parent / "docs" / "conformance.md"
ERROR_MODEL = "#/components/schemas/ErrorModel"
"""What an error is checked against when its operation documents neither it nor a default."""

_PARAMETER = re.compile(r"\{[^/}]+\}")
_FORMATS = jsonschema.FormatChecker(["uuid", "email"])


@_FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (`fromisoformat` reads `Z` since 3.11)."""
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and dt.datetime.fromisoformat(value).tzinfo is not None


@_FORMATS.checks("date", raises=ValueError)  # type: ignore[untyped-decorator]
def _date(value: object) -> bool:
    """A full date, YYYY-MM-DD."""
    return not isinstance(value, str) or (bool(dt.date.fromisoformat(value)) and len(value) == 10)


@attrs.frozen(order=True)
class Mismatch:
    """One way responses of an operation depart from the provider's schema.

    `field` is the JSON path of the value, array indices written `[]`, so one field of every
    order in a list is one mismatch; for a missing property it names that property.
    """

    operation: str
    """"METHOD /template", as the provider's document spells the template."""
    status: int
    field: str
    problem: str
    """The kind of departure: `required`, `type`, `enum`, `format`, `undocumented status`..."""


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` becomes a type that takes null.

    `nullable` on a schema with an `enum` adds null to the enum too (JSON Schema checks the
    enum on its own). References stay `#/components/...`, resolved in the converted root.
    """
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        kind = node.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            converted["enum"] = [*node["enum"], None]
    return converted


@cache
def _root() -> dict[str, Any]:
    """The document's components as JSON Schema, for `$ref`s to resolve against."""
    return {"components": to_json_schema(PROVIDER_DOCUMENT["components"])}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` to a component (responses are referenced one level deep)."""
    while "$ref" in node:
        found: Any = PROVIDER_DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def not_simulated(method: str, template: str, status: int, body: bytes) -> bool:
    """Whether an answer is the 501 of a provider operation okc-sim does not serve.

    The 501 is what the simulator promises there (docs/http-api.md), so the fuzzers, whose
    coverage phase tries every method on every path, take it as such.
    """
    if status != 501 or (method.upper(), _PARAMETER.sub("{}", template)) not in PROVIDER_OPERATIONS:
        return False
    try:
        return bool(json.loads(body)["error"]["errorCode"] == "not_simulated")
    except (ValueError, KeyError, TypeError):
        return False


def template_of(path: str) -> str | None:
    """The provider's template a concrete path matches, literal segments first."""
    found = [
        template
        for template in PROVIDER_DOCUMENT["paths"]
        if re.fullmatch("[^/]+".join(map(re.escape, _PARAMETER.split(template))), path)
    ]
    return max(
        found, key=lambda t: [not _PARAMETER.fullmatch(p) for p in t.split("/")], default=None
    )


def response_schema(method: str, template: str, status: int) -> dict[str, Any] | None:
    """The provider's JSON schema for this answer; None when it documents no body.

    The status's own response, else the operation's `default`, else (an error the operation
    documents nothing for) the document's `ErrorModel`.

    Raises:
        LookupError: a success status the operation does not document.
    """
    responses = PROVIDER_DOCUMENT["paths"][template][method.lower()]["responses"]
    # A documented response may be empty once its prose is gone (a 204): `in`, not `or`.
    documented = responses[str(status)] if str(status) in responses else responses.get("default")
    if documented is None:
        if status < 400:
            raise LookupError(f"{method} {template} documents no {status}.")
        return {"$ref": ERROR_MODEL}
    content = _resolve(documented).get("content", {}).get("application/json")
    return None if content is None else to_json_schema(content["schema"])


def shape_problems(reference: str, body: bytes) -> list[str]:
    """Where a body departs from one shape of the document (`#/components/...`)."""
    node = _resolve({"$ref": reference})
    schema = to_json_schema(
        node["content"]["application/json"]["schema"] if "content" in node else node
    )
    validator = jsonschema.Draft202012Validator({**_root(), **schema}, format_checker=_FORMATS)
    return [f"{_field(e)}: {e.message}" for e in validator.iter_errors(json.loads(body))]


def mismatches(method: str, path: str, status: int, body: bytes) -> list[Mismatch]:
    """Where one response departs from the provider's document (empty when it conforms).

    A request on no operation of the vendored document (a 404 of no route, a 405, a 501) is
    an error all the same, checked against `ErrorModel` and named by its concrete path.
    """
    template = template_of(path)
    schema: dict[str, Any] | None
    if template is None or method.lower() not in PROVIDER_DOCUMENT["paths"][template]:
        template, schema = path, {"$ref": ERROR_MODEL}
    else:
        try:
            schema = response_schema(method, template, status)
        except LookupError:
            return [Mismatch(f"{method} {template}", status, "", "undocumented status")]
    operation = f"{method} {template}"
    if schema is None:
        return [Mismatch(operation, status, "", "undocumented body")] if body else []
    if not body:
        return [Mismatch(operation, status, "", "missing body")]
    validator = jsonschema.Draft202012Validator({**_root(), **schema}, format_checker=_FORMATS)
    return sorted(
        {
            Mismatch(operation, status, _field(error), str(error.validator))
            for error in validator.iter_errors(json.loads(body))
        }
    )


def _field(error: Any) -> str:
    """The error's JSON path, indices as `[]`; a missing property's own name appended."""
    field = dotted(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            field = f"{field}.{missing.group(1)}" if field else missing.group(1)
    return field


def dotted(path: Iterable[str | int]) -> str:
    """A JSON path as `order.order_lines[].name`: keys joined by dots, indices as `[]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += "[]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _table(heading: str) -> list[list[str]]:
    """The rows of the table under a heading (`## ...`, `### ...`) of docs/conformance.md."""
    text = CONFORMANCE_PAGE.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith("`"):
            rows.append([cell.strip("`") for cell in cells])
    return rows


def documented_deviations() -> set[Mismatch]:
    """The deviations docs/conformance.md lists, read from its "## Deviations" table.

    Each row: | `METHOD /template` | status | `field` | problem | reason |.
    """
    return {
        Mismatch(operation, int(status), field, problem)
        for operation, status, field, problem, *_ in _table("## Deviations")
    }


@attrs.frozen
class Refusal:
    """A business rule that refuses a request the provider's schema allows."""

    operation: str
    status: int
    code: str
    """The refusal's `error.errorCode`, or for a 422 one of its `errors[].type`."""


def documented_refusals() -> set[Refusal]:
    """The refusals docs/conformance.md lists under "## Business rules beyond the schemas".

    Each row: | `METHOD /template` | status | `code` | rule |.
    """
    return {
        Refusal(operation, int(status), code)
        for operation, status, code, *_ in _table("## Business rules beyond the schemas")
    }


@attrs.frozen
class ParameterRefusal:
    """A business rule that refuses a value of a query parameter the provider's schema allows."""

    parameter: str
    """The parameter's name; `filter` stands for every `filter[...]`."""
    status: int
    code: str
    """The refusal's `error.errorCode`."""

    def sent_in(self, query: Mapping[str, Any]) -> bool:
        """Whether a request with this query string sends the parameter."""
        if self.parameter == "filter":
            return any(name.startswith("filter[") for name in query)
        return self.parameter in query


def documented_parameter_refusals() -> set[ParameterRefusal]:
    """The rules docs/conformance.md lists under "### Query parameters".

    Each row: | `parameter` | status | `code` | rule |. Such a rule may refuse a request on any
    operation, but only one that sends the parameter.
    """
    return {
        ParameterRefusal(parameter, int(status), code)
        for parameter, status, code, *_ in _table("### Query parameters")
    }
