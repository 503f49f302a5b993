"""A click group whose subcommands are imported only when run (or listed in ``--help``)."""

from __future__ import annotations

import importlib

import click

# A worker then loads the worker's modules only, not the simulator, the API server or the demo:
# each import left out is resident memory every worker process saves.


class LazyGroup(click.Group):
    """``lazy`` maps a command name to ``"module:attribute"``, imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy: dict[str, str] = dict(lazy or {})

    def add_lazy_command(self, name: str, target: str) -> None:
        self._lazy[name] = target

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self._lazy:
            return command
        module_name, _, attribute = self._lazy[cmd_name].partition(":")
        loaded = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{self._lazy[cmd_name]} is not a click command")
        self.add_command(loaded, cmd_name)
        return loaded
