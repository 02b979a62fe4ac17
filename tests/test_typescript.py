"""The TypeScript page's client runs as written: npm install, generate types, tsc, node.

Installs the page's pinned npm packages (openapi-fetch, openapi-typescript, TypeScript 5) into a
scratch project, generates the types from the provider's document as vendored in tests/data,
type-checks and compiles the page's `orders.ts`, and runs it against a live `okc-sim serve`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from test_docs import DOCS, Block, fenced_blocks, live_server, missing

pytestmark = pytest.mark.slow

PAGE = DOCS / "typescript.md"
# The provider's document, cut to the operations the simulator serves (tests/data/README.md).
# JSON is YAML, so the page's command reads it under the provider's file name.
PROVIDER_DOCUMENT = Path(__file__).parent / "data" / "okc-core-api-v2.subset.json"
INSTALL_SECONDS = 600
STEP_SECONDS = 180


def page_block(tag: str, contains: str) -> Block:
    """The page's one block with this tag whose code contains `contains`."""
    found = [b for b in fenced_blocks(PAGE) if b.tag == tag and contains in b.code]
    assert len(found) == 1, f"docs/typescript.md: expected one {tag} block with {contains!r}"
    return found[0]


def step(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run one step of the page in the scratch project; fail with its output if it fails."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS if command[:2] == ["npm", "install"] else STEP_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{shlex.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch npm project with the page's packages, types, tsconfig.json and orders.ts."""
    assert shutil.which("npm"), "The TypeScript page's test needs Node.js and npm."
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "package.json").write_text(
        json.dumps({"private": True, "type": "module"}), encoding="utf-8"
    )
    for line in page_block("sh", "npm install").code.splitlines():
        step([*shlex.split(line), "--no-audit", "--no-fund"], folder)
    shutil.copy(PROVIDER_DOCUMENT, folder / "okc-core-api-v2.openapi.yaml")
    step(shlex.split(page_block("sh", "npx openapi-typescript").code), folder)
    tsconfig = page_block("json", "compilerOptions").code
    (folder / "tsconfig.json").write_text(tsconfig, encoding="utf-8")
    (folder / "orders.ts").write_text(page_block("typescript", "// orders.ts").code, "utf-8")
    return folder


class TestTypeScriptPage:
    """What docs/typescript.md promises a TypeScript integrator."""

    def test_pins_typescript_5(self) -> None:
        """The page installs TypeScript 5, which openapi-typescript 7 needs."""
        install = page_block("sh", "npm install").code
        assert re.search(r"\btypescript@5\.\d+\.\d+", install)
        assert re.search(r"\bopenapi-typescript@7\.\d+\.\d+", install)

    def test_client_type_checks(self, project: Path) -> None:
        """`tsc --noEmit` accepts the client against the generated types."""
        step(["npx", "tsc", "--noEmit"], project)

    def test_client_runs_against_a_live_server(self, project: Path, tmp_path: Path) -> None:
        """The compiled client prints what the page states, refreshing its token on the way."""
        step(["npx", "tsc"], project)
        with live_server(tmp_path) as url:
            output = step(["node", "dist/orders.js"], project, {"OKC_SIM_URL": url})
        client = page_block("typescript", "// orders.ts")
        assert not missing(client.expected(), output), output
        assert "access token expired; refreshed it" in output
        assert "contact OK Capsule support" in output
