"""``ApiClient``: the API's GraphQL over gql (HTTPX for queries and mutations, websockets for
subscriptions), every failure translated into a one-line ``ApiCommandError``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import structlog
from gql import Client, GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.httpx import HTTPXTransport
from gql.transport.websockets import WebsocketsTransport

from cli.graphql_ws import websocket_url

from .errors import ApiCommandError, RequestRefused
from .settings import TOKEN_ENV, URL_ENV, ClientSettings

log = structlog.get_logger(__name__)

# gql logs every request and answer at INFO; a command's output is its own.
logging.getLogger("gql").setLevel(logging.WARNING)
logging.getLogger("websockets").setLevel(logging.WARNING)

# Codes of the API's GraphQL errors (api.schema) that mean "your request", not "the API".
_REFUSED_CODES = frozenset({"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"})


class ApiClient:
    """One per command: a gql session over HTTP, and subscriptions on their own connections."""

    def __init__(self, settings: ClientSettings, *, timeout_s: float = 30.0) -> None:
        self.url = settings.graphql_url
        token = settings.api_token
        self._authorization = None if token is None else f"Bearer {token.get_secret_value()}"
        headers = {} if self._authorization is None else {"Authorization": self._authorization}
        transport = HTTPXTransport(
            url=self.url, headers=headers, timeout=httpx.Timeout(timeout_s), trust_env=False
        )
        self._client = Client(transport=transport, fetch_schema_from_transport=False)
        self._session: Any = None

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._session is not None:
            self._client.close_sync()  # type: ignore[no-untyped-call]
            self._session = None

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of one query or mutation; an ApiCommandError otherwise."""
        request = GraphQLRequest(document, variable_values=variables or {})
        try:
            if self._session is None:
                self._session = self._client.connect_sync()  # type: ignore[no-untyped-call]
            data: dict[str, Any] = self._session.execute(request)
        except Exception as exc:
            raise self._translate(exc) from None
        return data

    def subscribe(
        self, document: str, variables: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Each pushed ``data`` of a subscription (graphql-transport-ws), until it completes.

        It runs on an event loop of its own, closed at the end; the transport is made on it,
        since gql's would otherwise create (and leave open) a loop of the calling thread.
        """
        loop = asyncio.new_event_loop()
        try:
            client = loop.run_until_complete(self._subscription_client())
            updates = client.subscribe_async(GraphQLRequest(document, variable_values=variables))
            try:
                while True:
                    try:
                        data: dict[str, Any] = loop.run_until_complete(anext(updates))
                    except StopAsyncIteration:
                        return
                    yield data
            finally:
                try:
                    loop.run_until_complete(updates.aclose())
                except Exception:  # the connection is already gone: nothing is left to free
                    log.debug("cli.subscription_close_failed", exc_info=True)
        except Exception as exc:
            raise self._translate(exc) from None
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _subscription_client(self) -> Client:
        init = {} if self._authorization is None else {"Authorization": self._authorization}
        transport = WebsocketsTransport(
            url=websocket_url(self.url),
            init_payload=init,
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            connect_timeout=10,
            ack_timeout=10,
        )
        return Client(transport=transport, fetch_schema_from_transport=False)

    def _translate(self, exc: Exception) -> ApiCommandError:
        if isinstance(exc, TransportQueryError):
            return _query_error(exc)
        if isinstance(exc, TransportServerError):
            return ApiCommandError(f"the API at {self.url} answered HTTP {exc.code}")
        if isinstance(exc, TransportConnectionFailed | OSError | TimeoutError):
            return ApiCommandError(
                f"cannot reach the API at {self.url} ({_reason(exc)}); is it running? "
                f"(set {URL_ENV})"
            )
        if isinstance(exc, TransportError):
            return ApiCommandError(f"the API at {self.url} failed: {_reason(exc)}")
        return ApiCommandError(f"the API request failed: {_reason(exc)}")


def _query_error(exc: TransportQueryError) -> ApiCommandError:
    errors = exc.errors or [{"message": str(exc)}]
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    message = "; ".join(str(error.get("message")) for error in errors)
    if "UNAUTHENTICATED" in codes:
        return ApiCommandError(
            f"the API refused the token: {message} (set {TOKEN_ENV} to a token from "
            "`shopsync token create`)"
        )
    if codes <= _REFUSED_CODES | {None}:
        return RequestRefused(message)
    return ApiCommandError(message)


def _reason(exc: BaseException) -> str:
    """The innermost cause, in a few words (its type when it says nothing)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200] or type(exc).__name__
