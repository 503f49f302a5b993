"""``make bench``: our sync against the raw-COPY ceiling, memory, and small updates in one run."""
