"""Render the transition table as diagrams (SVG for the docs, Mermaid for the CLI) and its page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from lifecycle._status import FINAL, OKC_ONLY, OrderStatus
from lifecycle._svg import Arrow, arrows, render
from lifecycle._table import TRANSITIONS, Actor

if TYPE_CHECKING:
    from collections.abc import Callable


def _node(status: OrderStatus) -> str:
    return status.name


def mermaid() -> str:
    """Return the lifecycle as a Mermaid `stateDiagram-v2`, one arrow per table move.

    Returns:
        The diagram source, ending with a newline. Internal events (a client's update)
        are drawn as self-loops; moves into a final status are followed by an end arrow.
    """
    lines = ["stateDiagram-v2", "    direction LR"]
    lines.extend(f'    state "{status.value}" as {_node(status)}' for status in OrderStatus)
    lines.append(f"    [*] --> {_node(OrderStatus.PENDING)}")
    lines.append(f"    [*] --> {_node(OrderStatus.ON_HOLD)}: create, address needs review")
    for row in TRANSITIONS:
        guards = "".join(f" [{guard.value}]" for guard in row.guards)
        label = f"{row.event.value} ({row.actor.value}){guards}"
        for source in sorted(row.sources, key=list(OrderStatus).index):
            dest = row.dest_from(source)
            lines.append(f"    {_node(source)} --> {_node(dest)}: {label}")
    lines.extend(
        f"    {_node(status)} --> [*]" for status in sorted(FINAL, key=list(OrderStatus).index)
    )
    return "\n".join(lines) + "\n"


@attrs.frozen
class Picture:
    """One SVG picture of the page: its file name, heading, a sentence, and what it draws."""

    file: str
    heading: str
    caption: str
    keep: Callable[[Arrow], bool]

    def svg(self) -> str:
        """The picture as an SVG document."""
        return render(arrows(self.keep), f"{self.heading}: {self.caption}")


def _on_the_happy_path(arrow: Arrow) -> bool:
    # The client's own moves and the road forward; OKC's holds and endings come later.
    if arrow.source == arrow.dest:
        return False
    if arrow.actor is not Actor.OPERATIONS:
        return True
    return arrow.dest not in FINAL and OrderStatus.ON_HOLD not in (arrow.source, arrow.dest)


HAPPY_PATH = Picture(
    "lifecycle-happy-path.svg",
    "The happy path",
    "an order starts Pending (On Hold when its address needs review) and stays there while the "
    "client may still change or cancel it; the nightly batch accepts it, and OKC produces, "
    "ships and delivers it.",
    _on_the_happy_path,
)

GROUPS: tuple[Picture, ...] = (
    Picture(
        "lifecycle-client.svg",
        "Client events",
        "what an integrator's requests do: edit, hold, release (only with a valid address) "
        "and cancel, all only while the order is Pending or On Hold.",
        lambda arrow: arrow.actor is Actor.CLIENT,
    ),
    Picture(
        "lifecycle-batch.svg",
        "The nightly batch",
        "at 00:00 Pacific every Pending order becomes Accepted.",
        lambda arrow: arrow.actor is Actor.BATCH,
    ),
    Picture(
        "lifecycle-operations.svg",
        "Operations",
        "OKC's production and shipping, its own holds, and its cancellation before shipping.",
        lambda arrow: arrow.actor is Actor.OPERATIONS and arrow.dest not in OKC_ONLY,
    ),
    Picture(
        "lifecycle-okc-only.svg",
        "OKC-only states",
        "statuses reached only by an OKC operator event (`POST /_sim/orders/{id}/events` in the "
        "simulator), never by a client.",
        lambda arrow: arrow.dest in OKC_ONLY,
    ),
)
"""The whole machine, one group of events per picture; together they draw every move."""


def svg_files() -> dict[str, str]:
    """Return every picture of the lifecycle page as `{file name: SVG document}`."""
    return {picture.file: picture.svg() for picture in (HAPPY_PATH, *GROUPS)}


def _figure(picture: Picture) -> list[str]:
    return [f"![{picture.heading}, as a diagram]({picture.file})", ""]


def lifecycle_page() -> str:
    """Return the Markdown of `docs/lifecycle.md`: the diagram and the table in words."""
    actors = ", ".join(f"`{actor.value}`" for actor in Actor)
    rows = [
        "| event | actor | from | to | guards | what it means |",
        "|---|---|---|---|---|---|",
    ]
    for row in TRANSITIONS:
        sources = ", ".join(
            f"`{s.value}`" for s in sorted(row.sources, key=list(OrderStatus).index)
        )
        dest = "(unchanged)" if row.dest is None else f"`{row.dest.value}`"
        guards = ", ".join(f"`{g.value}`" for g in row.guards) or "-"
        rows.append(
            f"| `{row.event.value}` | {row.actor.value} | {sources} | {dest} | {guards} "
            f"| {row.description} |"
        )
    groups = []
    for picture in GROUPS:
        groups += [f"### {picture.heading}", "", picture.caption[0].upper() + picture.caption[1:]]
        groups += ["", *_figure(picture)]
    return "\n".join(
        [
            "# The order lifecycle",
            "",
            (
                "<!-- Generated from the transition table by `okc-sim diagram --page`;"
                " a test keeps it identical. The pictures are drawn when the site is built. -->"
            ),
            "",
            (
                "Every move an order can make, drawn from the transition table"
                " (`lifecycle.TRANSITIONS`), the single source of truth."
                f" Actors: {actors}. `okc-sim diagram` prints the same table as a Mermaid"
                " state diagram."
            ),
            "",
            f"## {HAPPY_PATH.heading}",
            "",
            HAPPY_PATH.caption[0].upper() + HAPPY_PATH.caption[1:],
            "",
            *_figure(HAPPY_PATH),
            "## The whole machine",
            "",
            (
                "Grouped by who moves the order. Dashed boxes are OKC-only states; grey boxes"
                " are final (no event leaves them); faded boxes take no part in that group."
            ),
            "",
            *groups,
            "## The table",
            "",
            *rows,
            "",
        ]
    )
