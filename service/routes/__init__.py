"""The HTTP routes, one module per area: search, documents, system."""
