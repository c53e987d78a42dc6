"""The `trueup` command line: one module per noun, each translating and nothing else."""

from trueup.cli.app import app, main

__all__ = ["app", "main"]
