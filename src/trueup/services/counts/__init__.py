"""The counts wing: plans, tasks, entering, submitting, review, approval, the audit
report, manual logs."""
