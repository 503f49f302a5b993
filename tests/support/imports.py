"""What the start-up import tests share: which of a process's loaded modules fall under a list
of packages it must not import at start."""

from __future__ import annotations

from collections.abc import Iterable


def modules_under(loaded: Iterable[str], packages: Iterable[str]) -> list[str]:
    """The modules of ``loaded`` that are one of ``packages`` or inside one, sorted."""
    prefixes = tuple(packages)
    return sorted(
        name
        for name in loaded
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    )
