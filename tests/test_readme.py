"""Tests that the README's library example runs as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"

pytest_plugins = ["pytester"]


def python_blocks() -> list[str]:
    """The README's fenced Python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


class TestReadme:
    """The one-minute tour holds."""

    def test_library_example_runs(self, capsys: object) -> None:
        """The ten-line library example runs and prints both violations."""
        block = python_blocks()[0]
        assert len([line for line in block.splitlines() if line.strip()]) <= 12
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own README
        out = capsys.readouterr().out  # type: ignore[attr-defined]
        assert "('order', 'contact_support')" in out
        assert "('total', 'read_only')" in out

    def test_plugin_example_passes(self, pytester: pytest.Pytester) -> None:
        """The README's pytest example passes with the installed plugin."""
        pytester.makepyfile(test_example=python_blocks()[1])
        result = pytester.runpytest("-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)


def curl_session() -> str:
    """The README's curl session, from the token request to the cancel, as a bash script."""
    text = README.read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    block = next(b for b in blocks if "TOKEN=" in b)
    return "set -euo pipefail\n" + block


@pytest.mark.slow
class TestCurlSession:
    """The README's curl session works as written against a real server on a real socket."""

    def test_session(self, tmp_path: Path) -> None:
        """Token, create, Pending, past midnight Pacific, Accepted, cancel: contact support."""
        from simulator import Simulator  # noqa: PLC0415 - only this test needs a server
        from simulator._server import LiveServer  # noqa: PLC0415

        sim = Simulator(start="2026-11-26T18:30:00Z", seed=0)
        with LiveServer(sim, port=0) as server:
            script = curl_session().replace("http://127.0.0.1:8080", server.url)
            path = tmp_path / "session.sh"
            path.write_text(script, encoding="utf-8")
            done = subprocess.run(
                ["/bin/bash", str(path)], capture_output=True, text=True, timeout=60, check=False
            )
        assert done.returncode == 0, done.stderr
        # An order's own status leads its document; its lines have one too once accepted.
        statuses = re.findall(r'\{"order":\{"status":"([^"]+)"', done.stdout)
        assert statuses == ["Pending", "Accepted"]
        assert '"events_applied":1' in done.stdout
        assert "contact OK Capsule support" in done.stdout
