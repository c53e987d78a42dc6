"""Adapters to the outside world beside storage: what services reach through a port
that is neither their database nor their own code (files, mail, HTTP)."""
