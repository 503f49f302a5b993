"""A malformed-request sweep over the whole schema: no answer is a 5xx, every error is typed.

Inputs are generated from the schema itself: for each argument of each query, mutation and
subscription, wrong types, nulls, huge and odd strings, out-of-range ints, unknown enum values
and broken input objects, sent as variables and as literals; then bodies that are not
GraphQL at all (invalid UTF-8, not JSON, batches, deep nesting). An error is "typed" when it
is a validation error (no ``path``) or carries ``extensions.code``; an error at a path without
a code is an exception that escaped a resolver.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from api.schema import schema
from tests.support.api_server import RECV_TIMEOUT_S, ApiServer, GraphQLWS, graphql_ws, wait_for

pytestmark = pytest.mark.anyio

GRAPHQL_SCHEMA = schema._schema

ODD_STRINGS = [
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
    "é🙂",
    "-1",
    "0",
    "99999999999999999999999",
    "1e3",
    "gid://shopify/Order/1",
    "' OR 1=1 --",
    "%s %(x)s {}",
    "../../etc/passwd",
    "http://127.0.0.1:1/",
]
ODD_INTS = [-1, 0, 2**31 - 1, 2**31, -(2**31), 10**30, 1.5, "1"]
WRONG_SHAPES: list[Any] = [None, [], {}, True, [None]]

# A plausible value per scalar, to carry one bad field at a time inside input objects.
PLAUSIBLE: dict[str, Any] = {"String": "demo.myshopify.com", "ID": "1", "Int": 1, "Boolean": True}


def bad_values(type_: GraphQLInputType) -> list[Any]:
    named = get_named_type(type_)
    values = list(WRONG_SHAPES)
    if isinstance(named, GraphQLScalarType):
        if named.name in ("String", "ID"):
            values += [*ODD_STRINGS, 5]
        elif named.name == "Int":
            values += ODD_INTS
        elif named.name == "Boolean":
            values += ["true", 0]
    elif isinstance(named, GraphQLEnumType):
        values += ["NOT_A_VALUE", "", next(iter(named.values)).lower(), 0]
    elif isinstance(named, GraphQLInputObjectType):
        base = plausible(named)
        values += [{**base, "unknownField": 1}, [base]]
        for name, field in named.fields.items():
            values += [{**base, name: value} for value in bad_values(field.type)]
            values.append({key: value for key, value in base.items() if key != name})
    return values


def plausible(type_: GraphQLInputType) -> Any:
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLInputObjectType):
        return {name: plausible(field.type) for name, field in named.fields.items()}
    return PLAUSIBLE[named.name]


def literal(value: Any) -> str:
    """``value`` as a GraphQL literal (objects with bare keys)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"


def selection(field: GraphQLField) -> str:
    return "" if isinstance(get_named_type(field.type), GraphQLScalarType) else "{ __typename }"


def cases(root: GraphQLObjectType, keyword: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, document, variables): each bad value of each argument, as a variable and inline."""
    for name, field in root.fields.items():
        args: dict[str, GraphQLArgument] = field.args
        for arg_name, arg in args.items():
            others = {
                other: plausible(spec.type)
                for other, spec in args.items()
                if other != arg_name and isinstance(spec.type, GraphQLNonNull)
            }
            declared = ", ".join(f"${key}: {spec.type}" for key, spec in args.items())
            passed = ", ".join(f"{key}: ${key}" for key in args)
            by_variable = f"{keyword} Sweep({declared}) {{ {name}({passed}) {selection(field)} }}"
            for n, value in enumerate(bad_values(arg.type)):
                label = f"{name}.{arg_name}#{n}"
                yield label, by_variable, {**others, arg_name: value}
                inline = ", ".join(
                    f"{key}: {literal(value if key == arg_name else others.get(key))}"
                    for key in args
                    if key == arg_name or key in others
                )
                yield label + " inline", f"{keyword} {{ {name}({inline}) {selection(field)} }}", {}
        if not args:
            yield name, f"{keyword} {{ {name}(nope: 1) {selection(field)} }}", {}


def assert_typed(label: str, response: httpx.Response) -> None:
    assert response.status_code < 500, (label, response.status_code, response.text[:500])
    if response.status_code != 200 or response.headers["content-type"].startswith("text/html"):
        return  # an HTTP-level refusal (400, 405, 413, 415), or GraphiQL: no GraphQL answer
    body = response.json()
    assert set(body) <= {"data", "errors", "extensions"}, (label, body)
    for error in body.get("errors", []):
        assert isinstance(error.get("message"), str), (label, error)
        if "path" in error:
            assert (error.get("extensions") or {}).get("code"), (label, error)


def _operation_cases() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        *cases(GRAPHQL_SCHEMA.query_type, "query"),
        *cases(GRAPHQL_SCHEMA.mutation_type, "mutation"),
    ]


@pytest.mark.slow  # about 700 requests: a few seconds
async def test_every_argument_of_every_query_and_mutation(client: httpx.AsyncClient) -> None:
    swept = _operation_cases()
    assert len(swept) > 300  # the generator walked the whole schema
    for label, document, variables in swept:
        # json.dumps escapes lone surrogates (httpx's json= could not encode them).
        body = json.dumps({"query": document, "variables": variables}).encode()
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert_typed(label, response)


DEEP = 100_000
FRAGMENTS = "fragment F0 on Shop { id } " + " ".join(
    f"fragment F{n} on Shop {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 25)
)
RAW_BODIES: list[tuple[str, bytes, str]] = [
    ("invalid utf-8", b'{"query": "{ shops { id } }"}\xff\xfe', "application/json"),
    ("invalid utf-8 in a string", b'{"query": "{ shops(\xff) { id } }"}', "application/json"),
    ("not json", b"query { shops { id } }", "application/json"),
    ("empty", b"", "application/json"),
    ("json null", b"null", "application/json"),
    ("json string", b'"{ shops { id } }"', "application/json"),
    ("json number", b"42", "application/json"),
    ("empty batch", b"[]", "application/json"),
    ("batch", json.dumps([{"query": "{ shops { id } }"}] * 2).encode(), "application/json"),
    ("query not a string", b'{"query": 5}', "application/json"),
    ("query null", b'{"query": null}', "application/json"),
    ("query empty", b'{"query": ""}', "application/json"),
    ("syntax error", b'{"query": "{ shops { id "}', "application/json"),
    ("variables a string", b'{"query": "{ shops { id } }", "variables": "x"}', "application/json"),
    ("variables a list", b'{"query": "{ shops { id } }", "variables": [1]}', "application/json"),
    (
        "operation name a number",
        b'{"query": "{ shops { id } }", "operationName": 5}',
        "application/json",
    ),
    (
        "unknown operation",
        b'{"query": "query A { shops { id } }", "operationName": "B"}',
        "application/json",
    ),
    (
        "two anonymous operations",
        b'{"query": "{ shops { id } } { shops { id } }"}',
        "application/json",
    ),
    (
        "extensions a string",
        b'{"query": "{ shops { id } }", "extensions": "x"}',
        "application/json",
    ),
    (
        "deep json",
        b'{"query": "{ shops { id } }", "variables": {"a": ' + b"[" * DEEP + b"]" * DEEP + b"}}",
        "application/json",
    ),
    (
        "deep document",
        json.dumps({"query": "{ shops " + "{ id " * 900 + "}" * 901}).encode(),
        "application/json",
    ),
    (
        "deep list literal",
        json.dumps({"query": "{ shop(id: " + "[" * 900 + "]" * 900 + ") { id } }"}).encode(),
        "application/json",
    ),
    (
        "fragment cycle",
        json.dumps(
            {"query": "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"}
        ).encode(),
        "application/json",
    ),
    (
        "fragment fan-out",
        json.dumps({"query": FRAGMENTS + " { shops { ...F24 } }"}).encode(),
        "application/json",
    ),
    ("text/plain", b'{"query": "{ shops { id } }"}', "text/plain"),
    ("application/graphql", b"{ shops { id } }", "application/graphql"),
    ("multipart garbage", b"--x\r\nnot a part\r\n--x--", "multipart/form-data; boundary=x"),
    ("form", b"query=%7B+shops+%7B+id+%7D+%7D", "application/x-www-form-urlencoded"),
]


async def test_bodies_that_are_not_graphql(client: httpx.AsyncClient) -> None:
    failures = []
    for label, body, content_type in RAW_BODIES:
        response = await client.post(
            "/graphql", content=body, headers={"content-type": content_type}
        )
        try:
            assert_typed(label, response)
        except AssertionError as exc:
            failures.append(str(exc)[:300])
    assert not failures, failures


@pytest.mark.parametrize(
    "params",
    [
        {"query": "{ shops { id } }", "variables": "{not json"},
        {"query": "mutation { cancelSyncJob(id: 1) { __typename } }"},
        {"query": '{ shop(id: "\\u0000") { id } }'},
        {"nothing": "1"},
    ],
)
async def test_get_requests(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert_typed(str(params), await client.get("/graphql", params=params))


@pytest.fixture
def server(app: Starlette) -> Iterator[ApiServer]:
    with ApiServer(app) as running:
        yield running


def _answer_or_live(client: GraphQLWS, server: ApiServer) -> dict[str, Any] | None:
    """The server's answer to the last subscribe, or None once it runs without one."""
    deadline = time.monotonic() + RECV_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            return client.recv(timeout_s=0.05)
        except TimeoutError:
            if server.hub.subscriber_count:
                return None
    raise AssertionError("no answer to a subscribe")


def test_every_argument_of_every_subscription(server: ApiServer) -> None:
    """Each bad subscribe is answered with an error and the connection serves the next one;
    only a document the lexer rejects closes it, with 4400 (Strawberry's protocol handling)."""
    swept = list(cases(GRAPHQL_SCHEMA.subscription_type, "subscription"))
    closed = 0
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(graphql_ws(server))
        for n, (label, document, variables) in enumerate(swept):
            client.subscribe(str(n), document, **variables)
            try:
                message = _answer_or_live(client, server)
            except ConnectionClosed as exc:
                assert exc.rcvd is not None and exc.rcvd.code == 4400, (label, exc)
                assert exc.rcvd.reason.startswith("Syntax Error"), (label, exc)
                closed += 1
                client = stack.enter_context(graphql_ws(server))
                continue
            if message is None:  # valid (a null shopId): it runs, silent until a job changes
                client.send({"id": str(n), "type": "complete"})
                wait_for(lambda: server.hub.subscriber_count == 0, "the subscription to end")
                continue
            assert message["id"] == str(n), (label, message)
            assert message["type"] in ("error", "next"), (label, message)
            payload = message["payload"]
            for error in payload if message["type"] == "error" else payload["errors"]:
                assert isinstance(error["message"], str), (label, error)
                if "path" in error:
                    assert (error.get("extensions") or {}).get("code"), (label, error)
            if message["type"] == "next":
                assert client.recv() == {"id": str(n), "type": "complete"}, label
    assert closed <= 2  # the lone surrogate literal, once per subscription field
