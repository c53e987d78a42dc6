"""`python -m trueup`: the same as the `trueup` command."""

from trueup.cli import main

if __name__ == "__main__":
    main()
