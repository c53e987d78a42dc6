"""The alerts wing: evaluating alerts, reading them, notifications, the monitor."""
