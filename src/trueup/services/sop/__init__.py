"""The SOP as code: reading SOP files, and drawing them (`diagram/`)."""
