"""Tests that the README's library example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


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
