"""Innovation from feedback, feature-request tickets, products and line items.

- ``feedback_items``: survey responses with a non-empty ``hs_content`` answered in the window (the NPS
  date rule) plus tickets whose ``hs_ticket_category`` is in ``feature_request_categories`` created in
  the window; ``feedback_items_previous`` the same for the window before. A signal when it falls by more
  than ``feedback_drop_above`` % (30).
- ``feature_requests_closed``: feature-request tickets in a ``CLOSED`` stage with ``closed_date`` in the
  window; ``feature_request_days`` the median days from creation to close of those.
  ``feature_requests_open``: feature requests created in the window that are still open.
- ``new_products``: products created within ``new_product_days`` (365) before now.
- ``new_product_adoption``: of the deals won in the window (the report's pipelines), the % with at least
  one line item of a new product; ``new_product_revenue_share``: those line items' ``amount`` / the won
  value in the window, %.

Score (100 minus): no feedback collected (``points_no_feedback``), feedback falling
(``points_feedback_falling``), more than ``feature_requests_open_above`` % of the window's feature
requests still open (``points_feature_requests_piling``), no new product (``points_no_new_products``),
adoption below ``adoption_critical_below`` / ``adoption_warning_below`` (``points_adoption_*``). A rule
whose objects were not read deducts nothing. "Insufficient data" only when none of these objects holds
anything in the window.
"""

from __future__ import annotations

from decimal import Decimal

from engines.models import DataGap, Metric, MetricStatus, ObjectType, Signal, SignalType
from engines.objects._common import half_up, median_days, object_gap, rate
from engines.objects.facts import ObjectFacts
from engines.scoring import Deduction, above_status, below_status

__all__ = [
    "feedback_drop",
    "innovation_object_deductions",
    "innovation_object_gaps",
    "innovation_object_measurable",
    "innovation_object_metrics",
    "innovation_object_signals",
]


def _feedback_read(facts: ObjectFacts) -> bool:
    return facts.read(ObjectType.FEEDBACK_SUBMISSIONS) or facts.read(ObjectType.TICKETS)


def _feedback_counts(facts: ObjectFacts) -> tuple[int, int]:
    now = previous = 0
    if facts.read(ObjectType.FEEDBACK_SUBMISSIONS):
        now += facts.feedback.with_content
        previous += facts.feedback.with_content_previous
    if facts.read(ObjectType.TICKETS):
        now += facts.tickets.requests_created
        previous += facts.tickets.requests_created_previous
    return now, previous


def feedback_drop(facts: ObjectFacts) -> float | None:
    """By how many % feedback fell against the previous window (negative: it grew); ``None``: no base."""
    now, previous = _feedback_counts(facts)
    if previous == 0:
        return None
    return half_up(Decimal(previous - now) * 100 / Decimal(previous))


def _adoption(facts: ObjectFacts) -> tuple[float | None, float | None]:
    if not (facts.read(ObjectType.PRODUCTS) and facts.read(ObjectType.LINE_ITEMS)):
        return None, None
    pf = facts.products
    d = facts.deals
    return rate(pf.adopted_deals, len(d.won_ids)), rate(pf.new_product_amount, d.won_value)


def innovation_object_metrics(facts: ObjectFacts) -> dict[str, Metric]:
    cfg = facts.config
    days = facts.window.days
    out: dict[str, Metric] = {}
    if _feedback_read(facts):
        now, previous = _feedback_counts(facts)
        drop = feedback_drop(facts)
        falling = drop is not None and drop > cfg.feedback_drop_above
        out["feedback_items"] = Metric(
            label="Feedback items",
            value=now,
            unit="items",
            status=MetricStatus.CRITICAL
            if now == 0
            else MetricStatus.WARNING
            if falling
            else MetricStatus.HEALTHY,
            note=f"Survey responses with a comment and feature-request tickets, last {days} days"
            + (f" ({-drop:+} % on the {days} days before)." if drop is not None else "."),
        )
        out["feedback_items_previous"] = Metric(
            label="Feedback items, previous window",
            value=previous,
            unit="items",
            status=MetricStatus.HEALTHY,
            note=f"The same count for the {days} days before.",
        )
    if facts.read(ObjectType.TICKETS):
        tf = facts.tickets
        out["feature_requests_closed"] = Metric(
            label="Feature requests closed",
            value=len(tf.requests_closed_seconds),
            unit="tickets",
            status=MetricStatus.HEALTHY
            if tf.requests_closed_seconds or not tf.requests_any
            else MetricStatus.WARNING,
            note=f"Feature-request tickets ({', '.join(cfg.feature_request_categories)}) closed in the last "
            f"{days} days.",
        )
        median = median_days(tf.requests_closed_seconds)
        if median is not None:
            out["feature_request_days"] = Metric(
                label="Feature request turnaround",
                value=median,
                unit="days",
                status=MetricStatus.HEALTHY,
                note="Median days from creation to close of the feature requests closed in the window.",
            )
        open_share = rate(tf.requests_created_open, tf.requests_created)
        out["feature_requests_open"] = Metric(
            label="Feature requests still open",
            value=tf.requests_created_open,
            unit="tickets",
            status=above_status(open_share, 100.0, cfg.feature_requests_open_above)
            if open_share is not None
            else MetricStatus.HEALTHY,
            note=f"Of {tf.requests_created} feature requests created in the last {days} days "
            f"({open_share if open_share is not None else 0} % still open).",
            benchmark=cfg.feature_requests_open_above,
        )
    if facts.read(ObjectType.PRODUCTS):
        pf = facts.products
        out["new_products"] = Metric(
            label="New products",
            value=pf.new_products,
            unit="products",
            status=MetricStatus.HEALTHY if pf.new_products else MetricStatus.WARNING,
            note=f"Products created in the last {cfg.new_product_days} days.",
        )
        adoption, share = _adoption(facts)
        if adoption is not None:
            out["new_product_adoption"] = Metric(
                label="New product adoption",
                value=adoption,
                unit="%",
                status=below_status(adoption, cfg.adoption_critical_below, cfg.adoption_warning_below),
                note=f"{pf.adopted_deals} of {len(facts.deals.won_ids)} deals won in the last {days} days "
                "have a line item of a new product.",
                benchmark=cfg.adoption_warning_below,
            )
        if share is not None:
            out["new_product_revenue_share"] = Metric(
                label="New product revenue share",
                value=share,
                unit="%",
                status=MetricStatus.HEALTHY if share > 0 else MetricStatus.WARNING,
                note=f"Line-item amounts of new products / won value ({facts.deals.won_value:,.2f}) of deals "
                f"won in the last {days} days.",
            )
    return out


def innovation_object_measurable(facts: ObjectFacts) -> bool:
    """Something in the window: feedback, feature requests, a new product or line items of won deals."""
    now, _ = _feedback_counts(facts)
    if now:
        return True
    if facts.read(ObjectType.TICKETS) and facts.tickets.requests_closed_seconds:
        return True
    if facts.read(ObjectType.PRODUCTS) and facts.products.new_products:
        return True
    return (
        facts.read(ObjectType.LINE_ITEMS)
        and facts.read(ObjectType.PRODUCTS)
        and bool(facts.products.line_items_on_won)
    )


def innovation_object_deductions(facts: ObjectFacts) -> list[Deduction]:
    cfg = facts.config
    out: list[Deduction] = []
    if _feedback_read(facts):
        now, _ = _feedback_counts(facts)
        drop = feedback_drop(facts)
        if now == 0:
            out.append(Deduction("feedback_items", cfg.points_no_feedback, "no feedback collected"))
        elif drop is not None and drop > cfg.feedback_drop_above:
            out.append(Deduction("feedback_items", cfg.points_feedback_falling, "feedback falling"))
    if facts.read(ObjectType.TICKETS):
        tf = facts.tickets
        share = rate(tf.requests_created_open, tf.requests_created)
        if share is not None and share > cfg.feature_requests_open_above:
            out.append(
                Deduction(
                    "feature_requests_open", cfg.points_feature_requests_piling, "feature requests piling up"
                )
            )
    if facts.read(ObjectType.PRODUCTS):
        if facts.products.new_products == 0:
            out.append(Deduction("new_products", cfg.points_no_new_products, "no new products"))
        adoption, _ = _adoption(facts)
        if adoption is not None:
            if adoption < cfg.adoption_critical_below:
                out.append(
                    Deduction("new_product_adoption", cfg.points_adoption_critical, "new products unsold")
                )
            elif adoption < cfg.adoption_warning_below:
                out.append(Deduction("new_product_adoption", cfg.points_adoption_warning, "low adoption"))
    return out


def innovation_object_signals(facts: ObjectFacts) -> list[Signal]:
    cfg = facts.config
    drop = feedback_drop(facts)
    if drop is None or drop <= cfg.feedback_drop_above:
        return []
    now, previous = _feedback_counts(facts)
    days = facts.window.days
    return [
        Signal(
            type=SignalType.FEEDBACK_DROP,
            name="Customer feedback is drying up",
            strength=round(max(0.0, min(1.0, drop / 100.0)), 3),
            evidence={
                "feedback_items": now,
                "feedback_items_previous": previous,
                "drop_percent": drop,
                "window_days": days,
                "threshold_percent": cfg.feedback_drop_above,
            },
            recommended_action="Ask customers again: send a survey, review the feature-request intake.",
        )
    ]


def innovation_object_gaps(facts: ObjectFacts) -> list[DataGap]:
    snap = facts.snapshot
    gaps: list[DataGap] = []
    for object_type, key, unlocks, empty in (
        (
            ObjectType.FEEDBACK_SUBMISSIONS,
            "customer_feedback",
            "feedback collected from survey comments",
            not snap.feedback,
        ),
        (
            ObjectType.TICKETS,
            "feature_requests",
            "feature requests collected, closed and their turnaround",
            not snap.tickets,
        ),
        (ObjectType.PRODUCTS, "products", "new products and their adoption", not snap.products),
        (
            ObjectType.LINE_ITEMS,
            "line_items",
            "new product adoption and revenue share",
            not snap.line_items,
        ),
    ):
        gap = object_gap(snap, object_type, key, unlocks, empty=empty)
        if gap is not None:
            gaps.append(gap)
    if facts.read(ObjectType.TICKETS) and snap.tickets and facts.tickets.requests_any == 0:
        categories = ", ".join(facts.config.feature_request_categories)
        gaps.append(
            DataGap(
                key="feature_requests",
                missing=f"no ticket with category {categories} (the feature_request_categories setting; "
                "HubSpot's ticket category needs Service Hub Enterprise)",
                unlocks="feature requests collected, closed and their turnaround",
            )
        )
    if facts.read(ObjectType.PRODUCTS) and facts.read(ObjectType.LINE_ITEMS) and not facts.deals.won_ids:
        gaps.append(
            DataGap(
                key="won_deals_in_window",
                missing=f"no deal won in the last {facts.window.days} days",
                unlocks="new product adoption and revenue share",
            )
        )
    return gaps
