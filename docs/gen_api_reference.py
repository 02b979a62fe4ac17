"""Write `docs/api-reference.md`, the HTTP API reference, from the OpenAPI document.

Run `python docs/gen_api_reference.py` whenever `docs/openapi.json` changes (`--check` only
says whether the page is current); `tests/test_api_reference.py` fails while it is not.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
SOURCE = DOCS / "openapi.json"
PAGE = DOCS / "api-reference.md"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CONSTRAINTS = (
    ("minimum", "at least {}"),
    ("exclusiveMinimum", "more than {}"),
    ("maximum", "at most {}"),
    ("exclusiveMaximum", "less than {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches `{}`"),
    ("default", "default `{}`"),
)
"""Schema keywords shown when a field has no description, and how they read."""

GENERATED_NOTE = (
    "<!-- Generated from docs/openapi.json by `python docs/gen_api_reference.py`; "
    "a test keeps it current. Do not edit by hand. -->"
)

Schema = Mapping[str, Any]


class UnresolvableRef(ValueError):
    """The OpenAPI document has a `$ref` this script cannot follow."""


def slug(text: str) -> str:
    """An anchor-friendly form of a name: lower case, runs of other characters as one dash."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _plain(value: object) -> str:
    """A constraint's value as written in the document: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def cell(text: object) -> str:
    """Text that fits in one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", r"\|")


class Reference:
    """Renders one OpenAPI 3.1 document as a Markdown page."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        """Keep the document; nothing is rendered until `page` is called."""
        self.doc = document
        self.components: Mapping[str, Any] = document.get("components", {})

    # --- references ----------------------------------------------------------------------

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow local `$ref`s until a node that is not one.

        Raises:
            UnresolvableRef: a `$ref` that is not local or points at nothing.
        """
        seen: set[str] = set()
        while "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/") or ref in seen:
                raise UnresolvableRef(f"Cannot follow $ref {ref!r}: only local, acyclic refs.")
            seen.add(ref)
            target: Any = self.doc
            for part in ref[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or key not in target:
                    raise UnresolvableRef(f"$ref {ref!r} points at nothing in the document.")
                target = target[key]
            node = target
        return node

    @staticmethod
    def schema_name(node: Schema) -> str | None:
        """The component name a schema `$ref` points at, or None."""
        ref = node.get("$ref")
        prefix = "#/components/schemas/"
        if isinstance(ref, str) and ref.startswith(prefix):
            return ref.removeprefix(prefix)
        return None

    # --- types -------------------------------------------------------------------------

    def type_text(self, schema: Schema) -> str:
        """A short Markdown description of a schema's type, linking component schemas."""
        name = self.schema_name(schema)
        if name is not None:
            return f"[{name}](#schema-{slug(name)})"
        if "$ref" in schema:
            return self.type_text(self.resolve(schema))
        if "const" in schema:
            return f"`{json.dumps(schema['const'])}`"
        if "enum" in schema:
            return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
        for combiner, word in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
            if combiner in schema:
                return self._combined(schema[combiner], word)
        return self._typed(schema)

    def _typed(self, schema: Schema) -> str:
        """The type of a schema that is not a reference, constant, enum or combination."""
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(self.type_text({**schema, "type": one}) for one in kind)
        if kind == "array":
            items = schema.get("items")
            return "array" if items is None else f"array of {self.type_text(items)}"
        extra = schema.get("additionalProperties")
        if kind == "object" and not schema.get("properties") and isinstance(extra, Mapping):
            return f"object of {self.type_text(extra)}" if extra else "object"
        fmt = schema.get("format")
        text = "any" if kind is None else str(kind)
        return f"{text} ({fmt})" if fmt else text

    def _combined(self, options: Sequence[Schema], word: str) -> str:
        texts = [self.type_text(option) for option in options if option.get("type") != "null"]
        nullable = len(texts) < len(options)
        text = word.join(texts) if texts else "null"
        return f"{text} or null" if nullable and texts else text

    @staticmethod
    def notes(schema: Schema) -> str:
        """The schema's description, or failing one its constraints, for a table cell."""
        if "description" in schema:
            return cell(str(schema["description"]))
        found = [
            text.format(_plain(schema[key])).replace(" 1 items", " 1 item")
            for key, text in CONSTRAINTS
            if key in schema
        ]
        return cell("; ".join(found).capitalize() + ".") if found else ""

    def inline_object(self, schema: Schema) -> tuple[str, Schema] | None:
        """`(suffix, object schema)` when a property nests an object with its own fields."""
        if "$ref" in schema:
            return None
        for combiner in ("anyOf", "oneOf"):
            options = [o for o in schema.get(combiner, ()) if o.get("type") != "null"]
            if len(options) == 1:
                return self.inline_object(options[0])
        if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
            nested = self.inline_object(schema["items"])
            return None if nested is None else ("[]" + nested[0], nested[1])
        if schema.get("type") == "object" and schema.get("properties"):
            return "", schema
        return None

    def field_rows(self, schema: Schema, prefix: str = "") -> Iterator[str]:
        """One table row per field, nested inline objects flattened as `a.b` and `a[].b`."""
        properties: Mapping[str, Schema] = schema.get("properties", {})
        required = schema.get("required", [])
        names = list(properties) + [name for name in required if name not in properties]
        for name in names:
            field = properties.get(name, {})
            needed = "yes" if name in required else "no"
            yield (
                f"| `{prefix}{name}` | {self.type_text(field)} | {needed} | {self.notes(field)} |"
            )
            nested = self.inline_object(field)
            if nested is not None:
                yield from self.field_rows(nested[1], f"{prefix}{name}{nested[0]}.")

    def object_table(self, schema: Schema) -> list[str]:
        """A field table for an object schema, with a line on whether other fields may appear."""
        lines = ["| Field | Type | Required | Notes |", "| --- | --- | --- | --- |"]
        lines += self.field_rows(schema)
        if schema.get("additionalProperties") is False:
            lines += ["", "No other fields."]
        else:
            lines += ["", "Other fields may be present."]
        return lines

    # --- sections ----------------------------------------------------------------------

    def schema_section(self, name: str, schema: Schema) -> list[str]:
        """The section describing one component schema."""
        lines = [f'<a id="schema-{slug(name)}"></a>', "", f"### {name}", ""]
        if "description" in schema:
            lines += [str(schema["description"]), ""]
        options = schema.get("oneOf") or schema.get("anyOf")
        has_fields = schema.get("type") == "object" or "properties" in schema
        if options and not has_fields and all(self.inline_object(o) for o in options):
            lines += ["One of:", ""]
            for number, option in enumerate(options, start=1):
                lines += [f"**Option {number}**", "", *self.object_table(option), ""]
        elif has_fields and (schema.get("properties") or schema.get("required")):
            lines += [*self.object_table(schema), ""]
        else:
            lines += [f"Type: {self.type_text(schema)}.", ""]
        return lines

    def auth_text(self, operation: Mapping[str, Any]) -> str:
        """Which credentials an operation takes, in words."""
        requirements = operation.get("security", self.doc.get("security"))
        if not requirements:
            return "none"
        choices: list[str] = []
        for requirement in requirements:
            if not requirement:
                choices.append("none")
                continue
            names = [
                f"[`{name}`](#scheme-{slug(name)})"
                + (f" (scopes: {', '.join(scopes)})" if scopes else "")
                for name, scopes in requirement.items()
            ]
            choices.append(" and ".join(names))
        return " or ".join(choices)

    def parameter_table(self, parameters: Sequence[Mapping[str, Any]]) -> list[str]:
        """The parameters of an operation, as a table."""
        lines = [
            "**Parameters**",
            "",
            "| Name | In | Type | Required | Notes |",
            "| --- | --- | --- | --- | --- |",
        ]
        for raw in parameters:
            parameter = self.resolve(raw)
            schema = parameter.get("schema", {})
            notes = self.notes({**schema, **parameter} if "description" in parameter else schema)
            needed = "yes" if parameter.get("required") else "no"
            lines.append(
                f"| `{parameter['name']}` | {parameter.get('in', '')} | "
                f"{self.type_text(schema)} | {needed} | {notes} |"
            )
        return [*lines, ""]

    def body_text(self, content: Mapping[str, Any]) -> str:
        """The media types and schemas of a request or response body."""
        if not content:
            return "none"
        parts = []
        for media, entry in content.items():
            schema = entry.get("schema")
            kind = "any" if schema is None else self.type_text(schema)
            parts.append(kind if len(content) == 1 and "json" in media else f"`{media}`: {kind}")
        return "; ".join(parts)

    def header_links(self, headers: Mapping[str, Any], names: Sequence[str]) -> str:
        """Header names, each linked to its shared description when it has one."""
        links = []
        for name in names:
            shared = f"#/components/headers/{name}" == headers[name].get("$ref")
            links.append(f"[`{name}`](#header-{slug(name)})" if shared else f"`{name}`")
        return ", ".join(links)

    def response_table(self, responses: Mapping[str, Any]) -> list[str]:
        """The responses of an operation, as a table; headers every response has, once."""
        resolved = {status: self.resolve(raw) for status, raw in responses.items()}
        header_sets = [dict(response.get("headers", {})) for response in resolved.values()]
        common = [
            name
            for name in (header_sets[0] if header_sets else {})
            if all(name in headers for headers in header_sets)
        ]
        extra = any(set(headers) - set(common) for headers in header_sets)
        lines = ["**Responses**", ""]
        if extra:
            lines += ["| Status | Meaning | Body | Other headers |", "| --- | --- | --- | --- |"]
        else:
            lines += ["| Status | Meaning | Body |", "| --- | --- | --- |"]
        for (status, response), headers in zip(resolved.items(), header_sets, strict=True):
            row = (
                f"| {status} | {cell(response.get('description', ''))} | "
                f"{self.body_text(response.get('content', {}))} |"
            )
            if extra:
                others = [name for name in headers if name not in common]
                row += f" {self.header_links(headers, others) or ''} |"
            lines.append(row)
        lines.append("")
        if common:
            shared = self.header_links(header_sets[0], common)
            lines += [f"Every response carries {shared}.", ""]
        return lines

    def operation_section(self, path: str, method: str, operation: Mapping[str, Any]) -> list[str]:
        """The section describing one operation."""
        summary = operation.get("summary") or f"{method.upper()} {path}"
        lines = [f'<a id="{self.operation_anchor(path, method, operation)}"></a>', ""]
        lines += [f"### {summary}", "", f"`{method.upper()} {path}`", ""]
        if "description" in operation:
            lines += [str(operation["description"]), ""]
        lines += [f"**Authentication:** {self.auth_text(operation)}.", ""]
        if operation.get("parameters"):
            lines += self.parameter_table(operation["parameters"])
        if "requestBody" in operation:
            body = self.resolve(operation["requestBody"])
            needed = "required" if body.get("required") else "optional"
            lines += [f"**Request body** ({needed}): {self.body_text(body.get('content', {}))}", ""]
        lines += self.response_table(operation.get("responses", {}))
        return lines

    @staticmethod
    def operation_anchor(path: str, method: str, operation: Mapping[str, Any]) -> str:
        """The anchor of an operation: its operationId, else its method and path."""
        return "op-" + slug(str(operation.get("operationId") or f"{method} {path}"))

    def operations_by_tag(self) -> dict[str, list[tuple[str, str, Mapping[str, Any]]]]:
        """Operations grouped by their first tag, tags in the document's order, then "Other"."""
        groups: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {
            tag["name"]: [] for tag in self.doc.get("tags", [])
        }
        for path, item in self.doc.get("paths", {}).items():
            for method in METHODS:
                if method in item:
                    operation = item[method]
                    tag = (operation.get("tags") or ["Other"])[0]
                    groups.setdefault(tag, []).append((path, method, operation))
        return {tag: operations for tag, operations in groups.items() if operations}

    def page(self) -> str:
        """The whole Markdown page."""
        info = self.doc.get("info", {})
        tags = {tag["name"]: tag for tag in self.doc.get("tags", [])}
        groups = self.operations_by_tag()
        lines = [
            "# HTTP API reference",
            "",
            GENERATED_NOTE,
            "",
            (
                f"{info.get('title', 'API')}, version {info.get('version', '?')}, "
                f"OpenAPI {self.doc.get('openapi', '?')}. The machine-readable document is "
                "[openapi.json](openapi.json); a running simulator also serves it at "
                "`/_sim/openapi.json`. For a guided tour, read the [HTTP API guide](http-api.md) "
                "and the [control API](control-api.md)."
            ),
            "",
        ]
        if "description" in info:
            lines += [str(info["description"]), ""]
        lines += ["## Contents", ""]
        for tag, operations in groups.items():
            lines.append(f"- [{tag}](#tag-{slug(tag)})")
            for path, method, operation in operations:
                anchor = self.operation_anchor(path, method, operation)
                title = operation.get("summary") or path
                lines.append(f"    - [{title}](#{anchor}): `{method.upper()} {path}`")
        lines += [
            "- [Security schemes](#security-schemes)",
            "- [Response headers](#response-headers)",
            "- [Schemas](#schemas)",
            "",
        ]
        for tag, operations in groups.items():
            lines += [f'<a id="tag-{slug(tag)}"></a>', "", f"## {tag}", ""]
            if "description" in tags.get(tag, {}):
                lines += [str(tags[tag]["description"]), ""]
            for path, method, operation in operations:
                lines += self.operation_section(path, method, operation)
        lines += self.schemes_section() + self.headers_section()
        lines += ['<a id="schemas"></a>', "", "## Schemas", ""]
        for name, schema in self.components.get("schemas", {}).items():
            lines += self.schema_section(name, schema)
        return "\n".join(lines).rstrip("\n") + "\n"

    def schemes_section(self) -> list[str]:
        """What each security scheme is."""
        lines = ['<a id="security-schemes"></a>', "", "## Security schemes", ""]
        schemes = self.components.get("securitySchemes", {})
        if not schemes:
            return [*lines, "None.", ""]
        lines += ["| Name | Kind | Notes |", "| --- | --- | --- |"]
        for name, raw in schemes.items():
            scheme = self.resolve(raw)
            kind = str(scheme.get("type", ""))
            if kind == "http":
                kind = f"HTTP `{scheme.get('scheme', '')}`"
                if str(scheme.get("scheme", "")).lower() == "bearer":
                    kind += ": `Authorization: Bearer <token>`"
            elif kind == "apiKey":
                kind = f"API key in {scheme.get('in', '?')} `{scheme.get('name', '?')}`"
            lines.append(
                f'| <a id="scheme-{slug(name)}"></a>`{name}` | {cell(kind)} | '
                f"{cell(scheme.get('description', ''))} |"
            )
        return [*lines, ""]

    def headers_section(self) -> list[str]:
        """What each shared response header means."""
        lines = ['<a id="response-headers"></a>', "", "## Response headers", ""]
        headers = self.components.get("headers", {})
        if not headers:
            return [*lines, "None shared.", ""]
        lines += ["| Header | Type | Meaning |", "| --- | --- | --- |"]
        for name, raw in headers.items():
            header = self.resolve(raw)
            kind = self.type_text(header.get("schema", {}))
            lines.append(
                f'| <a id="header-{slug(name)}"></a>`{name}` | {kind} | '
                f"{cell(header.get('description', ''))} |"
            )
        return [*lines, ""]


def render(document: Mapping[str, Any]) -> str:
    """The reference page for an OpenAPI 3.1 document.

    Raises:
        UnresolvableRef: the document has a `$ref` that cannot be followed.
    """
    return Reference(document).page()


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with `--check`, compare) the reference page; 1 when `--check` finds it stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    page = render(json.loads(SOURCE.read_text(encoding="utf-8")))
    current = PAGE.exists() and PAGE.read_text(encoding="utf-8") == page
    if args.check:
        sys.stdout.write(f"{PAGE.name} is {'current' if current else 'stale'}.\n")
        return 0 if current else 1
    if not current:
        PAGE.write_text(page, encoding="utf-8")
    sys.stdout.write(f"Wrote {PAGE}.\n" if not current else f"{PAGE.name} was current.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
