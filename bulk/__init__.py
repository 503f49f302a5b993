"""The sync engine: Shopify bulk-operation client, job workflow and JSONL ingest into Postgres.

Plain code with no web or queue framework, so tests and any entry point can drive it directly.
"""
