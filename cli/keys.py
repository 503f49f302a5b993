"""``shopsync keys``: make a token-encryption key, and re-encrypt stored shop tokens with it."""

from __future__ import annotations

import click
import psycopg

from bulk.errors import TokenKeyError
from bulk.shop_tokens import encrypt_tokens
from bulk.token_crypto import generate_key
from service.settings import CommonSettings


@click.group("keys")
def keys() -> None:
    """Keys encrypting shop access tokens at rest (SHOP_TOKEN_KEYS)."""


@keys.command("generate")
def generate_command() -> None:
    """Print a new key: put it FIRST in SHOP_TOKEN_KEYS, keep the old ones after it."""
    click.echo(generate_key())


@keys.command("rotate")
@click.pass_obj
def rotate_command(settings: CommonSettings) -> None:
    """Re-encrypt every stored token with the first key (and encrypt legacy plaintext ones).

    All or nothing: if a token cannot be decrypted with any configured key, nothing changes.
    Afterwards the old keys may be dropped from SHOP_TOKEN_KEYS.
    """
    count = _encrypt(settings, rotate=True)
    click.echo(f"re-encrypted {count} shop token(s) with the first key")


def encrypt_plaintext_tokens(settings: CommonSettings) -> int:
    """For ``shopsync migrate``: encrypt the tokens stored before encryption existed."""
    return _encrypt(settings, rotate=False)


def _encrypt(settings: CommonSettings, *, rotate: bool) -> int:
    try:
        cipher = settings.token_cipher()
        with psycopg.connect(settings.database_url) as conn:
            return encrypt_tokens(conn, cipher, rotate=rotate)
    except TokenKeyError as exc:
        raise click.ClickException(str(exc)) from None
