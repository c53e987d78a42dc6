"""The wire schemas of the KPIs (api/routes/kpis.py): the days of a period, each with
its figures, why a figure is missing, and the open cases by age."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from trueup.domain.kpis.figures import VALUES, KpiDay
from trueup.domain.sop.model import Kpi
from trueup.services.kpis.queries import KpiReport


class KpiDayOut(BaseModel):
    day: str = Field(description="The day (YYYY-MM-DD), or FROM..TO for a whole period")
    site: str
    zone: str = Field(description="The time zone the day was cut in")
    kpis: dict[str, Decimal | None] = Field(
        description="Every KPI by name (docs/kpis.md); null when nothing was measured, "
        "or for a value at cost the reader may not see"
    )
    no_data: dict[str, str] = Field(description="Why a KPI is null, by name")
    open_cases_by_age: dict[str, int]
    partial: bool = Field(description="A day not over yet: computed up to now, not stored")
    sop_version: int = Field(description="The SOP version in force at the end of the day")

    @classmethod
    def of(cls, day: KpiDay, report: KpiReport, label: str) -> KpiDayOut:
        figures = day.figures()
        hidden = {name for name in VALUES if not report.values_shown}
        shown = {n.value: None if n in hidden else v for n, v in figures.items()}
        reasons = {
            n.value: ("needs stock.cost" if n in hidden else day.no_data(n))
            for n, v in figures.items()
            if (v is None or n in hidden) and (n in hidden or day.no_data(n))
        }
        return cls(
            day=label,
            site=day.site,
            zone=day.zone,
            kpis=shown,
            no_data=reasons,
            open_cases_by_age=day.open_by_age,
            partial=day.partial,
            sop_version=day.sop_version,
        )


class TargetOut(BaseModel):
    name: str
    target: Decimal
    direction: str
    unit: str

    @classmethod
    def of(cls, kpi: Kpi) -> TargetOut:
        return cls(name=kpi.name, target=kpi.target, direction=kpi.direction.value, unit=kpi.unit)


class KpisOut(BaseModel):
    first: date = Field(description="The first day of the period")
    last: date = Field(description="The last day of the period")
    zone: str = Field(description="The installation's time zone, whose days these are")
    sites: list[str]
    computed: int = Field(description="How many of the days were computed by this request")
    days: list[KpiDayOut]
    targets: list[TargetOut] = Field(description="The targets of the SOP in force")

    @classmethod
    def of(cls, report: KpiReport, rows: list[KpiDay], whole: bool) -> KpisOut:
        span = f"{report.first.isoformat()}..{report.last.isoformat()}"
        return cls(
            first=report.first,
            last=report.last,
            zone=report.zone,
            sites=list(report.sites),
            computed=report.computed,
            days=[KpiDayOut.of(d, report, span if whole else d.day.isoformat()) for d in rows],
            targets=[TargetOut.of(k) for k in report.targets],
        )
