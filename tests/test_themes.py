"""Themes: the packaged ones, a person's own, broken files reported and skipped, the choice remembered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from textual.color import Color

from socdesk import settings
from socdesk.domain.errors import InvalidInput
from socdesk.store import Store
from socdesk.ui.app import make_app
from socdesk.ui.themes import (
    DEFAULT_THEME,
    SOCDESK_VARIABLES,
    TYPE_VARIABLES,
    ThemeCatalogue,
    ThemeError,
    load_theme_file,
    load_themes,
    packaged_themes_dir,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {"socdesk-dark", "socdesk-light", "socdesk-high-contrast", "socdesk-colourblind"}
# Okabe & Ito's colour-universal-design palette: distinguishable with every common colour-vision deficiency.
OKABE_ITO = {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"}

GOOD = """
name = "{name}"
dark = true
primary = "#336699"
background = "#101010"
foreground = "#f0f0f0"

[variables]
type-business = "#111111"
type-operations = "#222222"
type-engineering = "#333333"
type-unplanned = "{unplanned}"
"""


def write_theme(directory: Path, file: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file
    path.write_text(text, encoding="utf-8")
    return path


def user_dir() -> Path:
    return settings.user_themes_dir()


def notices(app: object) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------- packaged


def test_socdesk_ships_a_dark_default_a_light_a_high_contrast_and_a_colour_blind_theme() -> None:
    themes, problems = load_themes(packaged_themes_dir())
    assert problems == []
    assert {t.name for t in themes} == SHIPPED
    for theme in themes:
        assert set(SOCDESK_VARIABLES) <= set(theme.variables), theme.name
    assert {t.name: t.dark for t in themes}["socdesk-light"] is False


def test_the_colour_blind_theme_draws_the_work_types_from_the_okabe_ito_palette() -> None:
    theme = load_theme_file(packaged_themes_dir() / "socdesk-colourblind.toml")
    colours = {theme.variables[name].lower() for name in TYPE_VARIABLES}
    assert len(colours) == 4 and colours <= OKABE_ITO


def test_the_high_contrast_theme_is_white_on_black() -> None:
    theme = load_theme_file(packaged_themes_dir() / "socdesk-high-contrast.toml")
    assert Color.parse(theme.background or "") == Color(0, 0, 0)
    assert Color.parse(theme.foreground or "") == Color(255, 255, 255)


# ---------------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('name = "x"\nprimary = "#123', "Unterminated"),  # not TOML
        ('name = "x"\nprimary = "not-a-colour"', "is not a colour"),
        ('name = "x"', "primary"),  # a required colour missing
        ('name = "Bad Name!"\nprimary = "#123456"', "name"),
        ('name = "x"\nprimary = "#123456"\nflavour = "mint"', "flavour"),  # unknown field
        ('name = "x"\nprimary = "#123456"\n[variables]\ntype-busines = "#ffffff"', "unknown variable"),
        (
            'name = "x"\nprimary = "#123456"\n[variables]\ntype-business = "#ff0000"\ntype-unplanned = "red"',
            "four different colours",
        ),
        (b"\xff\xfe\x00".decode("latin-1"), "x"),  # garbage bytes
    ],
    ids=["toml", "colour", "missing", "name", "field", "variable", "types", "garbage"],
)
def test_a_bad_theme_file_is_reported_with_its_name_and_skipped(
    tmp_path: Path, text: str, reason: str
) -> None:
    bad = write_theme(tmp_path, "bad.toml", text)
    write_theme(tmp_path, "good.toml", GOOD.format(name="good", unplanned="#444444"))
    themes, problems = load_themes(tmp_path)
    assert [t.name for t in themes] == ["good"]
    assert len(problems) == 1 and str(bad) in problems[0]
    if reason != "x":
        assert reason in problems[0]


def test_the_default_theme_must_define_every_socdesk_variable(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "d.toml", f'name = "{DEFAULT_THEME}"\nprimary = "#123456"')
    with pytest.raises(ThemeError, match="must define type-business"):
        load_theme_file(path)


def test_a_theme_may_borrow_socdesks_variables_and_override_textuals(tmp_path: Path) -> None:
    path = write_theme(
        tmp_path,
        "t.toml",
        'name = "t"\nprimary = "#123456"\n[variables]\nblock-cursor-background = "#ff00ff"',
    )
    assert load_theme_file(path).variables == {"block-cursor-background": "#ff00ff"}


# ---------------------------------------------------------------------------------------- a person's own


def test_a_users_theme_is_offered_and_replaces_a_packaged_one_of_the_same_name(tmp_path: Path) -> None:
    write_theme(user_dir(), "mine.toml", GOOD.format(name="mine", unplanned="#ff00ff"))
    write_theme(user_dir(), "light.toml", GOOD.format(name="socdesk-light", unplanned="#00ffff"))
    catalogue = ThemeCatalogue.load([packaged_themes_dir(), user_dir()])
    assert {"mine", *SHIPPED} == set(catalogue.names)
    assert catalogue.themes["socdesk-light"].variables["type-unplanned"] == "#00ffff"
    assert catalogue.problems == []


async def test_the_console_opens_with_a_users_theme_and_warns_of_a_broken_one(store: Store) -> None:
    write_theme(user_dir(), "mine.toml", GOOD.format(name="mine", unplanned="#ff00ff"))
    broken = write_theme(user_dir(), "broken.toml", 'name = "broken"\nprimary = "nope"')
    app = make_app(store, live=False, theme="mine")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "mine"
        assert app.theme_variables["type-unplanned"] == "#ff00ff"
        # a variable the user theme left out comes from the default theme
        assert (
            app.theme_variables["wip-over"]
            == load_theme_file(packaged_themes_dir() / "socdesk-dark.toml").variables["wip-over"]
        )
        assert any(title == "Theme" and str(broken) in message for title, message in notices(app))
        assert "broken" not in app.available_themes


async def test_only_socdesks_themes_are_offered_not_textuals_own(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test():
        assert set(app.available_themes) == SHIPPED
        assert app.theme == DEFAULT_THEME


def test_an_unknown_theme_is_refused_with_the_choices(store: Store) -> None:
    with pytest.raises(InvalidInput, match=r"no theme named 'solarised'.*socdesk-light"):
        make_app(store, live=False, theme="solarised")


# ---------------------------------------------------------------------------------------- remembered


async def test_a_theme_picked_in_the_palette_is_remembered_for_the_next_run(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await pilot.press("enter")  # "Theme": the list of themes
        await pilot.press(*"high-contrast")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "socdesk-high-contrast"
    assert json.loads(settings.preferences_path().read_text())["theme"] == "socdesk-high-contrast"
    again = make_app(store, live=False)
    async with again.run_test():
        assert again.theme == "socdesk-high-contrast"


async def test_theme_on_the_command_line_is_for_this_run_only(store: Store) -> None:
    settings.remember_theme("socdesk-light")
    app = make_app(store, live=False, theme="socdesk-colourblind")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "socdesk-colourblind"
    assert settings.remembered_theme() == "socdesk-light"


async def test_a_remembered_theme_that_has_gone_falls_back_to_the_default_and_says_so(store: Store) -> None:
    settings.remember_theme("deleted-theme")
    app = make_app(store, live=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        assert any("deleted-theme" in message for _, message in notices(app))


def test_a_corrupt_preferences_file_means_no_preference(tmp_path: Path) -> None:
    path = settings.preferences_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    assert settings.remembered_theme() is None
    settings.remember_theme("socdesk-light")
    assert settings.remembered_theme() == "socdesk-light"


def test_the_console_refuses_an_unknown_theme_before_it_starts(socdesk) -> None:
    done = socdesk("--theme", "nope")
    assert done.returncode == 1
    assert done.stderr.startswith("error: no theme named 'nope'")


# ---------------------------------------------------------------------------------------- the wheel


def test_the_built_wheel_ships_the_themes_styles_and_sample(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("socdesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"socdesk/themes/{name}.toml" for name in SHIPPED} <= names
    assert "socdesk/sample_data/socdesk-sample.json" in names
    styles = {n for n in names if n.startswith("socdesk/ui/styles/") and n.endswith(".tcss")}
    assert {f"socdesk/ui/styles/{p.name}" for p in (ROOT / "src/socdesk/ui/styles").glob("*.tcss")} == styles

    # Imported from the unpacked wheel (not this checkout), socdesk finds and loads its themes.
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = (
        "from socdesk.ui.themes import load_themes, packaged_themes_dir\n"
        "d = packaged_themes_dir(); themes, problems = load_themes(d)\n"
        "print(d); print(sorted(t.name for t in themes)); print(problems)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    where, names_line, problems_line = shown.stdout.splitlines()
    assert Path(where).is_relative_to(unpacked)
    assert names_line == str(sorted(SHIPPED)) and problems_line == "[]"
