"""Cases: the imbalance-correction SOP run end to end, from a finding to a proven fix."""
