"""The SOP wing: reading, versions and the documents drawn from the SOP."""
