"""The environment of the API client commands: where the API is and which token to send."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

URL_ENV = "SHOPSYNC_API_URL"
TOKEN_ENV = "SHOPSYNC_API_TOKEN"
ENV_HELP = f"Reads {URL_ENV} (default http://127.0.0.1:8000) and {TOKEN_ENV} (an API token)."


class ClientSettings(BaseSettings):
    """Read once per command; the token is a secret (never printed, never logged)."""

    model_config = SettingsConfigDict(env_prefix="SHOPSYNC_", case_sensitive=False, extra="ignore")

    api_url: str = "http://127.0.0.1:8000"
    api_token: SecretStr | None = None

    @property
    def graphql_url(self) -> str:
        """The API's GraphQL endpoint; the base URL may be given with or without /graphql."""
        base = self.api_url.strip().rstrip("/").removesuffix("/graphql")
        return f"{base}/graphql"
