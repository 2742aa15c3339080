"""The settings form on its own: generated from AnalysisConfig, typed inputs, validation, limits."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field, SecretStr, create_model

from bot.blocks.settings_form import (
    Kind,
    effective_settings,
    read_submission,
    setting_field,
    setting_fields,
)
from bot.blocks.settings_modal import (
    ADVANCED_PER_PAGE,
    settings_modal,
    settings_readonly_modal,
    settings_saved_modal,
)
from bot.settings import Settings, WorkspaceSettings
from bot.storage import SettingsChange
from engines import AnalysisConfig
from tests.bot.checks import assert_valid_view
from tests.bot.conftest import HOSTILE_NAMES, NOW

DEFAULTS = WorkspaceSettings()


def _typed(**values: str) -> dict[str, Any]:
    return {
        f"settings.{k}": {"settings_value": {"type": "plain_text_input", "value": v}}
        for k, v in values.items()
    }


def test_every_analysis_field_is_a_setting_main_ones_first() -> None:
    names = [f.name for f in setting_fields()]
    assert set(names) == {"default_pipeline", *AnalysisConfig.model_fields}
    main = [f.name for f in setting_fields() if f.main]
    assert names[: len(main)] == main
    assert main[:2] == ["default_pipeline", "renewal_pipeline"]
    assert main[-1] == "lookback_days"
    kinds = {f.name: f.kind for f in setting_fields()}
    assert kinds["lookback_days"] is Kind.WHOLE
    assert kinds["conversion_benchmark"] is Kind.NUMBER
    assert kinds["renewal_pipeline"] is Kind.PIPELINE
    assert kinds["onboarding_ticket_pipeline"] is Kind.PIPELINE


def test_a_new_field_gets_its_input_from_its_type_and_secrets_never_do() -> None:
    """What a field added to AnalysisConfig later becomes, without a change to the form."""
    model = create_model(
        "Later",
        revenue_target=(float | None, Field(default=None, ge=0, description="Quarter target.")),
        categories=(tuple[str, ...], ("FEATURE_REQUEST",)),
        strict=(bool, False),
        token=(SecretStr | None, None),
        mapping=(dict[str, int], {}),
    )
    fields = {name: setting_field(name, info) for name, info in model.model_fields.items()}
    target = fields["revenue_target"]
    assert target is not None
    assert (target.kind, target.optional, target.minimum, target.main) == (Kind.NUMBER, True, 0.0, True)
    assert target.label == "Revenue target per quarter"
    assert fields["categories"] is not None
    assert fields["categories"].kind is Kind.WORDS
    assert fields["strict"] is not None
    assert fields["strict"].kind is Kind.SWITCH
    assert fields["token"] is None  # a secret is never a setting
    assert fields["mapping"] is None  # no input for it: it stays with the environment


@pytest.mark.parametrize("page", [0, 1])
def test_every_page_keeps_slack_limits_with_hostile_pipeline_names(page: int) -> None:
    pipelines = {
        "deals": [(f"p{i}", name) for i, name in enumerate(HOSTILE_NAMES)],
        "tickets": [("t1", "<b>")],
    }
    changes = [SettingsChange("lookback_days", "180", "<!channel>" * 40, user_id="U0ADMIN", changed_at=NOW)]
    view = settings_modal(DEFAULTS, DEFAULTS, page=page, pipelines=pipelines, changes=changes).to_dict()
    assert_valid_view(view, allowed_mentions=frozenset({"U0ADMIN"}))
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert inputs
    assert len(inputs) <= ADVANCED_PER_PAGE


def test_the_read_only_and_saved_views_keep_slack_limits() -> None:
    hostile = WorkspaceSettings(
        default_pipeline=HOSTILE_NAMES[0], analysis=AnalysisConfig(renewal_pipeline="<@U1>")
    )
    assert_valid_view(settings_readonly_modal(hostile).to_dict())
    changes = [SettingsChange(f.name, "1", HOSTILE_NAMES[1]) for f in setting_fields()]
    assert_valid_view(settings_saved_modal(changes).to_dict())


def test_values_are_read_as_typed_with_every_problem_keyed_by_block() -> None:
    submission = read_submission(
        _typed(lookback_days="1,000", conversion_benchmark="45.5 %", renewal_pipeline="  Renewals  "),
        DEFAULTS,
        {},
    )
    assert submission.errors == {}
    assert submission.values == {
        "lookback_days": 1000,
        "conversion_benchmark": 45.5,
        "renewal_pipeline": "Renewals",
    }
    bad = read_submission(
        _typed(lookback_days="12.5", max_plausible_amount="0", late_stage_count="nan"), DEFAULTS, {}
    )
    assert bad.errors == {
        "settings.lookback_days": "Type a whole number, such as 30.",
        "settings.max_plausible_amount": "Input should be greater than 0.",
        "settings.late_stage_count": "Type a whole number, such as 30.",
    }


def test_a_lookback_longer_than_the_crm_is_read_is_refused() -> None:
    refused = read_submission(_typed(lookback_days="400"), DEFAULTS, {}, lookback_limit=365)
    assert refused.errors == {
        "settings.lookback_days": "The CRM is read 365 days back (HUBSPOT_LOOKBACK_DAYS): choose at most 365."
    }
    assert read_submission(_typed(lookback_days="365"), DEFAULTS, {}, lookback_limit=365).errors == {}


def test_overrides_that_no_longer_apply_fall_back_to_the_environment() -> None:
    settings, dropped = effective_settings(
        DEFAULTS, {"lookback_days": 90, "removed_threshold": 3, "stale_activity_days": -4}
    )
    assert settings.analysis.lookback_days == 90
    assert settings.analysis.stale_activity_days == DEFAULTS.analysis.stale_activity_days
    assert sorted(dropped) == ["removed_threshold", "stale_activity_days"]


def test_admin_user_ids_are_read_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "U012AB3CD, U045EF6GH")
    monkeypatch.setenv("DEFAULT_PIPELINE", "Enterprise")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.admin_user_ids == frozenset({"U012AB3CD", "U045EF6GH"})
    assert settings.workspace().default_pipeline == "Enterprise"


def test_a_typed_pipeline_must_exist_when_the_pipelines_are_known() -> None:
    pipelines = {
        "deals": [("default", "Sales Pipeline"), ("777", "Renewals & Expansion")],
        "tickets": [("0", "Support"), ("88", "Onboarding")],
    }
    typo = read_submission(
        _typed(default_pipeline="Renewals and Expansion"), DEFAULTS, {}, pipelines=pipelines
    )
    assert typo.errors == {"settings.default_pipeline": "No deal pipeline has this id or label."}
    by_label = read_submission(
        _typed(default_pipeline="renewals & expansion"), DEFAULTS, {}, pipelines=pipelines
    )
    assert by_label.values == {"default_pipeline": "renewals & expansion"}
    # One already set is left alone (the environment's may name a pipeline the portal lacks).
    kept = read_submission(
        _typed(renewal_pipeline="Old renewals", lookback_days="90"),
        WorkspaceSettings(analysis=AnalysisConfig(renewal_pipeline="Old renewals")),
        {},
        pipelines=pipelines,
    )
    assert kept.errors == {}
    ticket = read_submission(
        _typed(onboarding_ticket_pipeline="Sales Pipeline"), DEFAULTS, {}, pipelines=pipelines
    )
    assert ticket.errors == {
        "settings.onboarding_ticket_pipeline": "No ticket pipeline has this id or label."
    }
    assert (
        read_submission(
            _typed(onboarding_ticket_pipeline="onboarding"), DEFAULTS, {}, pipelines=pipelines
        ).errors
        == {}
    )
