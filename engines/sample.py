"""The built-in sample portal: a deterministic, realistic B2B SaaS CRM, from a handful to a million deals.

It is the default data source (no account needed) and the benchmark input, so it must look like a real
portal - HubSpot's default sales pipeline, a renewals/expansion pipeline and a partner pipeline with
numeric stage ids, consistent stage histories, open deals past their close date, quiet deals - and it
must carry the messy data real portals have (missing and zero amounts, a stage id the pipeline no
longer lists, an archived stage, a missing stage-entry time, a deal name with Slack control text).

Deals are built without validation (:mod:`engines.trusted`, a faster ``model_construct``) from values
that are valid by construction: the lenient parsers in :mod:`engines.models` are for CRM input, and
validating a million generated deals would double the time it takes to make them.
Everything is relative to ``now`` and drawn from ``random.Random(seed)``, so a seed and a ``now`` always
give the same portal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engines.dates import to_utc, utc_now
from engines.deal_table import DealTable
from engines.models import Deal, Owner, Pipeline, PortalInfo, PortalSnapshot, Stage
from engines.sample_objects import sample_objects
from engines.trusted import trusted_maker

__all__ = ["PORTAL_ID", "generate_portal", "sample_owners", "sample_pipelines"]

PORTAL_ID = 24681357
UNLISTED_STAGE_ID = "legacyqualification"
ARCHIVED_STAGE_ID = "39105899"
MESSY_NAME = "Acme <!channel> & Partners <b>renewal</b>"

_new_deal = trusted_maker(Deal)

_COMPANIES = (
    "Northwind", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Analytics", "Hooli",
    "Vandelay Imports", "Soylent Foods", "Tyrell Robotics", "Cyberdyne", "Aperture Labs", "Pied Piper",
    "Wonka Retail", "Gringotts Finance", "Oscorp", "Massive Dynamic", "Dunder Paper", "Blue Sun",
    "Monarch Solutions", "Virtucon", "Bluth Homes", "Prestige Worldwide", "Nakatomi Trading",
)  # fmt: skip
_PRODUCTS = ("Platform", "Analytics add-on", "Enterprise plan", "Seats expansion", "Onboarding package")


def sample_pipelines() -> tuple[Pipeline, ...]:
    """HubSpot's default sales pipeline, a renewals pipeline and a partner pipeline (numeric ids)."""
    default = Pipeline(
        id="default",
        label="Sales Pipeline",
        display_order=0,
        stages=(
            Stage(id="appointmentscheduled", label="Appointment Scheduled", display_order=0, probability=0.2),
            Stage(id="qualifiedtobuy", label="Qualified To Buy", display_order=1, probability=0.4),
            Stage(
                id="presentationscheduled", label="Presentation Scheduled", display_order=2, probability=0.6
            ),
            Stage(
                id="decisionmakerboughtin", label="Decision Maker Bought-In", display_order=3, probability=0.8
            ),
            Stage(id="contractsent", label="Contract Sent", display_order=4, probability=0.9),
            Stage(id="closedwon", label="Closed Won", display_order=5, is_closed=True, probability=1.0),
            Stage(id="closedlost", label="Closed Lost", display_order=6, is_closed=True, probability=0.0),
        ),
    )
    renewals = Pipeline(
        id="14620931",
        label="Renewals & Expansion",
        display_order=1,
        stages=(
            Stage(id="39105881", label="Renewal Due", display_order=0, probability=0.5),
            Stage(id="39105882", label="Health Check", display_order=1, probability=0.6),
            Stage(id="39105883", label="Proposal Sent", display_order=2, probability=0.8),
            Stage(id="39105884", label="Renewed", display_order=3, is_closed=True, probability=1.0),
            Stage(id="39105885", label="Churned", display_order=4, is_closed=True, probability=0.0),
            Stage(
                id=ARCHIVED_STAGE_ID, label="Legacy Review", display_order=5, probability=0.5, archived=True
            ),
        ),
    )
    partner = Pipeline(
        id="28211945",
        label="Partner Deals",
        display_order=2,
        stages=(
            Stage(id="61200301", label="Partner Referral", display_order=0, probability=0.1),
            Stage(id="61200302", label="Joint Discovery", display_order=1, probability=0.3),
            Stage(id="61200303", label="Joint Proposal", display_order=2, probability=0.7),
            Stage(id="61200304", label="Won", display_order=3, is_closed=True, probability=1.0),
            Stage(id="61200305", label="Lost", display_order=4, is_closed=True, probability=0.0),
        ),
    )
    return (default, renewals, partner)


def sample_owners() -> tuple[Owner, ...]:
    people = (
        ("Maya", "Lindqvist"), ("Jonas", "Okafor"), ("Priya", "Raman"), ("Diego", "Alvarez"),
        ("Hannah", "Becker"), ("Tom", "O'Neill"), ("Aiko", "Tanaka"), ("Sam", "Whitfield"),
    )  # fmt: skip
    return tuple(
        Owner(
            id=str(51234001 + i),
            email=f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com",
            first_name=first,
            last_name=last,
        )
        for i, (first, last) in enumerate(people)
    )


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the generator needs of a pipeline, resolved once."""

    pipeline_id: str
    open_ids: tuple[str, ...]
    won_id: str
    lost_id: str
    amount_mu: float
    expansion: float  # share of existing-business deals


def _shapes(pipelines: tuple[Pipeline, ...]) -> tuple[_Shape, ...]:
    mus = {"default": 9.9, "14620931": 9.5, "28211945": 10.3}
    expansion = {"default": 0.15, "14620931": 1.0, "28211945": 0.0}
    out = []
    for p in pipelines:
        won = next(s.id for s in p.stages if s.is_won)
        lost = next(s.id for s in p.stages if s.is_lost)
        out.append(_Shape(p.id, tuple(s.id for s in p.open_stages), won, lost, mus[p.id], expansion[p.id]))
    return tuple(out)


def generate_portal(
    *,
    deals: int = 240,
    seed: int = 7,
    now: datetime | None = None,
    tickets: int | None = None,
    surveys: int | None = None,
    objects: bool = True,
) -> PortalSnapshot:
    """A snapshot of ``deals`` sample deals taken at ``now`` (default: the current time).

    The portal's other objects follow the deals (:mod:`engines.sample_objects`): ``tickets`` (default
    ``deals // 2``) onboarding, feature-request and support tickets, ``surveys`` (default ``deals // 2``)
    NPS/CSAT/CES responses, 1 to 3 line items per deal (2 on average), one contact per deal, products
    old and new, and goal targets for the current quarter. They come from their own random stream, so
    the deals of a seed are the same with or without them (``objects=False``: deals only).
    """
    taken = to_utc(now) if now is not None else None
    taken = taken or utc_now()
    rng = random.Random(seed)
    pipelines = sample_pipelines()
    owners = sample_owners()
    owner_ids = tuple(o.id for o in owners)
    shapes = _shapes(pipelines)
    default, renewals, partner = shapes
    rows = [_deal(i, rng, taken, default, renewals, partner, owner_ids) for i in range(max(0, deals))]
    count = max(0, deals)
    others = (
        sample_objects(
            tuple(rows),
            pipelines,
            owner_ids,
            now=taken,
            seed=seed,
            tickets=count // 2 if tickets is None else tickets,
            surveys=count // 2 if surveys is None else surveys,
        )
        if objects
        else {}
    )
    return PortalSnapshot.model_construct(
        portal=PortalInfo(portal_id=PORTAL_ID, time_zone="America/New_York", currency="USD"),
        pipelines=pipelines,
        owners=owners,
        deals=DealTable.from_deals(rows),  # the columns the analysis reads, built once
        taken_at=taken,
        source="sample",
        pipeline_id=None,
        lookback_days=None,
        deals_total=len(rows),
        truncated=False,
        warnings=(),
        **others,
    )


def _deal(
    i: int,
    rng: random.Random,
    now: datetime,
    default: _Shape,
    renewals: _Shape,
    partner: _Shape,
    owner_ids: tuple[str, ...],
) -> Deal:
    r = rng.random
    pick = r()
    shape = default if pick < 0.65 else renewals if pick < 0.85 else partner
    unlisted = i % 5003 == 7  # an open deal in a stage id the pipeline no longer lists
    archived = i % 401 == 17  # an open deal in an archived stage
    if unlisted:
        shape = default
    elif archived:
        shape = renewals
    outcome = r()
    if unlisted or archived:
        outcome *= 0.4  # always open
    opens = shape.open_ids
    entries: dict[str, datetime] = {}
    if outcome < 0.45:  # open: mostly young, skewed toward the early stages
        age = 2.0 + 210.0 * r() ** 1.8
        created = now - timedelta(days=age)
        reached = int(len(opens) * r() ** 1.4)
        stage = opens[reached]
        span = age * (0.4 + 0.6 * r())
        for j in range(reached + 1):
            entries[opens[j]] = created + timedelta(days=span * (j + r()) / (reached + 1)) if j else created
        close = now + timedelta(days=-25.0 + 115.0 * r())  # HubSpot's default close dates go stale
        activity = now - timedelta(days=min(age, 45.0 * r() ** 2.5))
        last_entry = entries[stage]
    else:
        age = 3.0 + 540.0 * r() ** 1.4
        created = now - timedelta(days=age)
        won = outcome < (0.93 if shape is renewals else 0.72)  # most renewals renew
        reached = len(opens) - 1 if won else int(len(opens) * r())
        cycle = min(age - 0.5, 14.0 + 160.0 * r() ** 1.5)
        close = created + timedelta(days=cycle)
        for j in range(reached + 1):
            entries[opens[j]] = created + timedelta(days=cycle * (j + r()) / (reached + 2)) if j else created
        stage = shape.won_id if won else shape.lost_id
        entries[stage] = close
        activity = close - timedelta(days=3.0 * r())
        last_entry = close
    amount: float | None = round(rng.lognormvariate(shape.amount_mu, 0.8), -2)
    if i % 97 == 3:
        amount = None
    elif i % 211 == 5:
        amount = 0.0
    name = f"{_COMPANIES[i % len(_COMPANIES)]} {i // len(_COMPANIES) + 1} - {_PRODUCTS[i % len(_PRODUCTS)]}"
    if i == 2:
        name = MESSY_NAME
    if unlisted:
        entries[UNLISTED_STAGE_ID] = entries.pop(stage)
        stage = UNLISTED_STAGE_ID
    elif archived:
        entries[ARCHIVED_STAGE_ID] = entries.pop(stage)
        stage = ARCHIVED_STAGE_ID
    if i % 53 == 11 and stage in entries and stage not in (shape.won_id, shape.lost_id):
        del entries[stage]
    values: dict[str, Any] = {
        "id": str(18_000_000_000 + i),
        "name": name,
        "amount": amount,
        "pipeline_id": shape.pipeline_id,
        "stage_id": stage,
        "owner_id": None if i % 61 == 13 else owner_ids[int(r() * len(owner_ids))],
        "deal_type": "existingbusiness" if r() < shape.expansion else "newbusiness",
        "currency": "USD",
        "created_at": created,
        "close_date": close,
        "last_activity_at": activity,
        "last_modified_at": max(activity, last_entry),
        "stage_entered_at": entries,
        "archived": False,
    }
    return _new_deal(values)
