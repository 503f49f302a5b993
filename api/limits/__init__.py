"""Bounded resources of the API: body sizes, query shape and cost, subscriptions, Shopify calls.

Each module is one limit; ``ApiLimits`` carries the shared ones from the settings to the context.
"""

from __future__ import annotations

from .runtime import ApiLimits

__all__ = ["ApiLimits"]
