"""Deterministic MailingAddress values: real countries with their provinces (codes and names)."""

from __future__ import annotations

import random
from typing import Any

# (country code, country name, phone prefix, time zone, [(province code, province name, city, zip)])
# Countries without provinces in Shopify's checkout (DE, FR, GB, NL) have null province fields.
_COUNTRIES: tuple[
    tuple[str, str, str, str, tuple[tuple[str | None, str | None, str, str], ...]], ...
] = (
    (
        "US",
        "United States",
        "+1",
        "America/New_York",
        (
            ("CA", "California", "San Francisco", "94103"),
            ("NY", "New York", "Brooklyn", "11201"),
            ("TX", "Texas", "Austin", "78701"),
            ("WA", "Washington", "Seattle", "98101"),
        ),
    ),
    (
        "CA",
        "Canada",
        "+1",
        "America/Toronto",
        (
            ("ON", "Ontario", "Toronto", "M5V 2T6"),
            ("QC", "Quebec", "Montréal", "H2X 1Y4"),
            ("BC", "British Columbia", "Vancouver", "V6B 1A1"),
        ),
    ),
    (
        "GB",
        "United Kingdom",
        "+44",
        "Europe/London",
        (
            (None, None, "London", "EC1A 1BB"),
            (None, None, "Manchester", "M1 1AE"),
        ),
    ),
    (
        "DE",
        "Germany",
        "+49",
        "Europe/Berlin",
        (
            (None, None, "Berlin", "10115"),
            (None, None, "München", "80331"),
        ),
    ),
    ("FR", "France", "+33", "Europe/Paris", ((None, None, "Paris", "75002"),)),
    (
        "AU",
        "Australia",
        "+61",
        "Australia/Sydney",
        (
            ("NSW", "New South Wales", "Sydney", "2000"),
            ("VIC", "Victoria", "Melbourne", "3000"),
        ),
    ),
    ("JP", "Japan", "+81", "Asia/Tokyo", (("JP-13", "Tokyo", "Shibuya-ku", "150-0002"),)),
    ("MX", "Mexico", "+52", "America/Mexico_City", (("JAL", "Jalisco", "Guadalajara", "44100"),)),
)
_WEIGHTS = (45, 12, 10, 10, 6, 8, 4, 5)
_STREETS = ("Main Street", "Königstraße", "Rue de la Paix", "King St W", "Elm Avenue", "Calle 5")
_COMPANIES = ("Acme Corp", "Nordic Goods AB", "Café Lumière SARL")


def _build(rng: random.Random, number: int, first: str | None, last: str | None) -> dict[str, Any]:
    code, country, prefix, zone, provinces = rng.choices(_COUNTRIES, weights=_WEIGHTS)[0]
    province_code, province, city, zip_code = rng.choice(provinces)
    company = rng.choice(_COMPANIES) if rng.random() < 0.1 else None
    address1 = f"{rng.randint(1, 999)} {rng.choice(_STREETS)}"
    address2 = f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else None
    name = " ".join(part for part in (first, last) if part) or None
    area = ", ".join(part for part in (city, province_code or province, country) if part)
    # `formatted` as Shopify renders it with its default arguments (withName: false,
    # withCompany: true); the simulator ignores the arguments.
    lines = [
        *([company] if company else []),
        address1,
        *([address2] if address2 else []),
        f"{city} {province_code or ''} {zip_code}",
    ]
    return {
        "__typename": "MailingAddress",
        "id": f"gid://shopify/MailingAddress/{number}?model_name=Address",
        "address1": address1,
        "address2": address2,
        "city": city,
        "company": company,
        "coordinatesValidated": rng.random() < 0.5,
        "country": country,
        "countryCodeV2": code,
        "firstName": first,
        "lastName": last,
        "name": name,
        "phone": f"{prefix} {rng.randrange(10**8, 10**9)}" if rng.random() < 0.6 else None,
        "province": province,
        "provinceCode": province_code,
        "zip": zip_code,
        "latitude": round(rng.uniform(-40, 60), 4),
        "longitude": round(rng.uniform(-120, 150), 4),
        "formatted": [" ".join(line.split()) for line in lines] + [country],
        "formattedArea": area,
        "timeZone": zone,
        "validationResultSummary": "NO_ISSUES" if rng.random() < 0.9 else "WARNING",
    }


def customer_address(rng: random.Random, no: int, first: str, last: str) -> dict[str, Any]:
    """The default address of customer ``no``, drawn from the customer's own ``rng``."""
    return _build(rng, no * 10, first, last)


def random_address(rng: random.Random, number: int) -> dict[str, Any]:
    """A guest's (or a gift recipient's) address drawn from ``rng``."""
    first = rng.choice(("Alex", "Sam", "Kim", "Jo", "Mika"))
    last = rng.choice(("Meyer", "Lopez", "Brown", "Sato", "Moreau"))
    return _build(rng, number, first, last)
