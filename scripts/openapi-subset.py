"""Cut the operations the TypeScript docs example calls out of the provider's OpenAPI document.

Keeps field names, types and structure; drops prose (descriptions, summaries, titles, examples)
and every component nothing kept refers to. Writes tests/data/okc-core-api-v2.subset.json.
Usage: python scripts/openapi-subset.py PATH/TO/okc-core-api-v2.openapi.yaml  (needs PyYAML)
"""
# ruff: noqa: INP001 - a script run by hand, not a package

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

OPERATIONS = {
    "/v2/authentication/token": ["post"],
    "/v2/authentication/refresh-token": ["post"],
    "/v2/orders": ["get", "post"],
    "/v2/orders/{id}": ["get", "put"],
    "/v2/products": ["get"],
}
PROSE = {"description", "summary", "title", "example", "examples", "x-examples", "externalDocs"}
# Objects whose keys are names (fields, paths, status codes), never documentation keywords.
NAMED = {
    "properties", "paths", "responses", "content", "schemas", "parameters", "headers",
    "securitySchemes",
}  # fmt: skip
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "okc-core-api-v2.subset.json"


def without_prose(node: Any, *, named: bool = False) -> Any:  # noqa: ANN401 - any JSON
    """The node with documentation keywords removed, keeping keys that are names."""
    if isinstance(node, list):
        return [without_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: without_prose(value, named=key in NAMED and not named)
        for key, value in node.items()
        if named or key not in PROSE
    }


def references(node: Any) -> set[str]:  # noqa: ANN401 - any JSON
    """Every `$ref` target in a node."""
    if isinstance(node, list):
        return set().union(*map(references, node)) if node else set()
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*map(references, node.values()))
    return set()


def subset(document: dict[str, Any]) -> dict[str, Any]:
    """The document cut down to OPERATIONS and the components they reach."""
    paths = {
        path: {method: document["paths"][path][method] for method in methods}
        for path, methods in OPERATIONS.items()
    }
    # Security schemes are named, not referenced, by the operations' `security`.
    components: dict[str, dict[str, Any]] = {
        "securitySchemes": document["components"]["securitySchemes"]
    }
    pending = references(paths)
    while pending:
        ref = pending.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in components.get(kind, {}):
            continue
        target = document["components"][kind][name]
        components.setdefault(kind, {})[name] = target
        pending |= references(target)
    cut: dict[str, Any] = without_prose(
        {
            "openapi": document["openapi"],
            "info": {"title": document["info"]["title"], "version": document["info"]["version"]},
            "paths": paths,
            "components": {kind: dict(sorted(c.items())) for kind, c in sorted(components.items())},
        }
    )
    return cut


def main() -> None:
    """Read the document named on the command line; write the subset."""
    document = yaml.safe_load(Path(sys.argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(subset(document), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
