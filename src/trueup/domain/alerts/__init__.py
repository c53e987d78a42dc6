"""Stock alerts and the notifications that route them to people."""
