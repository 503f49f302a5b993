"""Every exception class shopsync defines derives from bulk.errors.ShopsyncError.

The simulator is left out on purpose: it stands in for Shopify and imports nothing of ours.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from bulk.errors import ShopsyncError

PACKAGES = ("api", "bulk", "cli", "service", "workers")


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names = [package_name] + [
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
            if not info.name.endswith(".__main__")  # importing it runs the program
        ]
        for name in names:
            module = importlib.import_module(name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == name
                ):
                    found[f"{name}.{value.__qualname__}"] = value
    return list(found.values())


def test_the_walk_finds_exceptions_outside_errors_py() -> None:
    modules = {cls.__module__ for cls in _exception_classes()}
    assert "bulk.errors" in modules
    assert len(modules) > 1  # the check below must see more than the tree itself


def _name(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.mark.parametrize("cls", _exception_classes(), ids=_name)
def test_every_exception_is_in_the_tree(cls: type[BaseException]) -> None:
    assert issubclass(cls, ShopsyncError), f"{_name(cls)} is outside"


def test_no_class_named_like_a_twin_of_opposite_meaning() -> None:
    names = {cls.__name__ for cls in _exception_classes()}
    assert not {"ShopUnavailableError", "ShopifyUnavailableError"} <= names
    assert "Fenced" not in names  # one class for a lost lease, LeaseLost


def test_every_transient_error_shares_one_base() -> None:
    from bulk import errors

    assert issubclass(errors.DownloadInterruptedError, errors.TransientError)
    assert issubclass(errors.ShopifyTransientError, errors.TransientError)
