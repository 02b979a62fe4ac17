"""Tests for docs/gen_api_reference.py, which writes the HTTP API reference from openapi.json."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def load_generator() -> ModuleType:
    """Import the generator script as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "gen_api_reference", DOCS / "gen_api_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = load_generator()

ERROR_RESPONSE = {
    "description": "Not found | gone.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    "headers": {"X-Sim-Time": {"$ref": "#/components/headers/X-Sim-Time"}},
}

SAMPLE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sample", "version": "1.2.3", "description": "A sample API."},
    "tags": [{"name": "Widgets", "description": "Things."}, {"name": "Admin"}],
    "paths": {
        "/widgets/{id}": {
            "get": {
                "operationId": "get_widget",
                "summary": "Get a widget",
                "tags": ["Widgets"],
                "security": [{"token": []}],
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 9}},
                ],
                "responses": {
                    "200": {
                        "description": "OK.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}
                        },
                        "headers": {"X-Sim-Time": {"$ref": "#/components/headers/X-Sim-Time"}},
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "429": {
                        "description": "Slow down.",
                        "headers": {
                            "X-Sim-Time": {"$ref": "#/components/headers/X-Sim-Time"},
                            "Retry-After": {"schema": {"type": "integer"}},
                        },
                    },
                },
            },
            "delete": {
                "operationId": "delete_widget",
                "summary": "Delete a widget",
                "tags": ["Widgets"],
                "security": [],
                "responses": {"204": {"description": "Gone."}},
            },
        },
        "/admin/clock/advance": {
            "post": {
                "operationId": "advance",
                "summary": "Advance",
                "tags": ["Admin"],
                "security": [{}, {"admin": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Advance"}}
                    },
                },
                "responses": {"200": {"description": "OK."}},
            }
        },
        "/ping": {"get": {"summary": "Ping", "responses": {"200": {"description": "Pong."}}}},
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["message", "error"],
                "properties": {
                    "message": {"type": "string"},
                    "error": {
                        "type": "object",
                        "required": ["errorCode"],
                        "properties": {"errorCode": {"type": "string"}},
                    },
                    "errors": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "properties": {"field": {"type": "string"}}},
                    },
                },
                "additionalProperties": False,
            },
            "Widget": {
                "type": "object",
                "description": "A widget.",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "status": {"type": "string", "enum": ["Pending", "On Hold"]},
                    "kind": {"const": "widget"},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "size": {"type": ["integer", "null"], "description": "In mm | inches."},
                },
            },
            "Advance": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["seconds"],
                        "properties": {"seconds": {"type": "number", "minimum": 0}},
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["to"],
                        "properties": {"to": {"type": "string", "format": "date-time"}},
                    },
                ]
            },
            "Anything": {"description": "Free-form."},
        },
        "responses": {"NotFound": ERROR_RESPONSE},
        "headers": {
            "X-Sim-Time": {
                "description": "The simulated now.",
                "schema": {"type": "string", "format": "date-time"},
            }
        },
        "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer"},
            "admin": {"type": "apiKey", "in": "header", "name": "X-Admin", "description": "Ops."},
        },
    },
}


@pytest.fixture(scope="module")
def page() -> str:
    """The sample document's page."""
    text: str = gen.render(SAMPLE)
    return text


def section(page: str, anchor: str) -> str:
    """The part of a page from an anchor to the next anchor."""
    start = page.index(f'<a id="{anchor}"></a>')
    end = page.find("<a id=", start + 1)
    return page[start : end if end != -1 else None]


def links_and_anchors(page: str) -> tuple[set[str], set[str]]:
    """The in-page link targets of a page, and the anchors it defines."""
    return set(re.findall(r"\]\(#([^)]+)\)", page)), set(re.findall(r'id="([^"]+)"', page))


class TestRender:
    """The page says what the OpenAPI document says."""

    def test_operations_are_grouped_by_tag_in_document_order(self, page: str) -> None:
        """Tags come in the document's order, untagged operations last under Other."""
        headings = re.findall(r"^## (.+)$", page, re.MULTILINE)
        assert headings[:4] == ["Contents", "Widgets", "Admin", "Other"]
        assert page.index("### Get a widget") < page.index("### Delete a widget")

    def test_operation_shows_method_path_auth_and_parameters(self, page: str) -> None:
        """An operation names its route, its credentials and each parameter."""
        text = section(page, "op-get-widget")
        assert "`GET /widgets/{id}`" in text
        assert "**Authentication:** [`token`](#scheme-token)." in text
        assert "| `id` | path | string (uuid) | yes |  |" in text
        assert "| `limit` | query | integer | no | At most 9. |" in text

    def test_security_alternatives_and_none(self, page: str) -> None:
        """An empty requirement reads "none"; alternatives are joined with "or"."""
        assert "**Authentication:** none." in section(page, "op-delete-widget")
        assert "**Authentication:** none or [`admin`](#scheme-admin)." in section(
            page, "op-advance"
        )

    def test_responses_resolve_refs_and_list_headers_once(self, page: str) -> None:
        """Referenced responses are expanded; shared headers are named once, extras per row."""
        text = section(page, "op-get-widget")
        assert "| 200 | OK. | [Widget](#schema-widget) |  |" in text
        assert r"| 404 | Not found \| gone. | [Error](#schema-error) |  |" in text
        assert "| 429 | Slow down. | none | `Retry-After` |" in text
        assert "Every response carries [`X-Sim-Time`](#header-x-sim-time)." in text

    def test_request_body_links_its_schema(self, page: str) -> None:
        """A request body names whether it is required and links its schema."""
        assert "**Request body** (required): [Advance](#schema-advance)" in page

    def test_operation_without_id_gets_an_anchor_from_method_and_path(self, page: str) -> None:
        """An operation with no operationId is anchored by its method and path."""
        assert "`GET /ping`" in section(page, "op-get-ping")

    def test_field_types(self, page: str) -> None:
        """Enums, constants, nullable, arrays, maps and type lists read as words."""
        text = section(page, "schema-widget")
        assert "| `status` | one of `Pending`, `On Hold` | yes |  |" in text
        assert '| `kind` | `"widget"` | no |  |' in text
        assert "| `note` | string or null | no |  |" in text
        assert "| `parts` | array of [Error](#schema-error) | no |  |" in text
        assert "| `labels` | object of string | no |  |" in text
        assert r"| `size` | integer or null | no | In mm \| inches. |" in text
        assert "Other fields may be present." in text

    def test_nested_objects_are_flattened(self, page: str) -> None:
        """Inline objects and arrays of them list their fields as `a.b` and `a[].b`."""
        text = section(page, "schema-error")
        assert "| `error.errorCode` | string | yes |  |" in text
        assert "| `errors` | array of object | no | At least 1 item. |" in text
        assert "| `errors[].field` | string | no |  |" in text
        assert "No other fields." in text

    def test_one_of_objects_lists_each_option(self, page: str) -> None:
        """A oneOf of objects is shown as numbered options, each with its fields."""
        text = section(page, "schema-advance")
        assert "One of:" in text
        assert "**Option 1**" in text
        assert "| `seconds` | number | yes | At least 0. |" in text
        assert "| `to` | string (date-time) | yes |  |" in text

    def test_schema_without_type_says_any(self, page: str) -> None:
        """A schema with no type is "any"."""
        assert "Type: any." in section(page, "schema-anything")

    def test_security_schemes_and_headers_are_described(self, page: str) -> None:
        """Each security scheme and shared header has a row with its anchor."""
        assert "HTTP `bearer`: `Authorization: Bearer <token>`" in page
        assert "API key in header `X-Admin` | Ops. |" in page
        assert "`X-Sim-Time` | string (date-time) | The simulated now. |" in page

    def test_every_in_page_link_has_its_anchor(self, page: str) -> None:
        """Each `(#anchor)` link points at an anchor the page defines."""
        links, anchors = links_and_anchors(page)
        assert links
        assert links <= anchors

    def test_unresolvable_ref_is_an_error(self) -> None:
        """A $ref to nothing stops the generator with a message naming it."""
        broken = {
            "openapi": "3.1.0",
            "paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/No"}}}}},
        }
        with pytest.raises(gen.UnresolvableRef, match="#/components/responses/No"):
            gen.render(broken)


class TestCommittedPage:
    """docs/api-reference.md is the generator's output for docs/openapi.json."""

    def test_page_is_current(self) -> None:
        """The committed page matches; run `python docs/gen_api_reference.py` if not."""
        document = json.loads((DOCS / "openapi.json").read_text(encoding="utf-8"))
        expected = gen.render(document)
        committed = (DOCS / "api-reference.md").read_text(encoding="utf-8")
        assert committed == expected, "Run `python docs/gen_api_reference.py` and commit."

    def test_page_links_resolve(self) -> None:
        """Every in-page link of the committed page has its anchor."""
        links, anchors = links_and_anchors((DOCS / "api-reference.md").read_text(encoding="utf-8"))
        assert links <= anchors


class TestMain:
    """The command writes the page, and `--check` reports whether it is current."""

    def test_writes_then_checks(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--check` fails on a stale page, the command rewrites it, then `--check` passes."""
        source, target = tmp_path / "openapi.json", tmp_path / "api-reference.md"
        source.write_text(json.dumps(SAMPLE), encoding="utf-8")
        target.write_text("stale\n", encoding="utf-8")
        monkeypatch.setattr(gen, "SOURCE", source)
        monkeypatch.setattr(gen, "PAGE", target)
        assert gen.main(["--check"]) == 1
        assert gen.main([]) == 0
        assert target.read_text(encoding="utf-8") == gen.render(SAMPLE)
        assert gen.main(["--check"]) == 0
        assert "is current" in capsys.readouterr().out
