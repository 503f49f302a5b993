"""Commands that talk to a running shopsync API over GraphQL, like any other client."""
