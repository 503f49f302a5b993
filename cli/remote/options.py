"""What the API client commands share: ``--json``, the client from the environment, and
``--shop`` given as an id or a domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .client import ApiClient
from .documents import SHOPS
from .errors import RequestRefused
from .settings import ClientSettings

F = TypeVar("F", bound=Callable[..., Any])

json_option: Callable[[F], F] = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (the API's field names) for scripts."
)


def api_client() -> ApiClient:
    """A client configured from SHOPSYNC_API_URL and SHOPSYNC_API_TOKEN, read now."""
    return ApiClient(ClientSettings())


def find_shop(api: ApiClient, shop: str) -> dict[str, Any]:
    """The caller's shop by id or by domain; exit 2 when it has none such."""
    wanted = shop.strip().lower()
    for found in api.execute(SHOPS)["shops"]:
        if wanted in (found["id"], found["domain"]):
            result: dict[str, Any] = found
            return result
    raise RequestRefused(f"no shop {shop!r} (see `shopsync shops list`)")


def refused(result: dict[str, Any]) -> RequestRefused:
    """A mutation's ValidationError (or ShopConnectionFailed) as exit code 2."""
    field = result.get("field") or result.get("code")
    message = result.get("message", result["__typename"])
    return RequestRefused(f"{field}: {message}" if field else message)
