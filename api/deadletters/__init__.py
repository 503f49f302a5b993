"""Dead letters over GraphQL: list a job's bad lines, retry the open ones."""
