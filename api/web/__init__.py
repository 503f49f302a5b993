"""The browser surface: the dashboard at ``/`` and GraphiQL's locally served assets."""
