"""Render the transition table as a Mermaid state diagram, and the page that shows it."""

from __future__ import annotations

from lifecycle._status import FINAL, OrderStatus
from lifecycle._table import TRANSITIONS, Actor


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
    return "\n".join(
        [
            "# The order lifecycle",
            "",
            (
                "<!-- Generated from lifecycle/_table.py by `okc-sim diagram --page`;"
                " a test keeps it identical. -->"
            ),
            "",
            (
                "Every move an order can make, derived from the transition table"
                " (`lifecycle._table.TRANSITIONS`), the single source of truth."
                f" Actors: {actors}."
            ),
            "",
            "```mermaid",
            mermaid().rstrip("\n"),
            "```",
            "",
            *rows,
            "",
        ]
    )
