"""The use cases of shopsync, below every interface (API, CLI, scheduler)."""

# Each use case takes the caller as a ``Principal`` and scopes what it reads and writes by it,
# here and nowhere else. Framework-free: no web or queue framework is imported; the queue and
# Shopify verification are ports (``service.ports``).
