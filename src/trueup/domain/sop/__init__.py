"""The SOP as code: its typed model, the evidence it may ask about, reading and checking."""
