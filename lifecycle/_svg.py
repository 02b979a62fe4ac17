"""Draw the transition table as SVG with a fixed layered layout: readable offline, no JavaScript.

The order's road (On Hold, Pending, Accepted, ... Delivered) is one row; final statuses sit in
a row below, each reached through one labelled stem however many statuses lead to it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import attrs

from lifecycle._status import FINAL, OKC_ONLY, OrderStatus
from lifecycle._table import TRANSITIONS, Actor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

# The road an order travels, left to right; On Hold sits before Pending, which it returns to.
ROAD: tuple[OrderStatus, ...] = (
    OrderStatus.ON_HOLD,
    OrderStatus.PENDING,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)

COLOURS: dict[Actor, str] = {
    Actor.CLIENT: "#1f5fa8",
    Actor.BATCH: "#2e7d32",
    Actor.OPERATIONS: "#b35300",
}

COLUMN = 168  # distance between node centres
NODE_HEIGHT = 34
CHAR_WIDTH = 7.2  # a generous average for 12 px sans-serif, so labels never overflow boxes
TOP = 86  # room above the road for labels, self-loops and arcs
TOP_LABELS_ONLY = 46  # room above the road for two-line labels
FINALS_BELOW = 150  # from the road's centre line to the finals' centre line
MARGIN = 24
FONT = "font-family=\"'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\" font-size=\"12\""


@attrs.frozen
class Arrow:
    """One move of the table as drawn: from a status to a status, by an event of an actor."""

    source: OrderStatus
    dest: OrderStatus
    event: str
    actor: Actor
    guards: tuple[str, ...] = ()


def arrows(keep: Callable[[Arrow], bool] = lambda _: True) -> list[Arrow]:
    """Every move of the transition table that `keep` accepts, in table order.

    Args:
        keep: which arrows to draw (all by default).

    Returns:
        One arrow per (source status, event) of the table.
    """
    found: list[Arrow] = []
    for row in TRANSITIONS:
        for source in sorted(row.sources, key=list(OrderStatus).index):
            guards = tuple(guard.value for guard in row.guards)
            arrow = Arrow(source, row.dest_from(source), row.event.value, row.actor, guards)
            if keep(arrow):
                found.append(arrow)
    return found


@attrs.frozen
class _Node:
    status: OrderStatus
    x: float  # centre
    y: float  # centre

    @property
    def width(self) -> float:
        return max(96.0, len(self.status.value) * CHAR_WIDTH + 18)

    @property
    def top(self) -> float:
        return self.y - NODE_HEIGHT / 2

    @property
    def bottom(self) -> float:
        return self.y + NODE_HEIGHT / 2


def _rises(arrow: Arrow) -> bool:
    """Whether an arrow is drawn above the road: a self-loop, or an arc over a status."""
    if arrow.dest in FINAL:
        return False
    return arrow.source == arrow.dest or abs(ROAD.index(arrow.dest) - ROAD.index(arrow.source)) > 1


def _layout(drawn: list[Arrow]) -> dict[OrderStatus, _Node]:
    """Place the road in a row and each final status below the statuses that lead to it."""
    road_y = (TOP if any(map(_rises, drawn)) else TOP_LABELS_ONLY) + NODE_HEIGHT / 2
    nodes = {
        status: _Node(status, MARGIN + 60 + column * COLUMN, road_y)
        for column, status in enumerate(ROAD)
    }
    sources: dict[OrderStatus, list[int]] = {}
    for arrow in drawn:
        if arrow.dest in FINAL:
            sources.setdefault(arrow.dest, []).append(ROAD.index(arrow.source))
    taken: set[int] = set()
    by_mean = sorted(sources, key=lambda s: (sum(sources[s]) / len(sources[s]), s.value))
    for status in by_mean:
        mean = sum(sources[status]) / len(sources[status])
        column = min(
            (c for c in range(len(ROAD) + len(sources)) if c not in taken),
            key=lambda c: (abs(c - mean), c),
        )
        taken.add(column)
        nodes[status] = _Node(status, MARGIN + 60 + column * COLUMN, road_y + FINALS_BELOW)
    return nodes


def _text(x: float, y: float, lines: Iterable[str], colour: str, anchor: str = "middle") -> str:
    """Text lines from baseline `y` downwards, haloed in white so crossing lines stay behind."""
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{html.escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" fill="{colour}" text-anchor="{anchor}" '
        f'stroke="#fff" stroke-width="4" paint-order="stroke">{spans}</text>'
    )


def _label(arrow: Arrow) -> list[str]:
    return [arrow.event, *(f"[{guard}]" for guard in arrow.guards)]


def _line(points: str, colour: str, actor: Actor, *, head: bool = True) -> str:
    marker = f' marker-end="url(#head-{actor.value})"' if head else ""
    return f'<path d="{points}" fill="none" stroke="{colour}" stroke-width="1.6"{marker}/>'


def _road_arrow(arrow: Arrow, nodes: dict[OrderStatus, _Node], *, paired: bool) -> list[str]:
    """A move along the road: straight between neighbours, an arc over anything between."""
    colour = COLOURS[arrow.actor]
    start, end = nodes[arrow.source], nodes[arrow.dest]
    rightwards = end.x > start.x
    sign = 1 if rightwards else -1
    if abs(ROAD.index(arrow.dest) - ROAD.index(arrow.source)) > 1:
        lift = 36 + 8 * abs(ROAD.index(arrow.dest) - ROAD.index(arrow.source))
        path = (
            f"M{start.x:.1f},{start.top:.1f} C{start.x:.1f},{start.top - lift:.1f} "
            f"{end.x:.1f},{end.top - lift:.1f} {end.x:.1f},{end.top - 2:.1f}"
        )
        apex = start.top - lift * 0.75 - 6
        middle = (start.x + end.x) / 2
        return [_line(path, colour, arrow.actor), _text(middle, apex, _label(arrow), colour)]
    # A pair of opposite moves uses two lanes: rightwards above the centre line, left below.
    lane = (-5 if rightwards else 5) if paired else 0
    x1 = start.x + sign * start.width / 2
    x2 = end.x - sign * (end.width / 2 + 2)
    y = start.y + lane
    middle = (x1 + x2) / 2
    label = _label(arrow)
    if rightwards:
        text = _text(middle, start.top - 8 - 14 * (len(label) - 1), label, colour)
    else:
        text = _text(middle, start.bottom + 16, label, colour)
    return [_line(f"M{x1:.1f},{y:.1f} H{x2:.1f}", colour, arrow.actor), text]


def _self_loop(arrow: Arrow, node: _Node) -> list[str]:
    colour = COLOURS[arrow.actor]
    left, right, top = node.x - 14, node.x + 14, node.top
    path = f"M{left:.1f},{top:.1f} C{left - 6:.1f},{top - 34:.1f} {right + 6:.1f},{top - 34:.1f} "
    path += f"{right:.1f},{top - 2:.1f}"
    return [_line(path, colour, arrow.actor), _text(node.x, top - 34, _label(arrow), colour)]


def _stem(group: list[Arrow], nodes: dict[OrderStatus, _Node]) -> list[str]:
    """Moves of one event into one final status: lines that join, then one labelled stem."""
    first = group[0]
    colour = COLOURS[first.actor]
    dest = nodes[first.dest]
    joint_y = dest.top - 44
    parts = [
        _line(
            f"M{nodes[a.source].x:.1f},{nodes[a.source].bottom:.1f} L{dest.x:.1f},{joint_y:.1f}",
            colour,
            first.actor,
            head=False,
        )
        for a in group
    ]
    parts.append(_line(f"M{dest.x:.1f},{joint_y:.1f} V{dest.top - 2:.1f}", colour, first.actor))
    parts.append(f'<circle cx="{dest.x:.1f}" cy="{joint_y:.1f}" r="2.5" fill="{colour}"/>')
    parts.append(_text(dest.x + 7, joint_y + 20, _label(first), colour, anchor="start"))
    return parts


def _node(node: _Node, *, used: bool) -> str:
    fill = "#f1f1f1" if node.status in FINAL else "#fff"
    dash = ' stroke-dasharray="5 3"' if node.status in OKC_ONLY else ""
    faded = "" if used else ' opacity="0.35"'
    return (
        f'<g{faded}><rect x="{node.x - node.width / 2:.1f}" y="{node.top:.1f}" '
        f'width="{node.width:.1f}" height="{NODE_HEIGHT}" rx="6" fill="{fill}" stroke="#333"'
        f'{dash}/><text x="{node.x:.1f}" y="{node.y + 4:.1f}" text-anchor="middle" '
        f'fill="#111">{html.escape(node.status.value)}</text></g>'
    )


def _legend(actors: list[Actor], y: float) -> list[str]:
    parts = []
    x = float(MARGIN)
    for actor in actors:
        colour = COLOURS[actor]
        parts.append(_line(f"M{x:.1f},{y:.1f} H{x + 28:.1f}", colour, actor))
        parts.append(_text(x + 34, y + 4, [actor.value], colour, anchor="start"))
        x += 34 + len(actor.value) * CHAR_WIDTH + 24
    return parts


def render(drawn: list[Arrow], title: str) -> str:
    """Return an SVG document that draws `drawn` over the whole road.

    Args:
        drawn: the arrows to draw; statuses no arrow touches are shown faded.
        title: the accessible title of the picture.

    Returns:
        The SVG text, deterministic for the same arrows.
    """
    nodes = _layout(drawn)
    used = {a.source for a in drawn} | {a.dest for a in drawn}
    pairs = {(a.source, a.dest) for a in drawn}
    body: list[str] = []
    stems: dict[tuple[str, OrderStatus], list[Arrow]] = {}
    for arrow in drawn:
        if arrow.source == arrow.dest:
            body += _self_loop(arrow, nodes[arrow.source])
        elif arrow.dest in FINAL:
            stems.setdefault((arrow.event, arrow.dest), []).append(arrow)
        else:
            body += _road_arrow(arrow, nodes, paired=(arrow.dest, arrow.source) in pairs)
    for group in stems.values():
        body += _stem(group, nodes)
    boxes = [_node(node, used=node.status in used) for node in nodes.values()]
    bottom = max(node.bottom for node in nodes.values()) + 34
    actors = [actor for actor in Actor if any(a.actor == actor for a in drawn)]
    width = max(node.x + node.width / 2 for node in nodes.values()) + MARGIN
    height = bottom + 20
    markers = "".join(
        f'<marker id="head-{actor.value}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for actor, colour in COLOURS.items()
    )
    return "\n".join(
        [
            (
                f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
                f'width="{width:.0f}" height="{height:.0f}" role="img" {FONT}>'
            ),
            f"<title>{html.escape(title)}</title>",
            f"<defs>{markers}</defs>",
            *body,
            *boxes,
            *_legend(actors, bottom),
            "</svg>",
            "",
        ]
    )
