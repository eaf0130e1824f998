"""Layering: the domain and the store never pull in textual, and the domain not even sqlite3."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "socdesk"
TEXTUAL_IMPORT = re.compile(r"^\s*(from\s+textual\b|import\s+textual\b)", re.MULTILINE)


def modules_after_importing(*modules: str) -> set[str]:
    """The names in sys.modules of a fresh interpreter after importing ``modules``."""
    code = "import json, sys\n"
    code += "".join(f"import {m}\n" for m in modules)
    code += "print(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def package_modules(package: str) -> list[str]:
    """Every module of a socdesk package: its __init__ loads names lazily, so import each one."""
    folder = SRC / package.removeprefix("socdesk.").replace(".", "/")
    return [package] + [f"{package}.{f.stem}" for f in sorted(folder.glob("*.py")) if f.stem != "__init__"]


DOMAIN = package_modules("socdesk.domain")
STORE = package_modules("socdesk.store")


def roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize(
    "module", [*DOMAIN, *STORE, "socdesk.cli", "socdesk.now", "socdesk.duty_ics", "socdesk.duty_report"]
)
def test_module_does_not_import_textual(module: str) -> None:
    loaded = modules_after_importing(module)
    assert module in loaded  # the import really happened
    assert "textual" not in roots(loaded)
    assert not any(name.startswith("socdesk.ui") for name in loaded)


def test_domain_store_and_cli_together_do_not_import_textual() -> None:
    loaded = modules_after_importing(*DOMAIN, *STORE, "socdesk.cli")
    assert {*DOMAIN, *STORE, "socdesk.cli"} <= loaded
    assert "textual" not in roots(loaded)


def test_domain_does_not_import_sqlite3() -> None:
    loaded = modules_after_importing(*DOMAIN)
    assert "socdesk.domain.models" in loaded and "pydantic" in roots(loaded)
    assert "sqlite3" not in loaded
    assert "_sqlite3" not in loaded
    assert not any(name.startswith("socdesk.store") for name in loaded)


def test_the_check_can_see_textual_when_it_is_imported() -> None:
    # Guards the guard: the subprocess check does notice textual when something does import it.
    assert "textual" in roots(modules_after_importing(*DOMAIN, "textual.app"))


def test_domain_and_store_sources_never_import_textual() -> None:
    files = sorted((SRC / "domain").rglob("*.py")) + sorted((SRC / "store").rglob("*.py"))
    assert len(files) >= 10
    offenders = [str(f.relative_to(SRC)) for f in files if TEXTUAL_IMPORT.search(f.read_text("utf-8"))]
    assert offenders == []
    assert TEXTUAL_IMPORT.search("if TYPE_CHECKING:\n    from textual.app import App\n")
    assert TEXTUAL_IMPORT.search("import textual\n")


def test_the_rota_rules_need_nothing_but_the_standard_library() -> None:
    # `socdesk now` runs in shell prompts: the schedule rules must not pull in pydantic.
    loaded = modules_after_importing("socdesk.domain.rota", "socdesk.now")
    assert "socdesk.domain.rota" in loaded
    assert not {"pydantic", "textual", "sqlite_utils", "watchfiles"} & roots(loaded)
