"""The environment settings every shopsync process shares, and what the engine is built from."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bulk.net import SHOPIFY_RESULT_HOSTS, NetPolicy
from bulk.settings import EngineFields, EngineSettings
from bulk.token_crypto import TokenCipher, token_cipher

# It lives on the entry-point side (pydantic-settings reads the environment; ``bulk`` must not),
# below api/ and workers/ so that each process's own settings class extends it, and the CLI's
# shared commands (tokens, keys, dead letters, migrate) read nothing more.


def split_commas(value: Any) -> Any:
    """``"a.example, b.example"`` from the environment; lists and tuples as they are."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class CommonSettings(BaseSettings, EngineFields):
    """Environment variables (names are the field names in upper case, e.g. ``DATABASE_URL``)
    read by every process; the engine's (``EngineFields``) are among them."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/shopsync"
    # Development turns on GraphiQL and loopback requests; production hides and refuses them.
    environment: str = Field(default="development", pattern="^(development|production)$")
    # Fernet keys (comma-separated) encrypting shop access tokens at rest: the first encrypts,
    # all decrypt. Required in production; development falls back to a fixed development key.
    shop_token_keys: SecretStr | None = None
    default_api_version: str = "2026-10"
    # Outbound requests (SSRF). Production: connectShop's adminUrl must be https on the shop's
    # own domain or on one of ``admin_url_hosts``; result files come over https from
    # ``result_url_hosts`` only; every connection goes to a public address (checked after DNS,
    # at connect time). Development also allows loopback (the simulator). Comma-separated.
    admin_url_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    result_url_hosts: Annotated[tuple[str, ...], NoDecode] = SHOPIFY_RESULT_HOSTS
    # Development only (ignored in production): host names that may also be reached over http
    # at private addresses, e.g. "simulator" for the simulator container of docker-compose's
    # development profile. Link-local, multicast and unspecified addresses stay refused.
    dev_private_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("admin_url_hosts", "result_url_hosts", "dev_private_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        return split_commas(value)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def engine(self) -> EngineSettings:
        """The engine's values alone, for ``JobRunner``."""
        return EngineSettings(**self.model_dump(include=set(EngineFields.model_fields)))

    def net_policy(self) -> NetPolicy:
        """Where this process may send requests (``NetPolicy``'s rules, these hosts)."""
        return NetPolicy(
            development=self.environment == "development",
            admin_url_hosts=frozenset(self.admin_url_hosts),
            result_url_hosts=frozenset(self.result_url_hosts),
            dev_private_hosts=frozenset(self.dev_private_hosts),
        )

    def token_cipher(self) -> TokenCipher:
        """The cipher of ``SHOP_TOKEN_KEYS``; production without keys stops here."""
        keys = self.shop_token_keys.get_secret_value() if self.shop_token_keys else ""
        return token_cipher(keys, production=self.production)
