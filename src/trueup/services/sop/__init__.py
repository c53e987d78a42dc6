"""The SOP wing: reading SOP files, their versions, and what they render to."""
