"""`python -m trueup.services.sop.document [DIR]`: write the default SOP's renderings
(shipped.py) into DIR, docs/sop by default, and name each file written."""

from __future__ import annotations

import sys
from pathlib import Path

from trueup.services.sop.document.shipped import shipped_renderings


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "docs/sop")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in shipped_renderings().items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
        print(folder / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
