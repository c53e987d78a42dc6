"""Reports that read across the wings: what trueup holds and how it is configured."""
