"""The event outbox, webhooks and their deliveries in SQL."""
