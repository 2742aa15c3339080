"""Analysis thresholds, all in one place.

Every number the analysis compares against lives here, so a RevOps lead can read (and override) the
rules behind a score without reading the code. The defaults keep the thresholds of the analysis this
bot descends from (volume 5/10, conversion 25/40 %, cycle 90/180 days, 70 % early-stage share, 30 days
per stage, 50 % conversion benchmark); docs/metrics.md ("How the numbers are computed") documents
each one and the point deductions of the scores.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnalysisConfig"]


class AnalysisConfig(BaseModel):
    """Frozen so one config can be shared by concurrent analyses without anyone mutating it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # ---- windows
    lookback_days: int = Field(default=180, ge=1, description="Win rate and sales cycle window.")
    stale_activity_days: int = Field(default=30, ge=1, description="At risk: no activity for longer.")
    max_open_age_days: int = Field(default=180, ge=1, description="At risk: open longer since created.")
    closing_soon_days: int = Field(default=30, ge=1, description="Fulfillment: close date this soon.")

    # ---- volume (open deals)
    volume_critical_below: int = 5
    volume_warning_below: int = 10

    # ---- average stage-to-stage conversion, percent
    conversion_critical_below: float = 25.0
    conversion_warning_below: float = 40.0
    conversion_benchmark: float = Field(default=50.0, description="Signal: a stage pair converting less.")

    # ---- sales cycle, days
    cycle_critical_above: float = 180.0
    cycle_warning_above: float = 90.0

    # ---- time in stage, days
    stage_days_benchmark: float = Field(default=30.0, gt=0, description="Signal: a stage slower than this.")

    # ---- where the open pipeline sits
    early_stage_fraction: float = Field(default=0.5, ge=0, le=1, description="First share of open stages.")
    early_stage_share_above: float = Field(default=70.0, description="Percent of open deals (and value).")
    late_stage_count: int = Field(default=2, ge=1, description="Last open stages that are 'late'.")

    # ---- at-risk share of open deals, percent
    at_risk_critical_above: float = 50.0
    at_risk_warning_above: float = 25.0

    # ---- win rate, percent (status and signal only; not a score rule)
    win_rate_critical_below: float = 15.0
    win_rate_warning_below: float = 25.0

    # ---- fulfillment: expansion share of won amount, percent
    expansion_critical_below: float = 10.0
    expansion_warning_below: float = 20.0
    renewal_pipeline: str | None = Field(default=None, description="Id or label of a renewals pipeline.")

    # ---- growth from contacts and goals (issue #13)
    qualified_lifecycle_stages: tuple[str, ...] = Field(
        default=("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"),
        description="Lifecycle stage ids that count as qualified (custom numeric ids allowed).",
    )
    lead_to_qualified_critical_below: float = 10.0
    lead_to_qualified_warning_below: float = 25.0
    revenue_target: float | None = Field(
        default=None, ge=0, description="Revenue target of the current calendar quarter (else goals)."
    )
    coverage_critical_below: float = 2.0
    coverage_warning_below: float = 3.0

    # ---- fulfillment from renewals, onboarding tickets and surveys (issue #13)
    gross_renewal_critical_below: float = 80.0
    gross_renewal_warning_below: float = 90.0
    net_renewal_critical_below: float = 90.0
    net_renewal_warning_below: float = 100.0
    onboarding_ticket_pipeline: str | None = Field(
        default=None, description="Id or label of the onboarding ticket pipeline."
    )
    time_to_value_critical_above: float = 60.0
    time_to_value_warning_above: float = 30.0
    onboarding_overdue_days: int = Field(default=45, ge=1, description="Onboarding open longer is overdue.")
    nps_critical_below: float = 0.0
    nps_warning_below: float = 30.0
    csat_critical_below: float = 60.0
    csat_warning_below: float = 80.0

    # ---- innovation from feedback, feature requests, products and line items (issue #13)
    feature_request_categories: tuple[str, ...] = Field(
        default=("FEATURE_REQUEST",), description="hs_ticket_category values that are feature requests."
    )
    feedback_drop_above: float = Field(default=30.0, description="Signal: feedback fell by more, percent.")
    feature_requests_open_above: float = Field(
        default=50.0, description="Percent of the window's feature requests still open: piling up."
    )
    new_product_days: int = Field(default=365, ge=1, description="Products created since are new.")
    adoption_critical_below: float = 5.0
    adoption_warning_below: float = 10.0

    # ---- data quality
    max_plausible_amount: float = Field(default=1e12, gt=0, description="Larger amounts count as 0.")
    field_completeness_below: float = Field(default=70.0, description="Signal: a field filled less often.")
    signal_min_deals: int = Field(default=5, ge=1, description="Fewest deals behind a rate signal.")
    stagnation_min_deals: int = Field(default=5, ge=1, description="Smallest stagnation cluster.")
    stagnation_share_above: float = Field(default=50.0, description="Percent stale deals in a cluster.")
    loss_concentration_above: float = Field(default=50.0, description="Percent of losses after one stage.")

    # ---- score deductions (points off 100 per failing rule)
    points_volume_critical: int = 30
    points_volume_warning: int = 15
    points_conversion_critical: int = 25
    points_conversion_warning: int = 10
    points_cycle_critical: int = 20
    points_cycle_warning: int = 10
    points_early_stage: int = 10
    points_at_risk_critical: int = 20
    points_at_risk_warning: int = 10
    points_expansion_critical: int = 30
    points_expansion_warning: int = 15
    points_late_stage_at_risk_critical: int = 25
    points_late_stage_at_risk_warning: int = 10
    points_gross_renewal_critical: int = 20
    points_gross_renewal_warning: int = 10
    points_net_renewal_critical: int = 15
    points_net_renewal_warning: int = 5
    points_nps_critical: int = 20
    points_nps_warning: int = 10
    points_time_to_value_critical: int = 15
    points_time_to_value_warning: int = 5
    points_no_feedback: int = 30
    points_feedback_falling: int = 15
    points_feature_requests_piling: int = 15
    points_no_new_products: int = 20
    points_adoption_critical: int = 20
    points_adoption_warning: int = 10

    # ---- report size
    max_signal_deal_ids: int = Field(default=100, ge=0, description="Deal ids kept per signal.")

    # ---- labels
    healthy_from: int = 70
    warning_from: int = 40
