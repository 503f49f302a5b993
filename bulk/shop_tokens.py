"""Rewrites stored shop tokens: legacy plaintext rows encrypted, every row re-encrypted with the
newest key (``shopsync migrate``, ``shopsync keys rotate``)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from .sql import queries
from .token_crypto import TokenCipher

_SQL = queries("shop_tokens")


def encrypt_tokens(conn: psycopg.Connection[Any], cipher: TokenCipher, *, rotate: bool) -> int:
    """Encrypt legacy plaintext tokens (and with ``rotate`` re-encrypt every other one with the
    first key) in one transaction; the number of rows rewritten. A token no key decrypts raises
    TokenKeyError and nothing changes."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["lock_tokens"], {"all_rows": rotate})
        rows = cur.fetchall()
        for row in rows:
            if row["access_token_encrypted"] is None:
                encrypted = cipher.encrypt(row["access_token"])
            else:
                encrypted = cipher.rotate(row["access_token_encrypted"], shop_id=row["id"])
            cur.execute(
                _SQL["store_encrypted"],
                {"access_token_encrypted": encrypted, "shop_id": row["id"]},
            )
    return len(rows)
