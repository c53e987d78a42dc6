"""The identity wing: users, tokens, passwords and logins, the audit trail."""
