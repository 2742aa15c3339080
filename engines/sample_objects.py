"""The sample portal's CRM objects besides deals, consistent with its deals.

- products: five long-standing ones and three launched within the last year;
- line items: 1 to 3 per deal (2 on average) that split the deal's amount; deals created after a new
  product's launch carry it about a quarter of the time;
- contacts: one per deal, entering ``lead`` over the last 400 days and moving on through MQL, SQL,
  opportunity and customer (about half reach a qualified stage);
- tickets (two pipelines: "Support Pipeline" and "Customer Onboarding"): onboarding tickets opened when
  a deal is won and closed weeks later (some still open, some overdue), feature requests
  (``FEATURE_REQUEST``) and other support tickets;
- feedback submissions: NPS (0-10), CSAT (response groups) and CES responses over the last 400 days,
  a third of them with a comment;
- goal targets: four quotas for the current quarter (in the portal's time zone) sized so coverage is
  realistic, and one of the previous quarter.

Records are built without validation (:mod:`engines.trusted`) from values valid by construction, from
``random.Random(seed + 1)``, so the deals of a seed do not change with them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from engines.models import (
    Contact,
    Deal,
    FeedbackSubmission,
    GoalTarget,
    LineItem,
    ObjectRead,
    ObjectType,
    Pipeline,
    Product,
    ReadState,
    Stage,
    Ticket,
)
from engines.objects.facts import quarter_of
from engines.trusted import trusted_maker

__all__ = ["ONBOARDING_PIPELINE_ID", "SUPPORT_PIPELINE_ID", "sample_objects", "sample_ticket_pipelines"]

SUPPORT_PIPELINE_ID = "0"
ONBOARDING_PIPELINE_ID = "8412345"
_TIME_ZONE = "America/New_York"

_MAKERS: dict[type, Any] = {
    cls: trusted_maker(cls) for cls in (Contact, Ticket, FeedbackSubmission, Product, LineItem, GoalTarget)
}
_OLD_PRODUCTS = ("Platform", "Analytics add-on", "Enterprise plan", "Seats expansion", "Onboarding package")
_NEW_PRODUCTS = (("AI Forecasting", 45.0), ("Revenue Insights", 160.0), ("Slack Connector", 290.0))
_REQUESTS = (
    "Export to CSV",
    "SSO with Okta",
    "Dark mode",
    "API webhooks",
    "Custom fields on reports",
    "Mobile app",
)
_COMMENTS = (
    "Onboarding was smooth, the team was quick.",
    "Please add an export of the forecast.",
    "Reports take too long to load.",
    "We would love a Salesforce sync.",
    "Great support, fixed within the day.",
    "Pricing is hard to understand.",
)
_SUPPORT_CATEGORIES = ("PRODUCT_ISSUE", "BILLING_ISSUE", "GENERAL_INQUIRY")


def sample_ticket_pipelines() -> tuple[Pipeline, ...]:
    """HubSpot's default support pipeline and an onboarding pipeline (stage ``ticketState`` -> closed)."""
    support = Pipeline(
        id=SUPPORT_PIPELINE_ID,
        label="Support Pipeline",
        stages=(
            Stage(id="1", label="New", display_order=0),
            Stage(id="2", label="Waiting on contact", display_order=1),
            Stage(id="3", label="Waiting on us", display_order=2),
            Stage(id="4", label="Closed", display_order=3, is_closed=True),
        ),
    )
    onboarding = Pipeline(
        id=ONBOARDING_PIPELINE_ID,
        label="Customer Onboarding",
        display_order=1,
        stages=(
            Stage(id="8412346", label="Kickoff", display_order=0),
            Stage(id="8412347", label="Configuration", display_order=1),
            Stage(id="8412348", label="Training", display_order=2),
            Stage(id="8412349", label="Live", display_order=3, is_closed=True),
        ),
    )
    return (support, onboarding)


def _make(cls: Any, values: dict[str, Any]) -> Any:
    for key, value in values.items():
        if isinstance(value, datetime) and value.microsecond % 1000:
            values[key] = value.replace(microsecond=value.microsecond // 1000 * 1000)  # HubSpot keeps ms
    return _MAKERS[cls](values)


def _products(now: datetime) -> list[Product]:
    out = []
    for i, name in enumerate(_OLD_PRODUCTS):
        created = now - timedelta(days=1500.0 - 200.0 * i)
        out.append(
            _make(
                Product,
                {"id": str(1_500_100 + i), "name": name, "created_at": created, "last_modified_at": created},
            )
        )
    for j, (name, age) in enumerate(_NEW_PRODUCTS):
        created = now - timedelta(days=age)
        out.append(
            _make(
                Product,
                {"id": str(1_500_200 + j), "name": name, "created_at": created, "last_modified_at": created},
            )
        )
    return out


def _line_items(deals: tuple[Deal, ...], products: list[Product], rng: random.Random) -> list[LineItem]:
    old = [p for p in products if p.name in _OLD_PRODUCTS]
    new = [p for p in products if p.name not in _OLD_PRODUCTS]
    out: list[LineItem] = []
    r = rng.random
    next_id = 30_000_000_000
    for i, d in enumerate(deals):
        count = 1 + i % 3
        created = d.created_at
        launched = [
            p for p in new if created is not None and p.created_at is not None and p.created_at <= created
        ]
        amount = d.amount
        for k in range(count):
            product = (
                launched[int(r() * len(launched))] if launched and r() < 0.25 else old[int(r() * len(old))]
            )
            value = None if amount is None else round(amount / count, 2)
            out.append(
                _make(
                    LineItem,
                    {
                        "id": str(next_id),
                        "deal_id": d.id,
                        "product_id": product.id,
                        "name": product.name,
                        "amount": value,
                        "last_modified_at": d.last_modified_at,
                    },
                )
            )
            next_id += 1
            del k
    return out


def _contacts(count: int, now: datetime, rng: random.Random) -> list[Contact]:
    r = rng.random
    out: list[Contact] = []
    ladder = ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
    chances = (0.55, 0.6, 0.7, 0.5)
    for i in range(count):
        lead = now - timedelta(days=400.0 * r())
        created = lead - timedelta(days=3.0 * r())
        lead = lead.replace(microsecond=lead.microsecond // 1000 * 1000)
        created = created.replace(microsecond=created.microsecond // 1000 * 1000)
        entered: dict[str, datetime] = {"subscriber": created, "lead": lead}
        when = lead
        stage = "lead"
        for name, chance in zip(ladder, chances, strict=True):
            if r() >= chance:
                break
            when = when + timedelta(days=2.0 + 30.0 * r())
            if when > now:
                break
            entered[name] = when.replace(microsecond=when.microsecond // 1000 * 1000)
            stage = name
        out.append(
            _make(
                Contact,
                {
                    "id": str(40_000_000_000 + i),
                    "lifecycle_stage": stage,
                    "created_at": created,
                    "last_modified_at": when,
                    "stage_entered_at": entered,
                },
            )
        )
    return out


def _tickets(
    count: int, won: list[Deal], owner_ids: tuple[str, ...], now: datetime, rng: random.Random
) -> list[Ticket]:
    r = rng.random
    out: list[Ticket] = []
    values: dict[str, Any]
    open_support = ("1", "2", "3")
    open_onboarding = ("8412346", "8412347", "8412348")
    for i in range(count):
        pick = r()
        ticket_id = str(50_000_000_000 + i)
        owner = owner_ids[int(r() * len(owner_ids))]
        if pick < 0.4 and won:
            deal = won[int(r() * len(won))]
            start = deal.close_date or now
            created = min(now, start + timedelta(days=3.0 * r()))
            done = created + timedelta(days=8.0 + 70.0 * r() ** 1.6 + (90.0 if r() < 0.15 else 0.0))
            closed = done if done <= now else None
            values = {
                "subject": f"Onboarding: {deal.name}",
                "pipeline_id": ONBOARDING_PIPELINE_ID,
                "stage_id": "8412349" if closed else open_onboarding[int(r() * 3)],
                "category": None,
            }
        else:
            created = now - timedelta(days=400.0 * r())
            request = pick < 0.65
            done = created + timedelta(days=(5.0 + 120.0 * r()) if request else (0.2 + 10.0 * r()))
            closed = done if done <= now and r() < (0.55 if request else 0.9) else None
            category = "FEATURE_REQUEST" if request else _SUPPORT_CATEGORIES[int(r() * 3)]
            subject = (
                _REQUESTS[i % len(_REQUESTS)]
                if request
                else f"Help with {category.lower().replace('_', ' ')}"
            )
            values = {
                "subject": subject,
                "pipeline_id": SUPPORT_PIPELINE_ID,
                "stage_id": "4" if closed else open_support[int(r() * 3)],
                "category": category,
            }
        values.update(
            {
                "id": ticket_id,
                "owner_id": owner,
                "created_at": created,
                "closed_at": closed,
                "last_modified_at": closed or created,
            }
        )
        out.append(_make(Ticket, values))
    return out


_NPS_WEIGHTS = (2, 1, 1, 2, 2, 4, 6, 9, 14, 24, 35)  # scores 0..10: about +25


def _surveys(count: int, now: datetime, rng: random.Random) -> list[FeedbackSubmission]:
    r = rng.random
    out: list[FeedbackSubmission] = []
    scores = [score for score, weight in enumerate(_NPS_WEIGHTS) for _ in range(weight)]
    for i in range(count):
        pick = r()
        submitted = now - timedelta(days=400.0 * r())
        value: float
        if pick < 0.55:
            kind = "NPS"
            value = float(scores[int(r() * len(scores))])
            group = "PROMOTER" if value >= 9 else "PASSIVE" if value >= 7 else "DETRACTOR"
        elif pick < 0.9:
            kind = "CSAT"
            roll = r()
            value = 2.0 if roll < 0.76 else 1.0 if roll < 0.9 else 0.0
            group = ("DETRACTOR", "PASSIVE", "PROMOTER")[int(value)]
        else:
            kind = "CES"
            value = float(1 + int(r() * 7))
            group = None
        comment = _COMMENTS[i % len(_COMMENTS)] if r() < 0.35 else None
        out.append(
            _make(
                FeedbackSubmission,
                {
                    "id": str(60_000_000_000 + i),
                    "survey_type": kind,
                    "value": value,
                    "response_group": group,
                    "content": comment,
                    "submitted_at": submitted,
                    "created_at": submitted + timedelta(seconds=5),
                    "last_modified_at": submitted + timedelta(seconds=5),
                },
            )
        )
    return out


def _goals(
    deals: tuple[Deal, ...], pipelines: tuple[Pipeline, ...], owner_ids: tuple[str, ...], now: datetime
) -> list[GoalTarget]:
    """Four quotas of the current quarter, sized for a coverage of about 2.6x, and an expired one."""
    start, end = quarter_of(now, _TIME_ZONE)
    kinds = {(p.id, s.id): (s.is_won, s.is_closed) for p in pipelines for s in p.stages}
    won = open_value = 0.0
    for d in deals:
        close = d.close_date
        if close is None or not start <= close < end or d.amount is None or d.amount <= 0:
            continue
        is_won, is_closed = kinds.get((d.pipeline_id or "", d.stage_id or ""), (False, False))
        if is_won:
            won += d.amount
        elif not is_closed:
            open_value += d.amount
    total = round(won + open_value / 2.6, -2) or 100_000.0
    quarter = (start.month - 1) // 3 + 1 if start.month else 1
    out: list[GoalTarget] = []
    for i, owner in enumerate(owner_ids[:4]):
        out.append(
            _make(
                GoalTarget,
                {
                    "id": str(74_000 + i),
                    "name": f"Q{quarter} quota {owner}",
                    "target_amount": round(total / 4, 2),
                    "start_at": start,
                    "end_at": end,
                    "last_modified_at": start,
                },
            )
        )
    previous = start - timedelta(days=91)
    out.append(
        _make(
            GoalTarget,
            {
                "id": "74100",
                "name": "Previous quarter quota",
                "target_amount": total,
                "start_at": previous,
                "end_at": start,
                "last_modified_at": previous,
            },
        )
    )
    return out


def sample_objects(
    deals: tuple[Deal, ...],
    pipelines: tuple[Pipeline, ...],
    owner_ids: tuple[str, ...],
    *,
    now: datetime,
    seed: int,
    tickets: int,
    surveys: int,
) -> dict[str, Any]:
    """The snapshot fields of the other objects (see the module docstring), every type marked read."""
    rng = random.Random(seed + 1)
    won_stages = {(p.id, s.id) for p in pipelines for s in p.stages if s.is_won}
    won = [d for d in deals if (d.pipeline_id, d.stage_id) in won_stages and d.close_date is not None]
    products = _products(now)
    return {
        "contacts": tuple(_contacts(len(deals), now, rng)),
        "tickets": tuple(_tickets(tickets, won, owner_ids, now, rng)),
        "ticket_pipelines": sample_ticket_pipelines(),
        "feedback": tuple(_surveys(surveys, now, rng)),
        "products": tuple(products),
        "line_items": tuple(_line_items(deals, products, rng)),
        "goals": tuple(_goals(deals, pipelines, owner_ids, now)),
        "object_reads": {t: ObjectRead(state=ReadState.READ) for t in ObjectType},
    }
