"""The KPIs per site and day: computed as of the end of each day, stored, read back."""
