"""Fixtures for the view builders: the sample portal analysed once, and adversarial at-risk lists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engines import analyze_all
from engines.models import AtRiskDeal, EngineName, EngineReport, PortalSnapshot, RiskReason
from engines.sample import generate_portal
from tests.support.clock import NOW

# Names a CRM can hold: mention and link forgeries, entities, emoji, formatting, controls, 500 chars.
HOSTILE_NAMES = (
    "<!channel> urgent",
    "<@U1> please look",
    "<!here|here> & <!everyone>",
    "<https://evil.example|Your invoice>",
    "Tom & Jerry's <b>deal</b>",
    "&" * 500,
    "<" * 500,
    "🔥💰🚀" * 167,
    ("<!channel> " * 60)[:500],
    "*bold* _it_ ~strike~ `code` > quote",
    "\x00\x1b[31mred\x07 \u202eevil",
    "<#C123> <!subteam^S1> &amp; &lt;",
    "",
)


@pytest.fixture(scope="session")
def sample() -> tuple[PortalSnapshot, list[EngineReport]]:
    snapshot = generate_portal(deals=200, seed=7, now=NOW)
    return snapshot, analyze_all(snapshot, now=NOW)


def hostile_rows(count: int, *, owner_email: str | None = None) -> tuple[AtRiskDeal, ...]:
    """``count`` at-risk rows whose every CRM string is hostile; amounts vary, some missing."""
    rows = []
    for n in range(count):
        name = HOSTILE_NAMES[n % len(HOSTILE_NAMES)]
        url = (
            f"https://app.hubspot.com/contacts/1/record/0-3/{n}|<!channel>"
            if n % 5 == 0
            else "javascript:alert(1)"
            if n % 7 == 0
            else "https://app.hubspot.com/" + "x" * 3000
            if n % 11 == 0
            else f"https://app.hubspot.com/contacts/1/record/0-3/{n}"
        )
        rows.append(
            AtRiskDeal(
                id=str(n) if n % 13 else "<!channel>" * 20,
                name=name or None,
                amount=None if n % 17 == 0 else float((n * 7919) % 100_000) + 0.5,
                stage_id="<stage>",
                stage_label=HOSTILE_NAMES[(n + 3) % len(HOSTILE_NAMES)] or None,
                pipeline_id="default",
                owner_id=f"o{n % 9}",
                owner_name=HOSTILE_NAMES[(n + 5) % len(HOSTILE_NAMES)] or None,
                owner_email=owner_email or f"rep{n % 9}@example.com",
                reasons=tuple(RiskReason)[: 1 + n % 3],
                days_in_stage=float(n % 400),
                days_since_activity=float(n % 90) if n % 4 else None,
                close_date=NOW - timedelta(days=n % 60),
                url=url,
            )
        )
    return tuple(rows)


def hostile_report(rows: tuple[AtRiskDeal, ...], engine: EngineName = EngineName.GROWTH) -> EngineReport:
    return EngineReport(
        engine=engine,
        score=12,
        pipeline="default",
        pipeline_label="<!channel> pipeline & co",
        purpose="Growth <@U1> & friends",
        as_of=NOW,
        currency="<b>",
        time_zone="Mars/Olympus",
        deals_analyzed=len(rows),
        at_risk=rows,
    )
