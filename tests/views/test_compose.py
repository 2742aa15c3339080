"""The composers end to end: the real OwnerDirectory over the loopback Slack Web API, the sample portal,
and the produced views and messages checked against every limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.compose import compose_deal, compose_drilldown, compose_home
from bot.blocks.drilldown import PAGE_SIZE
from bot.blocks.ids import DrilldownRef
from bot.blocks.rows import at_risk_rows
from bot.slack.owners import OwnerDirectory
from engines.models import EngineName, EngineReport, PortalSnapshot
from tests.fakes.slack import FakeSlack
from tests.views.limits import check_message, check_view

Sample = tuple[PortalSnapshot, list[EngineReport]]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token="xoxb-compose") as fake:
        yield fake


@pytest.fixture
def owners(slack: FakeSlack) -> OwnerDirectory:
    return OwnerDirectory(AsyncWebClient(token="xoxb-compose", base_url=slack.base_url, retry_handlers=[]))


async def test_drilldown_page_mentions_matched_owners_only(
    sample: Sample, slack: FakeSlack, owners: OwnerDirectory
) -> None:
    snapshot, reports = sample
    ref = DrilldownRef.for_report(reports[0])
    assert ref is not None
    first_page = at_risk_rows(reports[0])[:PAGE_SIZE]
    matched = next(r for r in first_page if r.owner_email)
    assert matched.owner_email is not None
    slack.add_user("U0MATCH", matched.owner_email)

    view = await compose_drilldown(ref, reports, snapshot, owners, as_modal=True)
    assert isinstance(view, View)
    data = check_view(view, frozenset({"U0MATCH"}))
    assert "<@U0MATCH>" in str(data["blocks"])

    asked = {c.payload["email"] for c in slack.calls_to("users.lookupByEmail")}
    assert asked == {r.owner_email.casefold() for r in first_page if r.owner_email}

    message = await compose_drilldown(
        ref.at_page(1), reports, snapshot, owners, as_modal=False, replace_original=True
    )
    assert isinstance(message, dict)
    check_message(message, frozenset({"U0MATCH"}))
    assert message["replace_original"] is True


async def test_a_vanished_signal_says_so(sample: Sample, owners: OwnerDirectory) -> None:
    snapshot, reports = sample
    ref = DrilldownRef(engine=EngineName.GROWTH, signal="ffffffffffff")
    message = await compose_drilldown(ref, reports, snapshot, owners, as_modal=False)
    assert isinstance(message, dict)
    check_message(message)
    assert "no longer available" in message["blocks"][0]["text"]["text"]


async def test_deal_card_mentions_the_owner(sample: Sample, slack: FakeSlack, owners: OwnerDirectory) -> None:
    snapshot, reports = sample
    deal = next(d for d in snapshot.deals if d.name and snapshot.owner(d.owner_id))
    owner = snapshot.owner(deal.owner_id)
    assert owner is not None
    assert owner.email is not None
    slack.add_user("U0DEAL", owner.email)

    message = (await compose_deal(deal.id, reports, snapshot, owners)).to_dict()

    check_message(message, frozenset({"U0DEAL"}))
    assert "<@U0DEAL>" in str(message["blocks"])
    many = (await compose_deal("a", reports, snapshot, owners)).to_dict()
    check_message(many)
    assert len(slack.calls_to("users.lookupByEmail")) == 1  # a pick list resolves no owners
    assert "deal_none" in str((await compose_deal("no such deal", reports, snapshot, None)).to_dict())


async def test_home_for_a_matched_and_an_unknown_viewer(
    sample: Sample, slack: FakeSlack, owners: OwnerDirectory
) -> None:
    snapshot, reports = sample
    owner = next(
        o for o in snapshot.owners if o.email and any(r.owner_id == o.id for r in reports[0].at_risk)
    )
    assert owner.email is not None
    slack.add_user("U0REP", owner.email.upper())
    slack.add_user("U0NOMAIL", None)

    mine = check_view(await compose_home("U0REP", reports, snapshot, owners, pipeline=None))
    assert any(str(b.get("block_id")) == "home_mine_0" for b in mine["blocks"])

    nobody = check_view(await compose_home("U0NOMAIL", reports, snapshot, owners))
    assert "can't read an e-mail address" in str(nobody["blocks"])
    offline = check_view(await compose_home("U0REP", reports, snapshot, None))
    assert "can't read an e-mail address" in str(offline["blocks"])
    assert [c.payload["user"] for c in slack.calls_to("users.info")] == ["U0REP", "U0NOMAIL"]
