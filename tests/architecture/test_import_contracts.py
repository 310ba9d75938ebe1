"""The layers in .importlinter hold, and each contract can fail: a forbidden import is
added to a copy of the app, and lint-imports must refuse it (and only then)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# contract id -> (module file in the copy, the line that breaks the contract)
BREAKS = {
    "layers": ("app/models/postcodes.py", "from app.directory import opening  # noqa"),
    "domain-no-forms": ("app/directory/opening.py", "import wtforms  # noqa"),
    "foundations": ("app/numbers.py", "from app import models  # noqa"),
    "search-face": ("app/directory/opening.py", "from app.search import query  # noqa"),
    "no-cycles": ("app/directory/yaml_lines.py", "from app.directory import opening  # noqa"),
}


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _lint(where: Path, contract: str | None = None) -> subprocess.CompletedProcess:
    args = [str(LINT_IMPORTS), "--no-cache", *(["--contract", contract] if contract else [])]
    # The copy comes first on the path, so grimp reads it rather than the installed package.
    return subprocess.run(args, cwd=where, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(where)})


def test_the_app_keeps_every_contract(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("contract", sorted(BREAKS))
def test_a_forbidden_import_breaks_the_contract(tmp_path, contract):
    where = _copy(tmp_path)
    module, line = BREAKS[contract]
    if contract == "no-cycles":  # a cycle needs both directions
        opening = where / "app/directory/opening.py"
        opening.write_text(opening.read_text() + "\nfrom app.directory import yaml_lines  # noqa\n")
    target = where / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = _lint(where, contract)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout and "1 broken" in result.stdout
