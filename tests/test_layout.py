"""Test modules share helpers through ``tests/support`` only: none imports another test module
or a conftest (fixtures reach tests through pytest, helpers through imports)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path: Path, root: Path = TESTS.parent) -> list[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved from ``root``)."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            names.append(".".join([*base, *([node.module] if node.module else [])]))
    return names


def _is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS)): bad
        for path in sorted(TESTS.rglob("*.py"))
        if (bad := [m for m in _imported_modules(path) if _is_test_or_conftest(m)])
    }
    assert offenders == {}


def test_the_check_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    # A module inside tests/api importing ``from .conftest import X`` and
    # ``from tests.bulk.test_jobs import Y`` is caught (guards the guard).
    sample = tmp_path / "tests" / "api" / "probe.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from .conftest import X\nfrom tests.bulk.test_jobs import Y\n")
    found = [m for m in _imported_modules(sample, tmp_path) if _is_test_or_conftest(m)]
    assert found == ["tests.api.conftest", "tests.bulk.test_jobs"]
