"""Database schema of shopsync: ordered SQL migrations and the loader for named SQL queries."""
