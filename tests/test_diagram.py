"""Tests that the published lifecycle diagrams are the table, arrow for arrow, and work offline."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from lifecycle._diagram import GROUPS, HAPPY_PATH, lifecycle_page, mermaid, svg_files
from lifecycle._status import OrderStatus
from lifecycle._svg import arrows
from lifecycle._table import DEST, Actor

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "lifecycle.md"
SVG = "{http://www.w3.org/2000/svg}"
# Where a page could fetch code or style from at view time.
CDN = re.compile(r"cdn\.|cdnjs|jsdelivr|unpkg|googleapis", re.IGNORECASE)


def texts(svg: str) -> list[str]:
    """Every text line an SVG document shows."""
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG
    return [
        "".join(element.itertext()).strip()
        for element in root.iter()
        if element.tag in {f"{SVG}text", f"{SVG}tspan"} and not list(element)
    ]


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


class TestPictures:
    """The SVG pictures draw the table: the groups together, each move exactly once."""

    def test_groups_draw_every_move_once(self) -> None:
        """The client, batch, operations and OKC-only pictures split the flattened table."""
        drawn = [
            (arrow.source, arrow.event, arrow.dest)
            for group in GROUPS
            for arrow in arrows(group.keep)
        ]
        assert sorted(drawn) == sorted((s, e.value, d) for (s, e), d in DEST.items())

    def test_happy_path_is_the_road_and_the_clients_moves(self) -> None:
        """The happy path has the road to Delivered and the client's hold, release, cancel."""
        drawn = {(a.source, a.event, a.dest) for a in arrows(HAPPY_PATH.keep)}
        road = [
            (OrderStatus.PENDING, "accept", OrderStatus.ACCEPTED),
            (OrderStatus.ACCEPTED, "start_production", OrderStatus.IN_PRODUCTION),
            (OrderStatus.IN_PRODUCTION, "ship", OrderStatus.SHIPPED),
            (OrderStatus.SHIPPED, "deliver", OrderStatus.DELIVERED),
            (OrderStatus.PENDING, "hold", OrderStatus.ON_HOLD),
            (OrderStatus.ON_HOLD, "release", OrderStatus.PENDING),
            (OrderStatus.PENDING, "cancel", OrderStatus.CANCELED_BY_CLIENT),
        ]
        assert set(road) <= drawn
        operations = {a.event for a in arrows(HAPPY_PATH.keep) if a.actor is Actor.OPERATIONS}
        assert operations == {"start_production", "ship", "deliver"}

    def test_each_picture_labels_its_statuses_and_events(self) -> None:
        """Each SVG parses and shows every status of the road and each event it draws."""
        pictures = {picture.file: picture for picture in (HAPPY_PATH, *GROUPS)}
        for name, svg in svg_files().items():
            shown = texts(svg)
            drawn = arrows(pictures[name].keep)
            assert {"Pending", "Accepted", "Delivered"} <= set(shown), name
            assert {a.dest.value for a in drawn} <= set(shown), name
            assert {a.event for a in drawn} <= set(shown), name
            assert all(f"[{guard}]" in shown for a in drawn for guard in a.guards), name

    def test_pictures_are_deterministic(self) -> None:
        """Drawing twice gives the same bytes, so builds are reproducible."""
        assert svg_files() == svg_files()


class TestPublishedPage:
    """docs/lifecycle.md is generated and current."""

    def test_docs_page_is_current(self) -> None:
        """The committed page equals what the table renders (regenerate with okc-sim diagram)."""
        assert DOCS.read_text(encoding="utf-8") == lifecycle_page()

    def test_page_names_no_private_module(self) -> None:
        """The page points readers at public names only."""
        assert "lifecycle.TRANSITIONS" in lifecycle_page()
        assert not re.search(r"\b\w+\._\w+", lifecycle_page())

    def test_built_page_shows_the_diagrams_without_the_network(self, tmp_path: Path) -> None:
        """`mkdocs build` publishes every SVG, the page shows them, and nothing loads a CDN."""
        site = tmp_path / "site"
        mkdocs = Path(sys.executable).parent / "mkdocs"
        done = subprocess.run(
            [str(mkdocs), "build", "--strict", "--site-dir", str(site)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        page = (site / "lifecycle" / "index.html").read_text(encoding="utf-8")
        for name, svg in svg_files().items():
            assert f'src="../{name}"' in page
            assert (site / name).read_text(encoding="utf-8") == svg
        assert "stateDiagram" not in page
        fetched = [
            f"{path.relative_to(site)}: {match.group(0)}"
            for path in sorted(site.rglob("*"))
            if path.suffix in {".html", ".css", ".js", ".mjs"}
            for match in CDN.finditer(path.read_text(encoding="utf-8", errors="replace"))
        ]
        assert not fetched, fetched
