"""Property tests: arbitrary (and hostile) CRM data never crashes the analysis or breaks its invariants.

Deals are built from raw CRM-like values through the validating model, exactly as HubSpot data is:
aware, naive, epoch-second, epoch-millisecond and garbage dates; null, empty, non-numeric, negative,
huge and non-finite amounts; unknown, archived and closed stages; unknown pipelines; archived deals.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines import EngineName, MetricStatus, analyze_all
from engines.models import Deal, PortalSnapshot
from tests.unit.engines.portals import NOW, hand_pipeline, portal, second_pipeline

PIPELINES = (hand_pipeline(), second_pipeline())
STAGE_IDS = ["A", "B", "C", "W", "L", "101", "102", "103", "104", "199", "ghost", ""]
PERCENT_METRICS = (
    "win_rate",
    "avg_conversion_rate",
    "early_stage_share",
    "expansion_share",
    "field_completeness",
)

aware = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))]),
)
naive = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
dates = st.one_of(
    st.none(),
    aware,
    naive,
    naive.map(lambda d: d.isoformat()),
    aware.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.integers(min_value=-(10**13), max_value=10**13),  # epoch seconds or milliseconds
    st.integers(min_value=0, max_value=4 * 10**12).map(str),
    st.sampled_from(["", "  ", "not a date", "2024-13-45", "0", "NaN", "9" * 30]),
)
amounts = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from(["", " ", "abc", "1,234.50", "-5", "1e308", "inf", "nan", "0", "0.00"]),
    st.booleans(),
)


@st.composite
def raw_deals(draw: st.DrawFn, index: int) -> dict[str, Any]:
    return {
        "id": f"d{index}",
        "name": draw(st.one_of(st.none(), st.text(max_size=20))),
        "amount": draw(amounts),
        "pipeline_id": draw(st.sampled_from(["default", "777", "nope", None])),
        "stage_id": draw(st.sampled_from([*STAGE_IDS, None])),
        "owner_id": draw(st.sampled_from(["o1", "o2", "o9", None])),
        "deal_type": draw(st.sampled_from(["newbusiness", "existingbusiness", "", None])),
        "created_at": draw(dates),
        "close_date": draw(dates),
        "last_activity_at": draw(dates),
        "last_modified_at": draw(dates),
        "stage_entered_at": draw(st.dictionaries(st.sampled_from(STAGE_IDS), dates, max_size=5)),
        "archived": draw(st.booleans()),
    }


@st.composite
def snapshots(draw: st.DrawFn) -> PortalSnapshot:
    count = draw(st.integers(min_value=0, max_value=12))
    deals = tuple(Deal.model_validate(draw(raw_deals(i))) for i in range(count))
    return portal(*deals, pipelines=PIPELINES)


def open_ids(snap: PortalSnapshot, pipeline: str | None) -> set[str]:
    """Open deals by the definition: in scope, not archived, not in a closed, listed, active stage."""
    out = set()
    for d in snap.deals:
        p = snap.pipeline(d.pipeline_id)
        if d.archived or (pipeline is not None and d.pipeline_id != pipeline):
            continue
        stage = p.stage(d.stage_id) if p is not None else None
        if stage is None or stage.archived or not stage.is_closed:
            out.add(d.id)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    snap=snapshots(),
    now=st.one_of(st.none(), aware, naive.filter(lambda d: 1900 < d.year < 3000)),
    pipeline=st.sampled_from([None, "default", "renewals"]),
)
def test_any_data_gives_valid_reports(
    snap: PortalSnapshot, now: datetime | None, pipeline: str | None
) -> None:
    reports = analyze_all(snap, now=now, pipeline=pipeline)
    assert [r.engine for r in reports] == list(EngineName)
    scope = {"default": "default", "renewals": "777", None: None}[pipeline]
    expected_open = open_ids(snap, scope)
    for report in reports:
        assert report.score is None or 0 <= report.score <= 100
        assert report.as_of.tzinfo is not None
        assert {d.id for d in report.at_risk} <= expected_open
        assert all(d.reasons for d in report.at_risk)
        amounts = [max(0.0, d.amount or 0.0) for d in report.at_risk]
        assert all(a >= b or b > 1e12 for a, b in itertools.pairwise(amounts))
        for key in PERCENT_METRICS:
            metric = report.metrics.get(key)
            if metric is not None and metric.value is not None:
                assert 0.0 <= metric.value <= 100.0  # type: ignore[operator]
        for metric in report.metrics.values():
            if metric.value is None:
                assert metric.status is MetricStatus.UNKNOWN
        for signal in report.signals:
            assert 0.0 <= signal.strength <= 1.0
        strengths = [s.strength for s in report.signals]
        assert strengths == sorted(strengths, reverse=True)
        json.dumps(report.to_json_dict(), allow_nan=False)
    growth = reports[0]
    assert growth.metrics["open_deals"].value == len(expected_open)
    rates = growth.metrics["conversion_rates"].value or {}
    assert all(0.0 <= rate <= 100.0 for rate in rates.values())  # type: ignore[union-attr]
    days = growth.metrics["avg_days_in_stage"].value or {}
    assert all(value >= 0.0 for value in days.values())  # type: ignore[union-attr]
    assert growth.metrics["pipeline_value"].value >= 0.0  # type: ignore[operator]


@settings(max_examples=40, deadline=None)
@given(raw=raw_deals(0))
def test_one_deal(raw: dict[str, Any]) -> None:
    snap = portal(Deal.model_validate(raw), pipelines=PIPELINES)
    reports = analyze_all(snap, now=NOW)
    assert reports[0].deals_analyzed == (0 if raw["archived"] else 1)
