"""Themes: TOML files in ``themes/`` (shipped inside the package), validated, turned into Textual themes."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from textual.color import Color, ColorParseError
from textual.theme import Theme

from socdesk.domain.validation import describe

DEFAULT_THEME = "socdesk-dark"
# The variables socdesk's stylesheets use beyond Textual's own; every theme must define them.
SOCDESK_VARIABLES = (
    "type-business",
    "type-operations",
    "type-engineering",
    "type-unplanned",
    "wip-ok",
    "wip-at-limit",
    "wip-over",
)


def _colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour") from None
    return value


Colour = Annotated[str, AfterValidator(_colour)]


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    description: str = ""
    dark: bool = True
    primary: Colour
    secondary: Colour | None = None
    accent: Colour | None = None
    warning: Colour | None = None
    error: Colour | None = None
    success: Colour | None = None
    foreground: Colour | None = None
    background: Colour | None = None
    surface: Colour | None = None
    panel: Colour | None = None
    variables: dict[str, Colour] = Field(default_factory=dict)

    def to_textual(self) -> Theme:
        fields = self.model_dump(exclude={"description", "variables"})
        return Theme(**fields, variables=dict(self.variables))


class ThemeError(Exception):
    """A theme file that cannot be used, with a message naming the file and the problem."""


def packaged_themes_dir() -> Path:
    packaged = resources.files("socdesk") / "themes"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "themes"


def load_theme_file(path: Path) -> ThemeFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ThemeError(f"{path}: {error}") from None
    try:
        theme = ThemeFile.model_validate(data)
    except ValidationError as error:
        raise ThemeError(f"{path}: {describe(error, 'theme')}") from None
    # Other themes may leave socdesk's variables to the default theme's values; the default may not.
    missing = [name for name in SOCDESK_VARIABLES if name not in theme.variables]
    if missing and theme.name == DEFAULT_THEME:
        raise ThemeError(f"{path}: the default theme must define {', '.join(missing)}")
    return theme


def load_themes(directory: Path) -> tuple[list[ThemeFile], list[str]]:
    """Every valid theme in ``directory`` and one message per file that was skipped."""
    themes: list[ThemeFile] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            themes.append(load_theme_file(path))
        except ThemeError as error:
            problems.append(str(error))
    return themes, problems
