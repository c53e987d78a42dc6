"""The SOP's applied versions: one immutable row per version, the file's exact bytes."""
