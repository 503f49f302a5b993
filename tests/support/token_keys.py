"""Keys and production settings in tests. TEST_CIPHER holds the development key, which every
test ``Settings`` in development falls back to (tests/conftest.py unsets SHOP_TOKEN_KEYS)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bulk.token_crypto import DEVELOPMENT_KEY, TokenCipher

TEST_CIPHER = TokenCipher([DEVELOPMENT_KEY])
# Production-shaped keys for tests that need them: two real keys, the first one encrypts.
PRODUCTION_KEY = Fernet.generate_key().decode()
OLD_PRODUCTION_KEY = Fernet.generate_key().decode()

# Shops a production-mode test stores must be encrypted with the production key.
PRODUCTION_CIPHER = TokenCipher([PRODUCTION_KEY])

# What production refuses to start without (hosts of the ASGI clients and of ApiServer).
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "shop_token_keys": SecretStr(PRODUCTION_KEY),
    "allowed_hosts": "api.test,127.0.0.1",
}
