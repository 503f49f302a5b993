"""Local TCP ports for the processes ``shopsync demo`` and ``shopsync up`` start: refuse a taken
one before starting anything, or pick a free one when asked with 0."""

from __future__ import annotations

import socket

import click

from bulk.errors import ShopsyncError


class PortTaken(click.ClickException, ShopsyncError):
    """A port the command would listen on is already in use."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port`` (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def claim_port(port: int, *, what: str, option: str, host: str = "127.0.0.1") -> int:
    """``port`` if free, a free one for 0; otherwise refuse, naming the option to change."""
    if port == 0:
        return free_port(host)
    if not port_is_free(port, host):
        raise PortTaken(
            f"port {port} ({what}) is already in use by another process; stop it, or pass "
            f"{option} N (0 picks a free port)"
        )
    return port
