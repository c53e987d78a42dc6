"""The HTTP API: a FastAPI app over the services, at /api/v1."""
