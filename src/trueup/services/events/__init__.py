"""The events wing: the outbox's events, webhook subscriptions and their dispatch."""
