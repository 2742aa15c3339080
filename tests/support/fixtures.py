"""Fixtures the bot's tests share: a loopback fake Slack, the sample portal, the same with hostile names.

Not a conftest: each test folder's ``conftest.py`` re-exports the fixtures it offers (``tests/unit/bot``,
``tests/scenarios``), so which fixture a test gets is written down next to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engines import PortalSnapshot
from engines.sample import generate_portal
from tests.support.clock import NOW
from tests.support.slack import FakeSlack

__all__ = ["HOSTILE_NAMES", "hostile_portal", "portal", "slack"]

HOSTILE_NAMES = (
    "<!channel> renewal",
    "<!here|here> & <!everyone>",
    "Acme <@U123ABC> expansion",
    "<https://evil.example/phish|Your invoice> & co",
    "<#C0GENERAL> <!subteam^S123|@sales>",
    "🚀 Émoji deal 💸 & <friends>",
    "&amp; already &lt;escaped&gt;",
    "x" * 250 + "<!channel>" + "&" * 240,
    "&" * 500,
    "line\nbreak\ttab\x1b[31mred\x07",
)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="session")
def portal() -> PortalSnapshot:
    return generate_portal(deals=240, now=NOW)


@pytest.fixture(scope="session")
def hostile_portal(portal: PortalSnapshot) -> PortalSnapshot:
    """The sample portal with every deal and owner name replaced by something an attacker would type."""
    deals = tuple(
        d.model_copy(update={"name": HOSTILE_NAMES[i % len(HOSTILE_NAMES)]})
        for i, d in enumerate(portal.deals)
    )
    owners = tuple(
        o.model_copy(update={"first_name": "<!channel>", "last_name": "&<@U999>" + "ø" * 300})
        for o in portal.owners
    )
    pipelines = tuple(
        p.model_copy(update={"label": "<!everyone> " + p.label + " & co"}) for p in portal.pipelines
    )
    return portal.model_copy(update={"deals": deals, "owners": owners, "pipelines": pipelines})
