"""The SOP as code: reading a file into the model, and its applied, immutable versions."""
