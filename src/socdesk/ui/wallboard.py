"""The wallboard: the console on a wall screen, read-only, cycling through the views a room watches."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CYCLE_SECONDS = 20.0
WALLBOARD_VIEWS = ("board", "duty", "handshake")


@dataclass(frozen=True)
class Wallboard:
    """How a wallboard behaves: which views it shows, in turn, for how long each."""

    cycle_seconds: float = DEFAULT_CYCLE_SECONDS
    views: tuple[str, ...] = WALLBOARD_VIEWS

    def __post_init__(self) -> None:
        if self.cycle_seconds <= 0:
            raise ValueError("a wallboard shows each view for a positive number of seconds")
        if not self.views:
            raise ValueError("a wallboard needs at least one view")

    def after(self, view: str) -> str:
        """The view shown after ``view`` (the first one, from a view outside the cycle)."""
        if view not in self.views:
            return self.views[0]
        return self.views[(self.views.index(view) + 1) % len(self.views)]


def refusal(description: str) -> str:
    """What a wallboard says when someone presses a key that would change shared data."""
    what = f"“{description}”" if description else "That"
    return f"{what} is disabled: this is a read-only wallboard. Use your own console to change things."
