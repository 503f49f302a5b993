"""Shop access tokens encrypted at rest (Fernet); the first of ``SHOP_TOKEN_KEYS`` encrypts,
every listed key decrypts, so keys rotate without downtime."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from typing import TYPE_CHECKING

import structlog

from .errors import TokenKeyError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

# cryptography (~7 MB resident) loads at the first encryption or decryption, not at start: a
# worker idle between jobs, and every process that never touches a token, goes without it.

log = structlog.get_logger(__name__)

# Development only: every process of a dev deployment derives the same key, so a token the API
# stored can be read by a worker. Production refuses it.
DEVELOPMENT_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"shopsync development token key; never for production").digest()
).decode()


class TokenCipher:
    """Encrypts and decrypts shop access tokens; never prints a key or a token."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise TokenKeyError("SHOP_TOKEN_KEYS holds no key")
        for position, key in enumerate(keys, start=1):
            if not _is_fernet_key(key):
                # Position only: the message must not quote the key.
                raise TokenKeyError(
                    f"SHOP_TOKEN_KEYS: key {position} is not a Fernet key (32 url-safe base64 "
                    "bytes; make one with `shopsync keys generate`)"
                )
        self._keys = list(keys)
        self._lock = threading.Lock()
        self._loaded: MultiFernet | None = None

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"

    @property
    def _multi(self) -> MultiFernet:
        with self._lock:
            if self._loaded is None:
                from cryptography.fernet import Fernet, MultiFernet

                self._loaded = MultiFernet([Fernet(key.encode()) for key in self._keys])
            return self._loaded

    def encrypt(self, token: str) -> bytes:
        return self._multi.encrypt(token.encode())

    def decrypt(self, ciphertext: bytes, *, shop_id: int | None = None) -> str:
        """The token; TokenKeyError when no configured key encrypted it."""
        from cryptography.fernet import InvalidToken

        try:
            return self._multi.decrypt(bytes(ciphertext)).decode()
        except InvalidToken:
            raise TokenKeyError(
                f"the access token of shop {shop_id} cannot be decrypted with SHOP_TOKEN_KEYS "
                "(was the key that encrypted it removed from the list?)"
            ) from None

    def rotate(self, ciphertext: bytes, *, shop_id: int | None = None) -> bytes:
        """Re-encrypt with the first key; TokenKeyError when no configured key decrypts it."""
        from cryptography.fernet import InvalidToken

        try:
            return self._multi.rotate(bytes(ciphertext))
        except InvalidToken:
            raise TokenKeyError(
                f"the access token of shop {shop_id} cannot be decrypted with SHOP_TOKEN_KEYS "
                "(was the key that encrypted it removed from the list?)"
            ) from None


def _is_fernet_key(key: str) -> bool:
    """Fernet's own check of a key (32 url-safe base64 bytes), without loading cryptography."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def token_cipher(raw_keys: str, *, production: bool) -> TokenCipher:
    """The cipher of ``SHOP_TOKEN_KEYS`` (``raw_keys``, comma-separated); production refuses to
    start without keys or with the development key, development falls back to the latter."""
    keys = [key.strip() for key in raw_keys.split(",") if key.strip()]
    if production and not keys:
        raise TokenKeyError("production needs SHOP_TOKEN_KEYS (comma-separated Fernet keys)")
    if production and DEVELOPMENT_KEY in keys:
        raise TokenKeyError("production must not use the development token key")
    if not keys:
        log.warning("token_crypto.development_key", reason="SHOP_TOKEN_KEYS is not set")
        keys = [DEVELOPMENT_KEY]
    return TokenCipher(keys)
