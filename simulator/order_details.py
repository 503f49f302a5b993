"""The rich part of a generated order: addresses, customer, taxes, discounts, shipping, payments,
fulfilments, refunds, risk and metafields, derived from the order's core figures.

It draws from its own random stream, so the core fields of an order stay what they always were.
"""

from __future__ import annotations

import random
from typing import Any

from simulator.addresses import random_address
from simulator.customers import LOCALES, customer
from simulator.draws import FastRandom, Money, Presentment, iso, money_bag
from simulator.figures import LineFigures, OrderFigures
from simulator.metafields import metafields as make_metafields
from simulator.payments import transactions as make_transactions
from simulator.shipments import fulfillments as make_fulfillments

_APPS = {
    "web": ("580111", "Online Store"),
    "580111": ("580111", "Online Store"),
    "pos": ("129785", "Point of Sale"),
    "shopify_draft_order": ("1354745", "Draft Orders"),
    "iphone": ("1193295", "Shopify Mobile for iPhone"),
    "android": ("1193297", "Shopify Mobile for Android"),
}
_CODES = ("SAVE10", "WELCOME10", "BFCM10")
_TAX_TITLES = {"US": "State Tax", "CA": "GST", "AU": "GST", "JP": "JCT"}


def _discount_applications(
    rng: random.Random, lines: list[LineFigures], quantities: list[int], currency: str, source: str
) -> dict[int, dict[str, Any]]:
    """One application per distinct line discount percentage (10 %: a code, 25 %: other kinds;
    a till's manual discount is a fixed amount spread across its lines), by percentage."""
    apps: dict[int, dict[str, Any]] = {}
    for percent in sorted({line.percent for line in lines if line.percent}):
        base = {
            "allocationMethod": "ACROSS",
            "index": len(apps),
            "targetSelection": "ENTITLED",
            "targetType": "LINE_ITEM",
            "value": {"__typename": "PricingPercentageValue", "percentage": float(percent)},
        }
        if percent == 10:
            app = {**base, "__typename": "DiscountCodeApplication", "code": rng.choice(_CODES)}
        elif source == "pos":
            cents = sum(
                line.discount_unit * quantity
                for line, quantity in zip(lines, quantities, strict=True)
                if line.percent == percent
            )
            amount = {"__typename": "MoneyV2", "amount": str(cents / 100), "currencyCode": currency}
            app = {
                **base,
                "__typename": "ManualDiscountApplication",
                "title": "Staff discount",
                "description": "Applied at the till",
                "value": amount,
            }
        elif rng.random() < 0.2:
            app = {**base, "__typename": "ScriptDiscountApplication", "title": "Bundle 25%"}
        else:
            app = {**base, "__typename": "AutomaticDiscountApplication", "title": "Summer sale 25%"}
        apps[percent] = app
    return apps


def add_details(order: dict[str, Any], lines: list[LineFigures], fig: OrderFigures) -> None:
    """Add the rich fields to ``order`` (and its line items) in place."""
    rng = FastRandom(fig.seed * 2_654_435_761 + fig.numeric_id)
    cur, pres = fig.currency, fig.present

    bags: dict[int, Money] = {}

    def money(cents: int) -> Money:
        # Equal amounts share one MoneyBag within the order (nothing mutates them in place).
        bag = bags.get(cents)
        if bag is None:
            bag = bags[cents] = money_bag(cents, cur, pres)
        return bag

    items: list[dict[str, Any]] = order["lineItems"]
    financial = order["displayFinancialStatus"]
    fulfillment = order["displayFulfillmentStatus"]
    source = str(order.get("sourceName") or "web")

    _refund_units(items, financial)

    # Customer and addresses: a registered customer ships to its default address most times.
    buyer = None if fig.customer_no is None else customer(fig.customer_no, fig.seed, cur)
    if buyer is not None:
        billing = dict(buyer["defaultAddress"])
    else:
        billing = random_address(rng, fig.numeric_id * 10 + 1)
    requires_shipping = any(item["requiresShipping"] for item in items)
    # Point-of-sale orders are taken away unless shipping was charged.
    ships = fig.shipping > 0 or (requires_shipping and source != "pos")
    if not ships:
        shipping_address = None
    elif rng.random() < 0.8:
        shipping_address = dict(billing)
    else:
        shipping_address = random_address(rng, fig.numeric_id * 10 + 2)
    country = str(billing["countryCodeV2"])

    # Taxes: one rate over the taxable lines; the last taxable line takes the rounding rest.
    title = _TAX_TITLES.get(country, "VAT")
    taxable = [i for i, item in enumerate(items) if item["taxable"]]
    remaining = fig.tax
    for i, item in enumerate(items):
        line_total = (lines[i].unit - lines[i].discount_unit) * item["quantity"]
        share = 0
        if fig.tax_rate and i in taxable:
            share = remaining if i == taxable[-1] else line_total * fig.tax_rate // 100
            remaining -= share
        item["taxLines"] = (
            [_tax_line(title, fig.tax_rate, share, cur, pres)] if fig.tax_rate and share else []
        )
    tax_lines = [_tax_line(title, fig.tax_rate, fig.tax, cur, pres)] if fig.tax_rate else []
    tax_exempt = fig.tax_rate == 0 and (
        (buyer is not None and buyer["taxExempt"]) or rng.random() < 0.25
    )

    # Discounts: applications plus one allocation per discounted line, summing to the total.
    by_percent = _discount_applications(
        rng, lines, [item["quantity"] for item in items], cur, source
    )
    apps = list(by_percent.values())
    for i, item in enumerate(items):
        line = lines[i]
        amount = line.discount_unit * item["quantity"]
        item["discountAllocations"] = (
            [{"allocatedAmountSet": money(amount), "discountApplication": by_percent[line.percent]}]
            if amount
            else []
        )
    codes = [str(app["code"]) for app in apps if app["__typename"] == "DiscountCodeApplication"]

    # Line item extras.
    current_qty = current_subtotal = current_discounts = weight = current_weight = 0
    for i, item in enumerate(items):
        line = lines[i]
        net_unit = line.unit - line.discount_unit
        unfulfilled = item["unfulfilledQuantity"]
        item["nonFulfillableQuantity"] = item["quantity"] - item["currentQuantity"]
        item["discountedUnitPriceAfterAllDiscountsSet"] = money(net_unit)
        item["unfulfilledOriginalTotalSet"] = money(line.unit * unfulfilled)
        item["unfulfilledDiscountedTotalSet"] = money(net_unit * unfulfilled)
        item["restockable"] = item["requiresShipping"] and item["currentQuantity"] > 0
        item["duties"] = []  # no cross-border duties are generated (dutiesIncluded is false)
        number = item["product"]["id"].rsplit("/", 1)[1]
        item["image"] = {
            "id": f"gid://shopify/ProductImage/{number}1",
            "altText": item["title"],
            "url": f"https://cdn.shopify.com/s/files/1/0000/0001/products/{number}.jpg",
            "width": 1024,
            "height": 1024,
        }
        item["product"].update(
            title=item["title"],
            vendor=item["vendor"] or "",
            handle=f"product-{number}",
            productType="Gift Card" if item["isGiftCard"] else "Merchandise",
        )
        item["variant"].update(
            sku=item["sku"],
            title=item["variantTitle"] or "Default Title",
            price=str(line.unit / 100),
            product=item["product"],
        )
        grams = 0 if item["isGiftCard"] else 150 + (line.unit % 7) * 100
        weight += grams * item["quantity"]
        current_weight += grams * item["currentQuantity"]
        current_qty += item["currentQuantity"]
        current_subtotal += net_unit * item["currentQuantity"]
        current_discounts += line.discount_unit * item["currentQuantity"]

    # Shipping line.
    shipping_lines: list[dict[str, Any]] = []
    if ships:
        name = "Free shipping" if fig.shipping == 0 else rng.choice(("Standard", "Express"))
        shipping_lines.append(
            {
                "id": f"gid://shopify/ShippingLine/{fig.numeric_id * 10}",
                "title": name,
                "code": name,
                "carrierIdentifier": None,
                "source": "shopify",
                "deliveryCategory": "shipping",
                "custom": False,
                "phone": None,
                "shippingRateHandle": f"shopify-{name.replace(' ', '%20')}-{fig.shipping / 100}",
                "isRemoved": False,
                "originalPriceSet": money(fig.shipping),
                "discountedPriceSet": money(fig.shipping),
                "currentDiscountedPriceSet": money(fig.shipping),
                "discountAllocations": [],
                "taxLines": [],
            }
        )

    # Payments.
    if financial in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"):
        received = fig.total
    elif financial == "PARTIALLY_PAID":
        received = fig.total // 2
    else:
        received = 0
    outstanding = fig.total - received if financial in ("PENDING", "PARTIALLY_PAID") else 0
    gateway = "manual" if source == "shopify_draft_order" else "shopify_payments"
    has_gift_card_payment = received and rng.random() < 0.05
    transactions = make_transactions(rng, fig, financial, gateway, received, money)

    # Fulfilments (several for some orders) and refunds (with refunded line items).
    fulfillments = make_fulfillments(rng, order, items, fig)
    refunds = order["refunds"]
    for refund in refunds:
        refund["legacyResourceId"] = refund["id"].rsplit("/", 1)[1]
        refund["updatedAt"] = refund["createdAt"]
        refund["refundLineItems"] = [
            {
                "id": f"gid://shopify/RefundLineItem/{item['id'].rsplit('/', 1)[1]}",
                "lineItem": item,
                "quantity": item["quantity"] - item["currentQuantity"],
                "restockType": "RETURN" if item["requiresShipping"] else "NO_RESTOCK",
                "restocked": item["requiresShipping"],
                "priceSet": money(lines[i].unit - lines[i].discount_unit),
                "subtotalSet": money(
                    (lines[i].unit - lines[i].discount_unit)
                    * (item["quantity"] - item["currentQuantity"])
                ),
                "totalTaxSet": money(0),
                "location": None,
                # The deprecated Money scalars beside the *Set fields.
                "price": str((lines[i].unit - lines[i].discount_unit) / 100),
                "subtotal": str(
                    (lines[i].unit - lines[i].discount_unit)
                    * (item["quantity"] - item["currentQuantity"])
                    / 100
                ),
                "totalTax": "0.0",
            }
            for i, item in enumerate(items)
            if item["quantity"] > item["currentQuantity"]
        ]
        refund["transactions"] = [t for t in transactions if t["kind"] == "REFUND"]

    # Risk: FRAUD cancellations were high risk.
    if order["cancelReason"] == "FRAUD":
        level = "HIGH"
    else:
        level = "LOW" if rng.random() < 0.9 else rng.choice(("MEDIUM", "HIGH"))
    recommendation = {"LOW": "ACCEPT", "MEDIUM": "INVESTIGATE", "HIGH": "CANCEL"}[level]
    fact = {
        "LOW": ("Characteristics of this order are similar to non-fraudulent orders", "POSITIVE"),
        "MEDIUM": ("Billing address does not match credit card country", "NEUTRAL"),
        "HIGH": ("There were 5 payment attempts", "NEGATIVE"),
    }[level]

    app_id, app_name = _APPS.get(source, ("580111", "Online Store"))
    confirmation = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
    attributes = (
        [
            {"key": "gift_message", "value": "Happy birthday! 🎂"},
            {"key": "how_did_you_hear", "value": "Instagram"},
        ]
        if rng.random() < 0.1
        else []
    )
    metafields = make_metafields(rng.random(), fig.numeric_id, iso(fig.created), iso(fig.updated))
    closed = bool(order["closed"])
    order.update(
        {
            "confirmationNumber": confirmation,
            "returnStatus": "RETURNED"
            if refunds and refunds[0]["refundLineItems"]
            else "NO_RETURN",
            "originalTotalPriceSet": money(fig.total),
            "currentSubtotalPriceSet": money(current_subtotal),
            "currentTotalTaxSet": money(current_subtotal * fig.tax_rate // 100),
            "currentTotalDiscountsSet": money(current_discounts),
            "currentShippingPriceSet": money(fig.shipping),
            "currentCartDiscountAmountSet": money(0),
            "cartDiscountAmountSet": None,
            "currentTotalAdditionalFeesSet": None,
            "originalTotalAdditionalFeesSet": None,
            "currentTotalDutiesSet": None,
            "originalTotalDutiesSet": None,
            "totalReceivedSet": money(received),
            "totalOutstandingSet": money(outstanding),
            "totalCapturableSet": money(fig.total if financial == "AUTHORIZED" else 0),
            "totalTipReceivedSet": money(0),
            "totalRefundedShippingSet": money(fig.shipping if financial == "REFUNDED" else 0),
            "netPaymentSet": money(received - fig.refunded),
            "refundDiscrepancySet": money(0),
            "subtotalLineItemsQuantity": sum(item["quantity"] for item in items),
            "currentSubtotalLineItemsQuantity": current_qty,
            "totalWeight": str(weight),
            "currentTotalWeight": str(current_weight),
            "taxLines": tax_lines,
            "currentTaxLines": (
                [_tax_line(title, fig.tax_rate, current_subtotal * fig.tax_rate // 100, cur, pres)]
                if fig.tax_rate
                else []
            ),
            "taxExempt": tax_exempt,
            # Totals add tax on top (total = subtotal + shipping + tax), so taxes are never
            # included in prices here.
            "taxesIncluded": False,
            "estimatedTaxes": False,
            "dutiesIncluded": False,
            "additionalFees": [],
            "customer": buyer,
            "customerAcceptsMarketing": bool(
                buyer is not None and buyer["defaultEmailAddress"]["marketingState"] == "SUBSCRIBED"
            ),
            "customerLocale": LOCALES.get(country, "en"),
            "billingAddress": billing,
            "shippingAddress": shipping_address,
            "displayAddress": shipping_address or billing,
            "billingAddressMatchesShippingAddress": shipping_address is None
            or shipping_address == billing,
            "shippingLine": shipping_lines[0] if shipping_lines else None,
            "shippingLines": shipping_lines,
            "discountCode": codes[0] if codes else None,
            "discountCodes": codes,
            "discountApplications": apps,
            "customAttributes": attributes,
            "sourceIdentifier": None if source == "web" else f"{source}-{fig.numeric_id}",
            "app": {
                "id": f"gid://shopify/App/{app_id}",
                "name": app_name,
                "icon": {
                    "id": f"gid://shopify/ImageSource/{app_id}",
                    "altText": None,
                    "url": f"https://cdn.shopify.com/app-store/listing_images/{app_id}/icon.png",
                    "width": 64,
                    "height": 64,
                },
            },
            "merchantBusinessEntity": _business_entity(fig.seed),
            "cancellation": (
                {"staffNote": rng.choice((None, "Customer changed their mind"))}
                if fig.cancelled
                else None
            ),
            "disputes": (
                [
                    {
                        "id": f"gid://shopify/ShopifyPaymentsDispute/{fig.numeric_id}",
                        "initiatedAs": "CHARGEBACK",
                        "status": rng.choice(("NEEDS_RESPONSE", "UNDER_REVIEW", "WON", "LOST")),
                    }
                ]
                if received and gateway == "shopify_payments" and rng.random() < 0.01
                else []
            ),
            "shopifyProtect": (
                {
                    "eligibility": {"status": "ELIGIBLE"},
                    "status": "PROTECTED" if received else "PENDING",
                }
                if source == "web" and gateway == "shopify_payments"
                else None
            ),
            "totalCashRoundingAdjustment": {"paymentSet": money(0), "refundSet": money(0)},
            "channelInformation": {
                "id": f"gid://shopify/ChannelInformation/{fig.numeric_id}",
                "channelId": f"gid://shopify/Channel/{app_id}",
                "displayName": app_name,
            },
            "merchantOfRecordApp": None,
            "clientIp": None if source == "pos" else f"203.0.113.{fig.numeric_id % 250 + 1}",
            "registeredSourceUrl": None,
            "statusPageUrl": f"https://shop.example/{fig.seed}/orders/{fig.numeric_id:x}/"
            f"authenticate?key={confirmation.lower()}",
            "poNumber": f"PO-{fig.numeric_id}" if source == "shopify_draft_order" else None,
            "paymentGatewayNames": (["gift_card", gateway] if has_gift_card_payment else [gateway]),
            "riskLevel": level,
            "risks": [{"display": level != "LOW", "level": level, "message": fact[0]}],
            "risk": {
                "recommendation": recommendation,
                "assessments": [
                    {"riskLevel": level, "facts": [{"description": fact[0], "sentiment": fact[1]}]}
                ],
            },
            "canMarkAsPaid": financial in ("PENDING", "PARTIALLY_PAID") and not fig.cancelled,
            "canNotifyCustomer": order["email"] is not None,
            "capturable": financial == "AUTHORIZED",
            "edited": rng.random() < 0.03,
            "fulfillable": fulfillment in ("UNFULFILLED", "PARTIALLY_FULFILLED", "OPEN")
            and not closed,
            "fullyPaid": financial in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"),
            "unpaid": financial in ("PENDING", "AUTHORIZED", "EXPIRED", "VOIDED"),
            "refundable": financial in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"),
            "restockable": any(item["restockable"] for item in items),
            "requiresShipping": requires_shipping,
            "merchantEditable": not closed,
            "merchantEditableErrors": ["Order is closed."] if closed else [],
            "hasTimelineComment": rng.random() < 0.05,
            "fulfillments": fulfillments,
            "fulfillmentsCount": {"count": len(fulfillments), "precision": "EXACT"},
            "transactions": transactions,
            "transactionsCount": {"count": len(transactions), "precision": "EXACT"},
            "metafields": metafields,
            "retailLocation": _RETAIL_LOCATION if source == "pos" else None,
        }
    )
    order.update(_deprecated_amounts(order))


def _business_entity(seed: int) -> dict[str, Any]:
    """The shop's (single, primary) business entity."""
    return {
        "id": f"gid://shopify/BusinessEntity/{seed + 1}",
        "address": {
            "address1": "1 Commerce Way",
            "address2": None,
            "city": "Ottawa",
            "countryCode": "CA",
            "province": "ON",
            "zip": "K1P 1J1",
        },
        "companyName": "Simulated Shop Inc.",
        "displayName": "Simulated Shop",
        "primary": True,
    }


def _refund_units(items: list[dict[str, Any]], financial: str | None) -> None:
    """Make the refunded units agree with the financial status: a full refund takes every unit
    back, a partial one at least one unit (the refund amount may also cover other things)."""
    if financial == "REFUNDED":
        refunded = list(items)
    elif financial == "PARTIALLY_REFUNDED" and all(
        i["currentQuantity"] == i["quantity"] for i in items
    ):
        refunded = items[:1]
    else:
        return
    for item in refunded:
        current = 0 if financial == "REFUNDED" else item["quantity"] - 1
        item["currentQuantity"] = item["refundableQuantity"] = current
        item["unfulfilledQuantity"] = min(item["unfulfilledQuantity"], current)


_RETAIL_LOCATION = {"id": "gid://shopify/Location/2", "name": "Flagship store"}

_DEPRECATED_AMOUNTS = {
    "totalPrice": "totalPriceSet",
    "subtotalPrice": "subtotalPriceSet",
    "totalTax": "totalTaxSet",
    "totalDiscounts": "totalDiscountsSet",
    "totalReceived": "totalReceivedSet",
    "totalRefunded": "totalRefundedSet",
    "totalShippingPrice": "totalShippingPriceSet",
    "netPayment": "netPaymentSet",
    "cartDiscountAmount": "cartDiscountAmountSet",
    "totalCapturable": "totalCapturableSet",
}


def _deprecated_amounts(order: dict[str, Any]) -> dict[str, Any]:
    """The deprecated Money scalars: the shop-currency amount of their *Set replacement."""
    out: dict[str, Any] = {}
    for old, new in _DEPRECATED_AMOUNTS.items():
        bag = order.get(new)
        out[old] = None if bag is None else bag["shopMoney"]["amount"]
    tip = order.get("totalTipReceivedSet")
    out["totalTipReceived"] = None if tip is None else tip["shopMoney"]
    return out


def _tax_line(title: str, rate: int, cents: int, currency: str, present: Presentment) -> Money:
    return {
        "title": title,
        "rate": rate / 100,
        "ratePercentage": float(rate),
        "priceSet": money_bag(cents, currency, present),
        "channelLiable": False,
        "source": "Shopify",
    }
