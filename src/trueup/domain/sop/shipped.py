"""The first version of the default SOP, as `trueup init` installs it: who and why.

One place for both, so that the version history of every installation and the committed
renderings in docs/sop/ say the same thing about version 1.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from trueup.domain.sop.versions import VersionInfo

#: Who applies the default SOP: trueup itself, at `trueup init`.
SHIPPED_AUTHOR = "trueup"
#: Why version 1 exists.
SHIPPED_REASON = "the default SOP shipped with trueup"


def shipped_version(sop: str, content: bytes, applied_at: datetime) -> VersionInfo:
    """Version 1 of the default SOP `sop`, whose file is `content`, applied at `applied_at`."""
    return VersionInfo(
        sop=sop,
        version=1,
        author=SHIPPED_AUTHOR,
        applied_at=applied_at,
        reason=SHIPPED_REASON,
        sha256=hashlib.sha256(content).hexdigest(),
    )
