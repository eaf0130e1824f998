"""One card drawn as a few lines of styled text (the column widget draws only the visible ones)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from socdesk.domain.board import TYPE_LETTER, age_in_column, format_age
from socdesk.domain.models import Card, Kind, Priority

CARD_HEIGHT = 4  # two title lines, details line, gap
WIDE = 20  # from this width on, a card's lines line up after its badge
PRIORITY_MARK: dict[Priority, str] = {
    Priority.CRITICAL: "‼",
    Priority.HIGH: "↑",
    Priority.MEDIUM: "·",
    Priority.LOW: "↓",
}
SECURITY_MARK = "SEC"
DETECTION_MARK = "det"

# Every component class the card lines use, for the column widget's COMPONENT_CLASSES.
CARD_COMPONENTS = set(
    {
        "card",
        "card--cursor",
        "card--unplanned",
        "card--meta",
        "card--security",
        "card--detection",
        *(f"badge--{work_type.value}" for work_type in TYPE_LETTER),
        *(f"prio--{priority.value}" for priority in Priority),
    }
)

StyleOf = Callable[[str], Style]


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, with an ellipsis when it had to be cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def card_lines(card: Card, width: int, now: datetime, style_of: StyleOf, *, cursor: bool) -> list[Strip]:
    """The card's ``CARD_HEIGHT`` lines at ``width`` cells."""
    base = style_of("card")
    if card.type.value == "unplanned":
        base += style_of("card--unplanned")
    if cursor:
        base += style_of("card--cursor")
    wide = width >= WIDE
    # Wide columns keep the title aligned after the badge; narrow ones give line 2 the full width.
    badge = f" {TYPE_LETTER[card.type]} " if wide else TYPE_LETTER[card.type]
    mark = PRIORITY_MARK[card.priority]
    prefix = len(badge) + 3  # badge, space, priority mark, space
    indent = prefix if wide else 0
    first_line, second_line = _two_lines(card.title, max(width - prefix, 1), max(width - indent, 1))
    first = [
        Segment(badge, base + style_of(f"badge--{card.type.value}")),
        Segment(" ", base),
        Segment(mark, base + style_of(f"prio--{card.priority.value}")),
        Segment(" ", base),
        Segment(first_line, base),
    ]
    second = [Segment(" " * indent, base), Segment(second_line, base)]
    meta = base + style_of("card--meta")
    details = [Segment(" " * indent, base), Segment(format_age(age_in_column(card, now)), meta)]
    if card.security:
        details += [Segment(" ", base), Segment(SECURITY_MARK, base + style_of("card--security"))]
    if card.kind is Kind.DETECTION:
        details += [Segment(" ", base), Segment(DETECTION_MARK, base + style_of("card--detection"))]
    who = f"@{card.assignee}" if card.assignee else "unassigned"
    details.append(Segment(f" #{card.id} {who}", meta))
    return [
        Strip(first).crop(0, width).adjust_cell_length(width, base),
        Strip(second).crop(0, width).adjust_cell_length(width, base),
        Strip(details).crop(0, width).adjust_cell_length(width, base),
        Strip.blank(width),
    ]


def _two_lines(title: str, first_width: int, second_width: int) -> tuple[str, str]:
    """The title over two lines, the second cut with an ellipsis if it is still too long."""
    words = title.split()
    first = ""
    while words and cell_len(f"{first} {words[0]}".strip()) <= first_width:
        first = f"{first} {words.pop(0)}".strip()
    if not first and words:  # one long word: break it
        first, words[0] = set_cell_size(words[0], first_width), words[0][first_width:]
    return first, _fit(" ".join(w for w in words if w), second_width)
