"""A small synchronous client for shopsync's own GraphQL API (demo and command-line use)."""

from __future__ import annotations

from typing import Any

import httpx

from bulk.errors import ShopsyncError


class GraphQLError(ShopsyncError, RuntimeError):
    """The API answered with GraphQL errors or a non-200 status."""


class GraphQLClient:
    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 30.0) -> None:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        self._http = httpx.Client(timeout=timeout_s, headers=headers)
        self.url = url
        self.token = token  # also what a subscription of the same caller sends

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.post(self.url, json={"query": query, "variables": variables or {}})
        if response.status_code != 200:
            raise GraphQLError(f"HTTP {response.status_code}: {response.text[:500]}")
        body = response.json()
        if body.get("errors"):
            raise GraphQLError("; ".join(str(error.get("message")) for error in body["errors"]))
        data: dict[str, Any] = body["data"]
        return data

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
