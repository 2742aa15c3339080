"""The small building blocks: trusted at-risk rows, score and status rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engines import AnalysisConfig, HealthLabel, MetricStatus, RiskReason
from engines.at_risk import trusted_row
from engines.models import AtRiskDeal
from engines.scoring import Deduction, above_status, below_status, health_label, score_from


def test_trusted_row_equals_validated_row() -> None:
    values = {
        "id": "1",
        "name": "Acme <!channel> & Co",
        "amount": None,
        "stage_id": "B",
        "stage_label": "Stage B",
        "pipeline_id": "default",
        "owner_id": "o1",
        "owner_name": "Ana Lopez",
        "owner_email": "ana@example.com",
        "reasons": (RiskReason.PAST_CLOSE_DATE,),
        "days_in_stage": 4.5,
        "days_since_activity": None,
        "close_date": datetime(2026, 1, 1, tzinfo=UTC),
        "url": "https://app.hubspot.com/contacts/1/record/0-3/1",
    }
    fast = trusted_row(dict(values))
    slow = AtRiskDeal(**values)
    assert fast == slow
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_copy(update={"name": "x"}).name == "x"
    assert fast.name == values["name"]  # the copy did not touch the original


def test_status_and_label_rules() -> None:
    assert below_status(None, 5, 10) is MetricStatus.UNKNOWN
    assert below_status(4, 5, 10) is MetricStatus.CRITICAL
    assert below_status(5, 5, 10) is MetricStatus.WARNING
    assert below_status(10, 5, 10) is MetricStatus.HEALTHY
    assert above_status(181, 180, 90) is MetricStatus.CRITICAL
    assert above_status(180, 180, 90) is MetricStatus.WARNING
    assert above_status(90, 180, 90) is MetricStatus.HEALTHY
    cfg = AnalysisConfig()
    assert [health_label(s, cfg) for s in (None, 0, 39, 40, 69, 70, 100)] == [
        HealthLabel.INSUFFICIENT_DATA,
        HealthLabel.CRITICAL,
        HealthLabel.CRITICAL,
        HealthLabel.WARNING,
        HealthLabel.WARNING,
        HealthLabel.HEALTHY,
        HealthLabel.HEALTHY,
    ]
    assert score_from([]) == 100
    assert score_from([Deduction("a", 60, "x"), Deduction("b", 70, "y")]) == 0


def test_config_is_frozen_and_strict() -> None:
    cfg = AnalysisConfig(lookback_days=90)
    assert cfg.lookback_days == 90
    with pytest.raises(ValueError, match="lookbak_days"):  # a misspelt threshold must be rejected
        AnalysisConfig(lookbak_days=90)  # type: ignore[call-arg]
