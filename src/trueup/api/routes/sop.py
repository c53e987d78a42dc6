"""The SOP's versions: read the latest or any version, its file byte for byte, the
history and the difference between two; validate a file, apply one as a new version.

Every role reads (`sop.read`); the inventory manager and the admin apply (`sop.apply`).
A file is sent as JSON text and stored as its UTF-8 bytes, so a file with a byte-order
mark or CRLF line endings comes back exactly as sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.schemas.sop import (
    AppliedOut,
    ApplyIn,
    DiffOut,
    SopName,
    SummaryOut,
    ValidateIn,
    VersionInfoOut,
    VersionNumber,
    VersionOut,
)
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.sop import versions
from trueup.services.sop.versions import Shown

router = APIRouter(
    prefix="/sops", tags=["sop"], responses=ERRORS, dependencies=[Depends(known_query)]
)
Reader = Annotated[Principal, Depends(require(Action.SOP_READ))]
Applier = Annotated[Principal, Depends(require(Action.SOP_APPLY))]
Limit = Annotated[int, Query(ge=1, le=versions.MAX_HISTORY_PAGE, description="Page size")]
Cursor = Annotated[
    str | None, Query(pattern="^[0-9]{1,10}$", description="next_cursor of the previous page")
]
Version = Annotated[int, Query(ge=1, le=2**31 - 1)]
YAML = "application/yaml"


def _out(shown: Shown) -> VersionOut:
    return VersionOut(
        info=VersionInfoOut.of(shown.info), summary=SummaryOut.of(shown.sop), diff=shown.diff
    )


@router.post("/validate", response_model=SummaryOut)
def validate(request: Request, body: ValidateIn, who: Reader) -> SummaryOut:
    """Read a file as the SOP: what it says in short, or 422 with every problem's line
    and column (the sites it names must exist). Nothing is stored."""
    content = body.content.encode("utf-8")
    return SummaryOut.of(versions.validate_here(uow_of(request), content, source="content"))


@router.get("/{sop}", response_model=VersionOut)
def latest(request: Request, sop: SopName, who: Reader) -> VersionOut:
    """The SOP's latest version: who applied it, when and why, and what it says."""
    return _out(versions.show(uow_of(request), caller=who, sop=sop))


@router.get("/{sop}/versions", response_model=Page[VersionInfoOut])
def history(
    request: Request, sop: SopName, who: Reader, limit: Limit = 100, cursor: Cursor = None
) -> Page[VersionInfoOut]:
    """Every applied version, newest first, paged."""
    before = int(cursor) if cursor else None
    found = versions.history(uow_of(request), caller=who, sop=sop, before=before, limit=limit)
    more = len(found) == limit and found[-1].version > 1
    return Page[VersionInfoOut](
        data=[VersionInfoOut.of(info) for info in found],
        next_cursor=str(found[-1].version) if more else None,
    )


@router.post("/{sop}/versions", status_code=201, response_model=AppliedOut)
def apply(
    request: Request, response: Response, sop: SopName, body: ApplyIn, who: Applier
) -> AppliedOut:
    """Apply a file as the SOP's next version (201); 200 with `created` false when it is
    the latest version's file already. A file with any problem applies nothing (422)."""
    done = versions.apply(
        uow_of(request),
        body.content.encode("utf-8"),
        reason=body.reason,
        caller=who,
        origin=origin(request),
        source="content",
        sop=sop,
    )
    if not done.created:
        response.status_code = 200
    shown = Shown(done.sop, done.info, done.diff)
    return AppliedOut(created=done.created, version=_out(shown))


@router.get("/{sop}/versions/{version}", response_model=VersionOut)
def version(request: Request, sop: SopName, version: VersionNumber, who: Reader) -> VersionOut:
    """One version: who applied it, when and why, what it says, and its diff."""
    return _out(versions.show(uow_of(request), caller=who, sop=sop, version=version))


@router.get(
    "/{sop}/versions/{version}/file",
    response_class=Response,
    responses={200: {"content": {YAML: {"schema": {"type": "string"}}}}},
)
def file(request: Request, sop: SopName, version: VersionNumber, who: Reader) -> Response:
    """The version's file, exactly the bytes that were applied."""
    info, content = versions.export(uow_of(request), caller=who, sop=sop, version=version)
    name = f"{info.sop}-v{info.version}.yaml"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "ETag": f'"{info.sha256}"'}
    return Response(content, media_type=YAML, headers=headers)


@router.get("/{sop}/diff", response_model=DiffOut)
def diff(
    request: Request,
    sop: SopName,
    who: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> DiffOut:
    """What changed from one version to another, as a unified diff of their files."""
    text = versions.diff(uow_of(request), from_version, to_version, caller=who, sop=sop)
    return DiffOut(sop=sop, from_version=from_version, to_version=to_version, diff=text)
