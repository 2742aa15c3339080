"""Deal card, drill-down and Home tab over a portal whose every deal, owner and pipeline name is
hostile (``<!channel>``, forged mentions and links, ``&``, 500-character names): everything the real
app sends is checked on exit by the harness (slack_sdk models, Block Kit limits, nothing unescaped,
mentions only of users Slack resolved). And a source that fails with a bug: every surface apologises
without leaking the exception."""

from __future__ import annotations

import json

from engines import PortalSnapshot, ProgressCallback
from engines.errors import UnknownPipelineError
from tests.bot.harness import BotHarness
from tests.fakes.slack import FakeSlack


class FixedSource:
    """A snapshot source serving one given snapshot (the SnapshotSource protocol, no network)."""

    name = "fixed"

    def __init__(self, snapshot: PortalSnapshot) -> None:
        self._snapshot = snapshot

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        if pipeline is None:
            return self._snapshot
        found = self._snapshot.find_pipeline(pipeline)
        if found is None:
            raise UnknownPipelineError(pipeline, [p.label for p in self._snapshot.pipelines])
        return self._snapshot.model_copy(update={"pipeline_id": found.id})

    def invalidate(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_hostile_names_never_escape_into_any_deal_review_surface(
    slack: FakeSlack, hostile_portal: PortalSnapshot
) -> None:
    owner = next(o for o in hostile_portal.owners if o.email)
    assert owner.email is not None
    slack.add_user("U0HOST", owner.email)
    async with BotHarness(slack, FixedSource(hostile_portal)) as bot:
        _, card_key = await bot.command("growth")
        _, deal_key = await bot.command("deal channel")  # many hostile names contain "channel"
        _, one_key = await bot.command(f"deal {hostile_portal.deals[0].id}")
        await bot.home_opened(user="U0HOST", event_id="EvHostile1")
        await slack.wait_for(
            lambda s: (
                all(len(s.responses(k)) >= 1 for k in (card_key, deal_key, one_key))
                and len(s.calls_to("views.publish")) >= 2
            )
        )
        card = slack.responses(card_key)[0].payload
        drill = next(
            b["accessory"]
            for b in card["blocks"]
            if b.get("accessory", {}).get("action_id") == "drilldown_open"
        )
        await bot.click("drilldown_open", drill["value"], response_url=None)
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        assert "drilldown_row_0" in json.dumps(modal)
        picks = slack.responses(deal_key)[0].payload
        assert "deal_match_0" in json.dumps(picks)
        one = slack.responses(one_key)[0].payload
        assert one["blocks"][0]["block_id"] == "deal_header"
        home = slack.home_views["U0HOST"]
        assert "home_mine_title" in json.dumps(home)
        # the owner Slack knows is mentioned somewhere; everything else was escaped (checked on exit)
        assert "<@U0HOST>" in json.dumps(modal) + json.dumps(one)


class BrokenSource:
    """A source with a bug in it: every surface must apologise, never crash or leak the exception."""

    name = "broken"

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        raise RuntimeError("secret internals: password=hunter2")

    def invalidate(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_a_failing_source_gets_an_apology_on_every_deal_review_surface(slack: FakeSlack) -> None:
    async with BotHarness(slack, BrokenSource()) as bot:
        _, key = await bot.command("deal acme")
        await bot.click("drilldown_open", '{"engine":"growth"}', response_url=None)
        await bot.home_opened(user="U0REP", event_id="EvBroken1")
        await slack.wait_for(
            lambda s: (
                len(s.responses(key)) >= 1
                and len(s.calls_to("views.update")) >= 1
                and len(s.calls_to("views.publish")) >= 2
            )
        )
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        home = slack.home_views["U0REP"]
        deal = slack.responses(key)[0].payload
    assert deal["response_type"] == "ephemeral"
    for sent in (deal, modal, home):
        text = json.dumps(sent)
        assert "Sorry, something went wrong" in text
        assert "hunter2" not in text
    assert [b["block_id"] for b in modal["blocks"]] == ["drilldown_error"]
    assert [b["block_id"] for b in home["blocks"]] == ["home_error", "home_controls"]
