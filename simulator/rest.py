"""The REST calls real clients make around the bulk API (``shop.json``) and JSON error bodies."""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulator.addresses import customer_address
from simulator.requestlog import RequestRecord
from simulator.runtime import Shop, Simulator

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
NOT_FOUND = {"errors": "Not Found"}
_REASONS = {405: "Method Not Allowed", 406: "Not Acceptable", 500: "Internal Server Error"}
_MONEY_FORMATS = {"USD": "${{amount}}", "EUR": "€{{amount}}", "GBP": "£{{amount}}"}
_PLANS = {"Standard": "basic", "Advanced": "advanced", "Plus": "shopify_plus"}


def shop_number(domain: str) -> int:
    """The shop's numeric id (the same in REST and in ``shop { id }``)."""
    return 60_000_000_000 + zlib.crc32(domain.encode()) % 1_000_000_000


def shop_resource(shop: Shop, created_at: str) -> dict[str, Any]:
    """The shop in the JSON shape of Shopify's REST shop resource."""
    domain = shop.domain
    name = shop.config.name or domain.split(".")[0]
    currency = shop.store.generator.currency
    address = customer_address(random.Random(shop.config.seed), 0, "Shop", "Owner")
    money = _MONEY_FORMATS.get(currency, "{{amount}} " + currency)
    return {
        "id": shop_number(domain),
        "name": name,
        "email": f"owner@{domain}",
        "domain": domain,
        "province": address["province"],
        "country": address["countryCodeV2"],
        "address1": address["address1"],
        "zip": address["zip"],
        "city": address["city"],
        "source": None,
        "phone": address["phone"],
        "latitude": address["latitude"],
        "longitude": address["longitude"],
        "primary_locale": "en",
        "address2": address["address2"],
        "created_at": created_at,
        "updated_at": created_at,
        "country_code": address["countryCodeV2"],
        "country_name": address["country"],
        "currency": currency,
        "customer_email": f"support@{domain}",
        "timezone": f"(GMT+00:00) {address['timeZone']}",
        "iana_timezone": address["timeZone"],
        "shop_owner": "Shop Owner",
        "money_format": money,
        "money_with_currency_format": f"{money} {currency}",
        "weight_unit": "kg",
        "province_code": address["provinceCode"],
        "taxes_included": False,
        "auto_configure_tax_inclusivity": None,
        "tax_shipping": None,
        "county_taxes": True,
        "plan_display_name": shop.config.plan,
        "plan_name": _PLANS.get(shop.config.plan, "basic"),
        "has_discounts": True,
        "has_gift_cards": True,
        "myshopify_domain": domain,
        "google_apps_domain": None,
        "google_apps_login_enabled": None,
        "money_in_emails_format": money,
        "money_with_currency_in_emails_format": f"{money} {currency}",
        "eligible_for_payments": True,
        "requires_extra_payments_agreement": False,
        "password_enabled": False,
        "has_storefront": True,
        "finances": True,
        "primary_location_id": 1,
        "checkout_api_supported": True,
        "multi_location_enabled": True,
        "setup_required": False,
        "pre_launch_enabled": False,
        "enabled_presentment_currencies": [currency],
        "transactional_sms_disabled": False,
        "marketing_sms_consent_enabled_at_checkout": False,
    }


class RestEndpoint:
    """``GET /admin/api/{version}/shop.json`` with the same token and version rules as GraphQL."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def shop(self, request: Request) -> Response:
        """The authenticated app's shop, ``{"shop": {...}}``."""
        config = self.sim.config
        path = request.url.path
        version = config.resolve_version(request.path_params["version"])
        if version is None:
            self._log(RequestRecord(None, "rest", 404, request.path_params["version"], path=path))
            return JSONResponse(NOT_FOUND, 404)
        headers = {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}
        shop = self.sim.shop_for_token(request.headers.get("x-shopify-access-token"))
        if shop is None:
            self._log(RequestRecord(None, "unauthorized", 401, version, path=path))
            return JSONResponse({"errors": INVALID_TOKEN}, 401, headers=headers)
        # The shop is as old as its oldest generated order.
        created = datetime.fromtimestamp(shop.store.generator.start_ts, UTC)
        stamp = created.isoformat(timespec="seconds")
        self._log(RequestRecord(shop.domain, "rest", 200, version, path=path))
        return JSONResponse({"shop": shop_resource(shop, stamp)}, 200, headers=headers)

    def _log(self, record: RequestRecord) -> None:
        record.at = self.sim.config.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.sim.log.add(record)


async def json_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (unknown path, wrong method) as Shopify's JSON error bodies."""
    del request
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    body = NOT_FOUND if status == 404 else {"errors": _REASONS.get(status, "Error")}
    headers = getattr(exc, "headers", None)
    return JSONResponse(body, status, headers=headers)
