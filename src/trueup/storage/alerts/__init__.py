"""Alerts in SQL: alerts, the monitor's cursor, notification rules and notifications."""
