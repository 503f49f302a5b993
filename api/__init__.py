"""The GraphQL API (Strawberry on Starlette): connect shops, start sync jobs, list them."""

# Conventions clients rely on:
# - IDs are the decimal strings of database ids (``"42"``); an unparsable ID is a
#   ValidationError(field "shopId") in mutations and null / an empty list in queries.
# - ``syncJobs(first:)`` accepts 1..500 (null means 50); anything else is a GraphQL error with
#   ``extensions.code == "BAD_USER_INPUT"`` (a list result has no room for a union member).
# - BigInt is serialised as a JSON number; inputs may also be decimal strings.
# - Access tokens are write-only: no type exposes them and no message or log line quotes them.
