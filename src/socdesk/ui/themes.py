"""Themes: TOML files validated by a pydantic model, turned into Textual themes.

socdesk ships its themes in ``themes/`` (inside the installed package); a person may add their own in
``<user config dir>/socdesk/themes/``, and a user theme with a packaged theme's name replaces it for
them. A file that cannot be used is reported and skipped, never fatal: the console still opens.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

from socdesk.domain.errors import InvalidInput
from socdesk.domain.validation import describe

DEFAULT_THEME = "socdesk-dark"
TYPE_VARIABLES = ("type-business", "type-operations", "type-engineering", "type-unplanned")
# The variables socdesk's stylesheets use beyond Textual's own; the default theme must define them all,
# other themes borrow the default's for any they leave out.
SOCDESK_VARIABLES = (*TYPE_VARIABLES, "wip-ok", "wip-at-limit", "wip-over")


def _colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour") from None
    return value


Colour = Annotated[str, AfterValidator(_colour)]


@cache
def textual_variables() -> frozenset[str]:
    """The CSS variables Textual derives from a theme (a theme file may override any of them)."""
    return frozenset(Theme(name="probe", primary="#000000").to_color_system().generate())


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

    @model_validator(mode="after")
    def _known_variables_and_distinct_types(self) -> ThemeFile:
        unknown = sorted(set(self.variables) - set(SOCDESK_VARIABLES) - textual_variables())
        if unknown:
            raise ValueError(
                f"unknown variable {', '.join(unknown)} (socdesk's are {', '.join(SOCDESK_VARIABLES)})"
            )
        given = [Color.parse(self.variables[name]) for name in TYPE_VARIABLES if name in self.variables]
        if len(set(given)) < len(given):
            raise ValueError("the four work types need four different colours")
        return self

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
    missing = [name for name in SOCDESK_VARIABLES if name not in theme.variables]
    if missing and theme.name == DEFAULT_THEME:
        raise ThemeError(f"{path}: the default theme must define {', '.join(missing)}")
    return theme


def load_themes(directory: Path) -> tuple[list[ThemeFile], list[str]]:
    """Every valid theme in ``directory`` and one message per file that was skipped."""
    themes: list[ThemeFile] = []
    problems: list[str] = []
    if not directory.is_dir():
        return themes, problems
    for path in sorted(directory.glob("*.toml")):
        try:
            themes.append(load_theme_file(path))
        except ThemeError as error:
            problems.append(str(error))
    return themes, problems


@dataclass
class ThemeCatalogue:
    """The themes one person can choose from: socdesk's, then their own (which win on a name clash)."""

    themes: dict[str, ThemeFile] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, directories: Iterable[Path]) -> ThemeCatalogue:
        catalogue = cls()
        for directory in directories:
            themes, problems = load_themes(directory)
            catalogue.problems += problems
            catalogue.themes.update((theme.name, theme) for theme in themes)
        if DEFAULT_THEME not in catalogue.themes:
            raise ThemeError(f"the default theme {DEFAULT_THEME} is missing or broken; reinstall socdesk")
        return catalogue

    @property
    def names(self) -> list[str]:
        return sorted(self.themes)

    @property
    def default_variables(self) -> dict[str, str]:
        return dict(self.themes[DEFAULT_THEME].variables)

    def require(self, name: str) -> str:
        """``name`` if there is such a theme, else a clear refusal listing the choices."""
        if name not in self.themes:
            raise InvalidInput(f"no theme named {name!r}; choose one of {', '.join(self.names)}")
        return name

    def choose(self, asked: str | None, remembered: str | None) -> tuple[str, str | None]:
        """The theme to start with (``--theme`` > the remembered choice > default), and a notice if
        the remembered one has gone."""
        if asked is not None:
            return self.require(asked), None
        if remembered is None:
            return DEFAULT_THEME, None
        if remembered in self.themes:
            return remembered, None
        return DEFAULT_THEME, f"your theme {remembered!r} is no longer available; using {DEFAULT_THEME}"
