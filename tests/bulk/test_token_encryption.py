"""Shop access tokens at rest: encrypted, rotatable, and a wrong key is a clear error."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

from bulk.errors import TokenKeyError
from bulk.shops import get_shop, list_shops, upsert_shop
from bulk.token_crypto import DEVELOPMENT_KEY, TokenCipher, token_cipher
from bulk.types import JobStatus
from cli.main import cli
from service.settings import CommonSettings
from tests.support.shopify_sim import job_of, make_runner, new_job, open_pool
from tests.support.token_keys import OLD_PRODUCTION_KEY, PRODUCTION_KEY

Conn = psycopg.Connection[Any]
TOKEN = "shpat_at_rest_0123456789abcdef"
OLD = TokenCipher([OLD_PRODUCTION_KEY])
ROTATED = TokenCipher([PRODUCTION_KEY, OLD_PRODUCTION_KEY])
NEW_ONLY = TokenCipher([PRODUCTION_KEY])


def _store(conn: Conn, cipher: TokenCipher, token: str = TOKEN) -> int:
    shop, _ = upsert_shop(
        conn,
        domain="rest.myshopify.com",
        access_token=token,
        api_version="2026-10",
        admin_url="http://127.0.0.1:9",
        cipher=cipher,
    )
    return shop.id


def _keys(database_url: str, keys: str, *args: str) -> Result:
    env = {"DATABASE_URL": database_url, "SHOP_TOKEN_KEYS": keys}
    return CliRunner().invoke(cli, ["keys", *args], env=env)


def _row_text(conn: Conn) -> str:
    row = conn.execute("SELECT s::text FROM shops s").fetchone()
    assert row is not None
    return str(row[0])


def test_the_database_holds_no_plaintext_token(conn: Conn) -> None:
    shop_id = _store(conn, NEW_ONLY)
    assert TOKEN not in _row_text(conn)
    assert TOKEN.encode() not in bytes(
        conn.execute("SELECT access_token_encrypted FROM shops").fetchone()[0]  # type: ignore[index]
    )
    # Read use cases get the ciphertext only; the token appears where it is asked for.
    for shop in [get_shop(conn, shop_id), *list_shops(conn)]:
        assert shop is not None
        assert TOKEN not in repr(shop) and TOKEN not in str(vars(shop))
        assert shop.access_token(NEW_ONLY) == TOKEN


def test_rotate_re_encrypts_with_the_new_key_and_old_keys_still_decrypt(
    conn: Conn, database_url: str
) -> None:
    shop_id = _store(conn, OLD)
    before = _row_text(conn)
    shop = get_shop(conn, shop_id)
    assert shop is not None
    # The new key first, the old one still listed: old ciphertexts decrypt without a rotation.
    assert shop.access_token(ROTATED) == TOKEN
    with pytest.raises(TokenKeyError):
        shop.access_token(NEW_ONLY)

    result = _keys(database_url, f"{PRODUCTION_KEY},{OLD_PRODUCTION_KEY}", "rotate")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "re-encrypted 1 shop token(s) with the first key"
    assert _row_text(conn) != before
    rotated = get_shop(conn, shop_id)
    assert rotated is not None and rotated.access_token(NEW_ONLY) == TOKEN
    with pytest.raises(TokenKeyError):
        rotated.access_token(OLD)  # the old key may now be dropped from the list


def test_a_wrong_key_is_a_clear_error_and_rotate_changes_nothing(
    conn: Conn, database_url: str
) -> None:
    shop_id = _store(conn, OLD)
    before = _row_text(conn)
    shop = get_shop(conn, shop_id)
    assert shop is not None
    with pytest.raises(TokenKeyError) as raised:
        shop.access_token(NEW_ONLY)
    message = str(raised.value)
    assert f"shop {shop_id}" in message and "SHOP_TOKEN_KEYS" in message
    assert PRODUCTION_KEY not in message and TOKEN not in message

    result = _keys(database_url, PRODUCTION_KEY, "rotate")

    assert result.exit_code == 1
    assert f"Error: the access token of shop {shop_id} cannot be decrypted" in result.output
    assert _row_text(conn) == before


def test_a_worker_with_the_wrong_key_fails_the_job_readably(conn: Conn, database_url: str) -> None:
    job_id = new_job(conn, _store(conn, OLD))
    settings = CommonSettings(database_url=database_url, shop_token_keys=SecretStr(PRODUCTION_KEY))
    with open_pool(database_url) as pool:
        step = make_runner(pool, settings).advance(job_id)
    job = job_of(conn, job_id)
    assert step.done and job.status is JobStatus.FAILED
    assert job.error is not None and "cannot be decrypted with SHOP_TOKEN_KEYS" in job.error


def test_migrate_encrypts_tokens_stored_before_encryption(conn: Conn, database_url: str) -> None:
    conn.execute(
        "INSERT INTO shops (domain, access_token, api_version, admin_url) "
        "VALUES ('legacy.myshopify.com', %s, '2026-10', 'http://127.0.0.1:9')",
        (TOKEN,),
    )
    env = {"DATABASE_URL": database_url, "SHOP_TOKEN_KEYS": PRODUCTION_KEY}
    result = CliRunner().invoke(cli, ["migrate", "--no-create-db"], env=env)

    assert result.exit_code == 0, result.output
    assert "encrypted 1 plaintext shop token(s)" in result.output
    assert TOKEN not in _row_text(conn)
    [shop] = list_shops(conn)
    assert shop.access_token(NEW_ONLY) == TOKEN


def test_production_refuses_to_start_without_a_usable_key(database_url: str) -> None:
    with pytest.raises(TokenKeyError, match="production needs SHOP_TOKEN_KEYS"):
        token_cipher("", production=True)
    with pytest.raises(TokenKeyError, match="development token key"):
        token_cipher(DEVELOPMENT_KEY, production=True)
    with pytest.raises(TokenKeyError, match="key 2 is not a Fernet key") as raised:
        token_cipher(f"{PRODUCTION_KEY},not-a-key", production=False)
    assert PRODUCTION_KEY not in str(raised.value)
    with (
        open_pool(database_url) as pool,
        pytest.raises(TokenKeyError, match="production needs SHOP_TOKEN_KEYS"),
    ):
        make_runner(pool, CommonSettings(database_url=database_url, environment="production"))
    # Development runs with the development key.
    assert (
        token_cipher("", production=False).decrypt(TokenCipher([DEVELOPMENT_KEY]).encrypt("x"))
        == "x"
    )


def test_keys_generate_prints_a_usable_key() -> None:
    result = CliRunner().invoke(cli, ["keys", "generate"])
    assert result.exit_code == 0
    assert (
        TokenCipher([result.output.strip()]).decrypt(
            TokenCipher([result.output.strip()]).encrypt(TOKEN)
        )
        == TOKEN
    )
