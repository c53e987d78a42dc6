"""The SOP's `kpis:` names are the contract: every name the SOP may give is computed,
and a name trueup does not compute is refused at its line."""

from __future__ import annotations

import pytest

from trueup.domain.errors import SopInvalid
from trueup.domain.kpis.figures import NO_DATA, UNITS, KpiName
from trueup.domain.sop.schema import json_schema
from trueup.services.sop.reading import default_sop_text, read_sop

DEFAULT = default_sop_text()


def test_every_kpi_the_default_sop_names_is_computed() -> None:
    named = {k.name for k in read_sop(DEFAULT).kpis}
    assert named and named <= {name.value for name in KpiName}


def test_every_kpi_has_a_unit_and_a_reason_for_having_no_figure() -> None:
    assert set(UNITS) == set(KpiName) == set(NO_DATA)


def test_a_kpi_trueup_does_not_compute_is_refused_at_its_line() -> None:
    text = DEFAULT.replace("  - name: stockout_rate", "  - name: happiness_rate")
    with pytest.raises(SopInvalid) as caught:
        read_sop(text, source="sop.yaml")
    (problem,) = caught.value.problems
    assert problem.field.endswith(".name") and problem.value == "happiness_rate"
    assert "record_accuracy" in problem.expected and "approval_lead_time" in problem.expected
    assert problem.line == next(
        n for n, line in enumerate(text.splitlines(), start=1) if "happiness_rate" in line
    )


def test_the_schema_offers_the_kpi_names() -> None:
    schema = json_schema()
    kpi = schema["properties"]["kpis"]["items"]["properties"]["name"]
    assert kpi["enum"] == [name.value for name in KpiName]
