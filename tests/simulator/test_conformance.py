"""Issue #10 item 3: a client-style orders bulk query over the whole order domain, checked field by
field against the served schema (types, nullability, enums, lists vs connections)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)

from simulator.admin_schema import build_sdl
from simulator.bulkquery import compile_bulk_query, validate_bulk_query
from simulator.config import SimulatorConfig
from simulator.render import iter_result_lines
from simulator.server import SimulatorServer
from simulator.store import OrderStore
from tests.support.simulator_api import TOKEN, Api, make_config

MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
ADDRESS = (
    "{ id address1 address2 city company coordinatesValidated country countryCodeV2 firstName "
    "lastName name phone province provinceCode zip latitude longitude formatted formattedArea "
    "timeZone validationResultSummary }"
)
TAX = f"{{ title rate ratePercentage channelLiable source priceSet {MONEY} }}"
APPLICATION = (
    "{ __typename allocationMethod index targetSelection targetType "
    "value { __typename ... on MoneyV2 { amount currencyCode } "
    "... on PricingPercentageValue { percentage } } "
    "... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title } "
    "... on ManualDiscountApplication { title description } "
    "... on ScriptDiscountApplication { title } }"
)
ALLOCATION = f"{{ allocatedAmountSet {MONEY} discountApplication {APPLICATION} }}"

# Written the way a Singer/Airbyte-style client writes its orders export: every regular field of
# Order, nested objects inline, and the five connections a bulk query may hold.
CLIENT_QUERY = f"""
{{
  orders(query: "updated_at:>='2020-01-01T00:00:00.000000Z' AND updated_at:<'2100-01-01'") {{
    edges {{
      node {{
        __typename id legacyResourceId name number createdAt updatedAt processedAt cancelledAt
        cancelReason closed closedAt confirmed confirmationNumber test email phone currencyCode
        presentmentCurrencyCode displayFinancialStatus displayFulfillmentStatus returnStatus
        totalPriceSet {MONEY} subtotalPriceSet {MONEY} totalTaxSet {MONEY}
        totalDiscountsSet {MONEY} totalRefundedSet {MONEY} currentTotalPriceSet {MONEY}
        totalShippingPriceSet {MONEY} originalTotalPriceSet {MONEY}
        currentSubtotalPriceSet {MONEY} currentTotalTaxSet {MONEY}
        currentTotalDiscountsSet {MONEY} currentShippingPriceSet {MONEY}
        currentCartDiscountAmountSet {MONEY} cartDiscountAmountSet {MONEY}
        currentTotalAdditionalFeesSet {MONEY} originalTotalAdditionalFeesSet {MONEY}
        currentTotalDutiesSet {MONEY} originalTotalDutiesSet {MONEY}
        totalReceivedSet {MONEY} totalOutstandingSet {MONEY} totalCapturableSet {MONEY}
        totalTipReceivedSet {MONEY} totalRefundedShippingSet {MONEY} netPaymentSet {MONEY}
        refundDiscrepancySet {MONEY}
        totalPrice subtotalPrice totalTax totalDiscounts totalReceived totalRefunded
        totalShippingPrice netPayment cartDiscountAmount totalCapturable
        totalTipReceived {{ amount currencyCode }} retailLocation {{ id name }}
        subtotalLineItemsQuantity currentSubtotalLineItemsQuantity totalWeight currentTotalWeight
        taxLines {TAX} currentTaxLines {TAX} taxExempt taxesIncluded estimatedTaxes
        dutiesIncluded
        additionalFees {{ id name price {MONEY} taxLines {TAX} }}
        customer {{
          id legacyResourceId firstName lastName displayName email phone
          defaultEmailAddress {{ emailAddress marketingState }} tags note state verifiedEmail
          validEmailAddress taxExempt locale createdAt updatedAt numberOfOrders
          amountSpent {{ amount currencyCode }} lifetimeDuration defaultAddress {ADDRESS}
          addresses(first: 5) {ADDRESS}
        }}
        customerAcceptsMarketing customerLocale
        billingAddress {ADDRESS} shippingAddress {ADDRESS} displayAddress {ADDRESS}
        billingAddressMatchesShippingAddress
        shippingLine {{ id title code source custom isRemoved originalPriceSet {MONEY} }}
        discountCode discountCodes tags note customAttributes {{ key value }}
        sourceName sourceIdentifier app {{ id name icon {{ id url }} }}
        channelInformation {{ id channelId displayName }}
        merchantOfRecordApp {{ id name }} cancellation {{ staffNote }}
        disputes {{ id initiatedAs status }} shopifyProtect {{ eligibility {{ status }} status }}
        merchantBusinessEntity {{
          id companyName displayName primary
          address {{ address1 address2 city countryCode province zip }}
        }}
        totalCashRoundingAdjustment {{ paymentSet {MONEY} refundSet {MONEY} }}
        clientIp registeredSourceUrl statusPageUrl poNumber
        paymentGatewayNames riskLevel risks(first: 10) {{ display level message }}
        risk {{ recommendation assessments {{ riskLevel facts {{ description sentiment }} }} }}
        canMarkAsPaid canNotifyCustomer capturable edited fulfillable fullyPaid unpaid refundable
        restockable requiresShipping merchantEditable merchantEditableErrors hasTimelineComment
        refunds {{ id legacyResourceId createdAt updatedAt note totalRefundedSet {MONEY} }}
        fulfillments {{
          id legacyResourceId name status displayStatus createdAt updatedAt deliveredAt
          estimatedDeliveryAt inTransitAt requiresShipping totalQuantity location {{ id name }}
          service {{
            id handle serviceName trackingSupport type permitsSkuSharing inventoryManagement
          }}
          trackingInfo {{ company number url }}
        }}
        fulfillmentsCount {{ count precision }}
        transactions {{
          id kind status gateway formattedGateway amountSet {MONEY} createdAt processedAt test
          authorizationCode accountNumber
        }}
        transactionsCount {{ count precision }}
        lineItems {{
          edges {{
            node {{
              __typename id sku name title variantTitle vendor quantity currentQuantity
              refundableQuantity unfulfilledQuantity nonFulfillableQuantity
              originalUnitPriceSet {MONEY} discountedUnitPriceSet {MONEY}
              discountedUnitPriceAfterAllDiscountsSet {MONEY} originalTotalSet {MONEY}
              discountedTotalSet {MONEY} totalDiscountSet {MONEY}
              unfulfilledOriginalTotalSet {MONEY} unfulfilledDiscountedTotalSet {MONEY}
              taxLines {TAX} discountAllocations {ALLOCATION} requiresShipping taxable
              isGiftCard restockable
              variant {{ id sku title price product {{ id }} }}
              product {{ id title vendor handle productType }}
              image {{ id altText url width height }} customAttributes {{ key value }}
              duties {{
                id harmonizedSystemCode countryCodeOfOrigin price {MONEY} taxLines {TAX}
              }}
            }}
          }}
        }}
        shippingLines {{
          edges {{
            node {{
              __typename id title code carrierIdentifier source deliveryCategory custom phone
              shippingRateHandle isRemoved originalPriceSet {MONEY} discountedPriceSet {MONEY}
              currentDiscountedPriceSet {MONEY} discountAllocations {ALLOCATION} taxLines {TAX}
            }}
          }}
        }}
        discountApplications {{ edges {{ node {APPLICATION} }} }}
        metafield(namespace: "custom", key: "gift_wrap") {{ id value jsonValue }}
        metafields {{
          edges {{
            node {{
              __typename id legacyResourceId namespace key value jsonValue type description
              ownerType createdAt updatedAt
            }}
          }}
        }}
      }}
    }}
  }}
}}
"""

ORDER_COUNT = 300
VERSION = "2026-04"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _schema() -> GraphQLSchema:
    return build_schema(build_sdl(SimulatorConfig(), VERSION))


def _check(value: Any, type_: Any, schema: GraphQLSchema, path: str) -> None:
    """Assert that ``value`` is a valid JSON result of GraphQL type ``type_``."""
    if isinstance(type_, GraphQLNonNull):
        assert value is not None, f"{path}: null for non-null {type_}"
        _check(value, type_.of_type, schema, path)
        return
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        assert isinstance(value, list), f"{path}: {value!r} is not a list"
        for i, item in enumerate(value):
            _check(item, type_.of_type, schema, f"{path}[{i}]")
    elif isinstance(type_, GraphQLEnumType):
        assert value in type_.values, f"{path}: {value!r} not in {type_.name}"
    elif isinstance(type_, GraphQLScalarType):
        _check_scalar(value, type_.name, path)
    elif isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
        assert isinstance(value, dict), path
        concrete = schema.get_type(value["__typename"])
        assert isinstance(concrete, GraphQLObjectType), path
        assert concrete in schema.get_possible_types(type_), f"{path}: {concrete} not a {type_}"
        _check(value, concrete, schema, path)
    else:
        assert isinstance(type_, GraphQLObjectType) and isinstance(value, dict), path
        for key, item in value.items():
            if key == "__typename":
                assert item == type_.name, f"{path}: __typename {item} for {type_.name}"
                continue
            assert key in type_.fields, f"{path}.{key} is not a field of {type_.name}"
            _check(item, type_.fields[key].type, schema, f"{path}.{key}")


def _check_scalar(value: Any, name: str, path: str) -> None:
    if name == "JSON":
        return  # any JSON value
    if name == "Boolean":
        assert isinstance(value, bool), f"{path}: {value!r} not Boolean"
    elif name == "Int":
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: not Int"
    elif name == "Float":
        assert isinstance(value, int | float) and not isinstance(value, bool), path
    else:
        assert isinstance(value, str), f"{path}: {value!r} is not a JSON string ({name})"
        if name == "DateTime":
            assert DATETIME.match(value), f"{path}: {value!r}"
        elif name == "Decimal":
            assert DECIMAL.match(value), f"{path}: {value!r}"
        elif name == "UnsignedInt64":
            assert value.isdigit(), f"{path}: {value!r}"
        elif name == "URL":
            assert value.startswith("https://"), f"{path}: {value!r}"


def _lines(url: str) -> Iterator[dict[str, Any]]:
    with httpx.Client(timeout=30) as plain:
        response = plain.get(url)
    assert response.status_code == 200
    # Split on "\n" only: product titles carry U+2028, which str.splitlines() would split on.
    for raw in response.content.split(b"\n")[:-1]:
        line: dict[str, Any] = json.loads(raw)
        yield line


@pytest.fixture(scope="module")
def export() -> list[dict[str, Any]]:
    """Every line of the client query's result over a 300-order shop."""
    config = make_config()
    config.shops[0].orders = ORDER_COUNT
    with (
        SimulatorServer(config) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=30
        ) as client,
    ):
        api = Api(client, VERSION)
        run = api.run(CLIENT_QUERY)
        assert run["userErrors"] == [], run
        op = api.wait(run["bulkOperation"]["id"], timeout=120)
        assert op["status"] == "COMPLETED", op
        assert int(op["rootObjectCount"]) == ORDER_COUNT
        lines = list(_lines(op["url"]))
        assert len(lines) == int(op["objectCount"])
        return lines


def test_client_query_is_a_valid_bulk_query_selecting_every_order_field() -> None:
    assert validate_bulk_query(CLIENT_QUERY) == []
    schema = _schema()
    order = schema.get_type("Order")
    assert isinstance(order, GraphQLObjectType)
    selected = set(re.findall(r"\b(\w+)\b", CLIENT_QUERY))
    assert set(order.fields) <= selected, set(order.fields) - selected
    assert len(order.fields) >= 100


def test_every_line_has_every_selected_field_with_its_schema_type(
    export: list[dict[str, Any]],
) -> None:
    schema = _schema()
    order_keys: set[str] | None = None
    by_type: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(export):
        typename = line.get("__typename")
        assert isinstance(typename, str), line
        by_type.setdefault(typename, []).append(line)
        named = schema.get_type(typename)
        body = {k: v for k, v in line.items() if k != "__parentId"}
        _check(body, named, schema, f"line {number} ({typename})")
        if typename == "Order":
            assert "__parentId" not in line
            order_keys = order_keys or set(line)
            assert set(line) == order_keys  # every selected field, present (maybe null)
        else:
            assert line["__parentId"].startswith("gid://shopify/Order/")
    assert order_keys is not None and len(order_keys) >= 100
    assert {"Order", "LineItem", "ShippingLine", "Metafield"} <= set(by_type)
    application_types = {line["__typename"] for line in export if "allocationMethod" in line}
    assert {"DiscountCodeApplication", "AutomaticDiscountApplication"} <= application_types
    values = {line["value"]["__typename"] for line in export if "allocationMethod" in line}
    assert values == {"MoneyV2", "PricingPercentageValue"}
    codes = [line for line in export if line["__typename"] == "DiscountCodeApplication"]
    assert all("code" in line and "title" not in line for line in codes)


def _orders(export: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in export if line["__typename"] == "Order"]


def _amount(money_bag: dict[str, Any] | None) -> float:
    return 0.0 if money_bag is None else float(money_bag["shopMoney"]["amount"])


def test_generated_values_are_realistic_and_consistent(export: list[dict[str, Any]]) -> None:
    orders = _orders(export)
    items: dict[str, list[dict[str, Any]]] = {}
    for line in export:
        if line["__typename"] == "LineItem":
            items.setdefault(line["__parentId"], []).append(line)
    assert any(o["taxExempt"] for o in orders)
    assert any(len(o["fulfillments"]) > 1 for o in orders)
    assert any(o["displayFinancialStatus"] == "PARTIALLY_REFUNDED" and o["refunds"] for o in orders)
    assert any(o["presentmentCurrencyCode"] != o["currencyCode"] for o in orders)
    assert any(i["isGiftCard"] for lines in items.values() for i in lines)
    assert any(o["customer"] is None for o in orders) and any(o["customer"] for o in orders)
    addresses = [o["billingAddress"] for o in orders]
    assert {"US", "CA"} <= {a["countryCodeV2"] for a in addresses}
    us = [a for a in addresses if a["countryCodeV2"] == "US"]
    assert all(a["provinceCode"] and a["province"] and a["country"] == "United States" for a in us)
    assert any(a["provinceCode"] is None for a in addresses)  # e.g. Germany has no provinces
    for order in orders:
        lines = items[order["id"]]
        allocated = sum(
            _amount(a["allocatedAmountSet"]) for i in lines for a in i["discountAllocations"]
        )
        assert allocated == pytest.approx(_amount(order["totalDiscountsSet"]))
        if any(i["taxable"] for i in lines):
            line_tax = sum(_amount(t["priceSet"]) for i in lines for t in i["taxLines"])
            assert line_tax == pytest.approx(_amount(order["totalTaxSet"]))
        order_tax = sum(_amount(t["priceSet"]) for t in order["taxLines"])
        assert order_tax == pytest.approx(_amount(order["totalTaxSet"]))
        if order["taxExempt"]:
            assert order["taxLines"] == []
        assert (order["discountCode"] is None) == (order["discountCodes"] == [])
        for fulfillment in order["fulfillments"]:
            (tracking,) = fulfillment["trackingInfo"]
            assert tracking["number"] and tracking["url"].startswith("https://")
        if order["customer"] is not None:
            assert order["customer"]["email"] == order["email"]


def test_same_customer_is_the_same_on_every_order(export: list[dict[str, Any]]) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for order in _orders(export):
        customer = order["customer"]
        if customer is not None:
            assert seen.setdefault(customer["id"], customer) == customer
            # The billing address of a registered customer's order is its default address.
            assert order["billingAddress"] == customer["defaultAddress"]
    assert seen


def test_connections_under_lists_are_rejected_as_on_shopify() -> None:
    in_list = (
        "Queries that contain a connection field within a list field are not currently supported."
    )
    for inner in (
        "refunds { id refundLineItems { edges { node { id quantity } } } }",
        "refunds { id transactions { edges { node { id } } } }",
        "fulfillments { id fulfillmentLineItems { edges { node { id } } } }",
    ):
        query = f"{{ orders {{ edges {{ node {{ id {inner} }} }} }} }}"
        assert [e.message for e in validate_bulk_query(query)] == [in_list]
    six = (
        "{ orders { edges { node { id lineItems { edges { node { id } } } "
        "shippingLines { edges { node { title } } } "
        "discountApplications { edges { node { index } } } "
        "metafields { edges { node { id } } } "
        "customer { id orders { edges { node { id } } } } } } } }"
    )
    assert [e.message for e in validate_bulk_query(six)] == [
        "Bulk queries cannot contain more than 5 connections."
    ]
    bad = "{ orders { edges { node { id discountApplications { edges { node { code } } } } } } }"
    assert [e.message for e in validate_bulk_query(bad)] == [
        "Field 'code' doesn't exist on type 'DiscountApplication'"
    ]


EXPECTED_FIELDS = {
    "Order": """additionalFees app billingAddress billingAddressMatchesShippingAddress canMarkAsPaid
        canNotifyCustomer cancelReason cancelledAt capturable cartDiscountAmountSet
        channelInformation clientIp closed closedAt confirmationNumber confirmed createdAt
        currencyCode currentCartDiscountAmountSet currentShippingPriceSet
        currentSubtotalLineItemsQuantity currentSubtotalPriceSet currentTaxLines
        currentTotalAdditionalFeesSet currentTotalDiscountsSet currentTotalDutiesSet
        currentTotalPriceSet currentTotalTaxSet currentTotalWeight customAttributes customer
        customerAcceptsMarketing customerLocale discountApplications discountCode discountCodes
        displayAddress displayFinancialStatus displayFulfillmentStatus dutiesIncluded edited email
        cancellation disputes merchantBusinessEntity shopifyProtect totalCashRoundingAdjustment
        estimatedTaxes fulfillable fulfillments fulfillmentsCount fullyPaid hasTimelineComment id
        legacyResourceId lineItems merchantEditable merchantEditableErrors merchantOfRecordApp
        metafield metafields name netPaymentSet note number originalTotalAdditionalFeesSet
        originalTotalDutiesSet originalTotalPriceSet paymentGatewayNames phone poNumber
        presentmentCurrencyCode processedAt refundDiscrepancySet refundable refunds
        registeredSourceUrl requiresShipping restockable returnStatus risk riskLevel risks
        shippingAddress shippingLine shippingLines sourceIdentifier sourceName statusPageUrl
        subtotalLineItemsQuantity subtotalPriceSet tags taxExempt taxLines taxesIncluded test
        totalCapturableSet totalDiscountsSet totalOutstandingSet totalPriceSet totalReceivedSet
        totalRefundedSet totalRefundedShippingSet totalShippingPriceSet totalTaxSet
        totalTipReceivedSet totalWeight transactions transactionsCount unpaid updatedAt
        totalPrice subtotalPrice totalTax totalDiscounts totalReceived totalRefunded
        totalShippingPrice netPayment cartDiscountAmount totalCapturable totalTipReceived
        retailLocation""",
    "LineItem": """currentQuantity customAttributes discountAllocations discountedTotalSet
        discountedUnitPriceAfterAllDiscountsSet discountedUnitPriceSet id image isGiftCard name
        nonFulfillableQuantity duties originalTotalSet originalUnitPriceSet product quantity
        refundableQuantity requiresShipping restockable sku taxLines taxable title
        totalDiscountSet unfulfilledDiscountedTotalSet unfulfilledOriginalTotalSet
        unfulfilledQuantity variant variantTitle vendor""",
    "Customer": """addresses amountSpent createdAt defaultAddress defaultEmailAddress displayName
        email firstName id lastName legacyResourceId lifetimeDuration locale note numberOfOrders
        orders phone state tags taxExempt updatedAt validEmailAddress verifiedEmail""",
    "Fulfillment": """createdAt deliveredAt displayStatus estimatedDeliveryAt events
        fulfillmentLineItems id inTransitAt legacyResourceId location name requiresShipping status
        service
        totalQuantity trackingInfo updatedAt""",
    "Refund": """createdAt id legacyResourceId note refundLineItems totalRefundedSet transactions
        updatedAt""",
    "RefundLineItem": """id lineItem location priceSet quantity restockType restocked
        subtotalSet totalTaxSet price subtotal totalTax""",
    "TaxLine": "channelLiable priceSet rate ratePercentage source title",
    "MailingAddress": """address1 address2 city company coordinatesValidated country
        countryCodeV2 firstName formatted formattedArea id lastName latitude longitude name phone
        province provinceCode timeZone validationResultSummary zip""",
    "ShippingLine": """carrierIdentifier code currentDiscountedPriceSet custom deliveryCategory
        discountAllocations discountedPriceSet id isRemoved originalPriceSet phone
        shippingRateHandle source taxLines title""",
    "DiscountApplication": "allocationMethod index targetSelection targetType value",
    "DiscountAllocation": "allocatedAmountSet discountApplication",
}
# Shapes that decide what a bulk query may select and what a client must handle.
EXPECTED_SHAPES = {
    ("Order", "lineItems"): "LineItemConnection!",
    ("Order", "shippingLines"): "ShippingLineConnection!",
    ("Order", "discountApplications"): "DiscountApplicationConnection!",
    ("Order", "metafields"): "MetafieldConnection!",
    ("Order", "fulfillments"): "[Fulfillment!]!",
    ("Order", "refunds"): "[Refund!]!",
    ("Order", "transactions"): "[OrderTransaction!]!",
    ("Order", "taxLines"): "[TaxLine!]!",
    ("Order", "customer"): "Customer",
    ("Order", "shippingAddress"): "MailingAddress",
    ("Order", "displayFinancialStatus"): "OrderDisplayFinancialStatus",
    ("Order", "displayFulfillmentStatus"): "OrderDisplayFulfillmentStatus!",
    ("Order", "currencyCode"): "CurrencyCode!",
    ("Order", "totalWeight"): "UnsignedInt64",
    ("Order", "discountCodes"): "[String!]!",
    ("Order", "customAttributes"): "[Attribute!]!",
    ("Order", "riskLevel"): "OrderRiskLevel!",
    ("LineItem", "discountAllocations"): "[DiscountAllocation!]!",
    ("LineItem", "sku"): "String",
    ("Fulfillment", "fulfillmentLineItems"): "FulfillmentLineItemConnection!",
    ("Fulfillment", "trackingInfo"): "[FulfillmentTrackingInfo!]!",
    ("Fulfillment", "status"): "FulfillmentStatus!",
    ("Refund", "refundLineItems"): "RefundLineItemConnection!",
    ("MailingAddress", "countryCodeV2"): "CountryCode",
    ("DiscountApplication", "value"): "PricingValue!",
    ("DiscountAllocation", "discountApplication"): "DiscountApplication!",
}
INTROSPECT = """query($name: String!) { __type(name: $name) { kind fields { name type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
} } possibleTypes { name } } }"""


def _type_text(ref: dict[str, Any]) -> str:
    if ref["kind"] == "NON_NULL":
        return _type_text(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + _type_text(ref["ofType"]) + "]"
    return str(ref["name"])


@pytest.mark.parametrize("version", ["2026-01", "2026-10"])
def test_introspected_order_domain_matches_the_expected_fields(version: str) -> None:
    with (
        SimulatorServer(make_config()) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=30
        ) as client,
    ):
        api = Api(client, version)
        types = {
            name: api.gql(INTROSPECT, {"name": name})["data"]["__type"] for name in EXPECTED_FIELDS
        }
    for name, expected in EXPECTED_FIELDS.items():
        assert {f["name"] for f in types[name]["fields"]} == set(expected.split()), name
    for (name, field_name), shape in EXPECTED_SHAPES.items():
        (found,) = [f for f in types[name]["fields"] if f["name"] == field_name]
        assert _type_text(found["type"]) == shape, (name, field_name)
    assert types["DiscountApplication"]["kind"] == "INTERFACE"
    assert {t["name"] for t in types["DiscountApplication"]["possibleTypes"]} == {
        "AutomaticDiscountApplication",
        "DiscountCodeApplication",
        "ManualDiscountApplication",
        "ScriptDiscountApplication",
    }


def test_the_order_domain_resolves_outside_bulk_too(api: Api) -> None:
    """A regular (non-bulk) order query reaches the lists' connections and the interfaces."""
    query = f"""{{ orders(first: 20) {{ edges {{ node {{
      id customer {{ displayName defaultAddress {{ countryCodeV2 provinceCode }} }}
      discountApplications(first: 2) {{ edges {{ node {APPLICATION} }} }}
      shippingLines(first: 1) {{ nodes {{ title originalPriceSet {MONEY} }} }}
      lineItems(first: 2) {{ nodes {{ id discountAllocations {ALLOCATION} }} }}
      refunds(first: 1) {{ id
        refundLineItems(first: 2) {{ nodes {{ quantity subtotal lineItem {{ id }} }} }} }}
      fulfillments(first: 1) {{ id fulfillmentLineItems(first: 2) {{ nodes {{ quantity }} }}
        events(first: 1) {{ nodes {{ status }} }} }}
    }} }} }} }}"""
    body = api.gql(query)
    assert "errors" not in body, body["errors"]
    orders = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert any(o["discountApplications"]["edges"] for o in orders)
    assert any(r["refundLineItems"]["nodes"] for o in orders for r in o["refunds"])
    fulfilled = [f for o in orders for f in o["fulfillments"]]
    assert fulfilled and all(f["fulfillmentLineItems"]["nodes"] for f in fulfilled)


def test_same_seed_same_bytes_for_the_client_query() -> None:
    now = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    plan = compile_bulk_query(CLIENT_QUERY)

    def render(seed: int) -> bytes:
        store = OrderStore(count=150, seed=seed, now=now, clock=lambda: now)
        return b"".join(iter_result_lines(plan, store, layout="ungrouped", seed=1))

    first = render(5)
    assert first == render(5)
    assert first != render(6)
    assert first.count(b'"__typename":"Order"') == 150
