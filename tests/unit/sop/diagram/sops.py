"""The two SOPs the diagram tests draw: the default one, and a smaller store SOP with other
lanes, a shorter tree and one approval level."""

from __future__ import annotations

from pathlib import Path

from trueup.domain.sop.model import Sop
from trueup.services.sop.reading import default_sop_text, read_sop

STORE_FILE = Path(__file__).with_name("store_sop.yaml")


def default() -> Sop:
    return read_sop(default_sop_text())


def store() -> Sop:
    return read_sop(STORE_FILE.read_text(encoding="utf-8"), source=STORE_FILE.name)


SOPS = {"default": default, "store": store}
