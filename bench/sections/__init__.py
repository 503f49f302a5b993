"""One module per bench section; each runs on its own stack and database and returns its figures."""
