"""Users, sites, API tokens and the audit trail in SQL."""
