"""Tests that the published lifecycle diagram is the table, arrow for arrow."""

from __future__ import annotations

import re
from pathlib import Path

from lifecycle._diagram import lifecycle_page, mermaid
from lifecycle._status import OrderStatus
from lifecycle._table import DEST

DOCS = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


class TestMermaid:
    """The Mermaid source has one arrow per table move and nothing else."""

    def test_arrows_are_the_table(self) -> None:
        """Parsing the arrows back gives exactly the flattened table."""
        arrows = set()
        for match in re.finditer(r"^\s+(\w+) --> (\w+): (\w+) \(", mermaid(), re.MULTILINE):
            source, dest, event = match.groups()
            arrows.add((OrderStatus[source], event, OrderStatus[dest]))
        expected = {(s, e.value, d) for (s, e), d in DEST.items()}
        assert arrows == expected

    def test_every_status_is_declared(self) -> None:
        """Every status appears with its API label."""
        for status in OrderStatus:
            assert f'state "{status.value}" as {status.name}' in mermaid()


class TestPublishedPage:
    """docs/lifecycle.md is generated and current."""

    def test_docs_page_is_current(self) -> None:
        """The committed page equals what the table renders (regenerate with okc-sim diagram)."""
        assert DOCS.read_text(encoding="utf-8") == lifecycle_page()
