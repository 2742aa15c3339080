"""Whole-snapshot reads against the loopback HubSpot: completeness, filters, paging, progress."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest

from engines.dates import utc_now
from engines.errors import HubSpotScopeError, UnknownPipelineError
from engines.hubspot import BASE_DEAL_PROPERTIES, HubSpotSource, RateLimits
from engines.models import PortalSnapshot
from engines.sample import generate_portal
from engines.source import Progress, SnapshotSource
from tests.support.hubspot import OWNERS, SEARCH, FakeHubSpot
from tests.unit.engines.hubspot.conftest import FAST_RETRY, RELAXED
from tests.unit.engines.hubspot.portal import make_portal


def _source(fake: FakeHubSpot, **options: object) -> HubSpotSource:
    options.setdefault("retry", FAST_RETRY)
    return HubSpotSource(fake.token, base_url=fake.base_url, **options)  # type: ignore[arg-type]


def _wanted_ids(portal: PortalSnapshot, pipeline: str | None = None) -> set[str]:
    """Open deals and deals closed within the lookback (the portal's old ones are 400 days back)."""
    old = {d.id for d in portal.deals if d.stage_id == "closedlost"}
    return {d.id for d in portal.deals if d.id not in old and (pipeline is None or d.pipeline_id == pipeline)}


async def test_reads_every_open_and_recently_closed_deal(
    hubspot: FakeHubSpot, portal: PortalSnapshot
) -> None:
    async with _source(hubspot) as source:
        assert isinstance(source, SnapshotSource)
        snap = await source.snapshot()
    expected = _wanted_ids(portal)
    assert {d.id for d in snap.deals} == expected
    assert len(snap.deals) == len(expected) == 485
    assert (snap.deals_total, snap.truncated, snap.warnings) == (485, False, ())
    assert (snap.source, snap.lookback_days, snap.pipeline_id) == ("hubspot", 180, None)
    assert snap.portal == portal.portal
    assert [p.id for p in snap.pipelines] == ["default", "14620931"]
    assert {o.id for o in snap.owners} == {"100", "101", "102"}
    by_id = {d.id: d for d in portal.deals}
    for deal in snap.deals[:25]:
        original = by_id[deal.id]
        assert deal.model_dump(exclude={"stage_entered_at"}) == original.model_dump(
            exclude={"stage_entered_at"}
        )
        assert deal.stage_entered_at == original.stage_entered_at
    assert snap.deal_url(snap.deals[0].id) == (
        f"https://app-eu1.hubspot.com/contacts/4242/record/0-3/{snap.deals[0].id}"
    )


async def test_search_asks_only_for_needed_properties_and_stays_within_hubspot_rules(
    hubspot: FakeHubSpot,
) -> None:
    # Deals only: their 3 searches stay under HubSpot's 5 a second without pacing. With the other
    # object types' searches too, the pacer would have to wait for the window, and on a loaded
    # machine a request reaching the fake later than the pacer's margin is answered 429 and read
    # again (a timing, not what this test is about: the pacing tests cover it).
    async with _source(hubspot, objects=()) as source:
        await source.snapshot()
    searches = hubspot.calls_to(SEARCH)
    assert len(searches) == math.ceil(485 / 200)
    body = searches[0].body
    stage_ids = ["appointmentscheduled", "contractsent", "closedwon", "closedlost", "39105881", "39105884"]
    expected = [*BASE_DEAL_PROPERTIES]
    for stage in stage_ids:
        expected += [f"hs_v2_date_entered_{stage}", f"hs_date_entered_{stage}"]
    assert body["properties"] == expected
    assert body["limit"] == 200
    assert body["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
    groups = body["filterGroups"]
    assert [[f["propertyName"] for f in g["filters"]] for g in groups] == [
        ["hs_is_closed"],
        ["hs_is_closed", "closedate"],
    ]
    assert sorted(str(c.body.get("after")) for c in searches) == ["200", "400", "None"]
    assert all(c.status == 200 for c in hubspot.calls)


async def test_pipeline_by_label_is_case_insensitive_and_filters_the_search(
    hubspot: FakeHubSpot, portal: PortalSnapshot
) -> None:
    async with _source(hubspot) as source:
        snap = await source.snapshot("  renewals ")
        by_id = await source.snapshot("default")
    assert snap.pipeline_id == "14620931"
    assert {d.id for d in snap.deals} == _wanted_ids(portal, "14620931")
    assert len(snap.deals) == 5
    assert by_id.pipeline_id == "default"
    assert len(by_id.deals) == 480
    body = hubspot.calls_to(SEARCH)[0].body
    assert body["properties"][-4:] == [
        "hs_v2_date_entered_39105881",
        "hs_date_entered_39105881",
        "hs_v2_date_entered_39105884",
        "hs_date_entered_39105884",
    ]
    for group in body["filterGroups"]:
        assert {"propertyName": "pipeline", "operator": "EQ", "value": "14620931"} in group["filters"]


async def test_unknown_pipeline_names_the_ones_that_exist(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        with pytest.raises(UnknownPipelineError) as caught:
            await source.snapshot("Partners")
    assert "Sales Pipeline, Renewals" in caught.value.user_message
    assert hubspot.calls_to(SEARCH) == []


async def test_lookback_window_decides_which_closed_deals_are_read(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot, lookback_days=5) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 455  # 450 open + 5 renewals; the deals closed 10 days ago are outside
    assert snap.lookback_days == 5


async def test_progress_reports_deals_read_and_hubspot_total(hubspot: FakeHubSpot) -> None:
    seen: list[Progress] = []
    async with _source(hubspot) as source:
        await source.snapshot(progress=seen.append)
    assert seen[0].phase == "starting"
    reads = [(p.deals_read, p.deals_total) for p in seen if p.phase == "deals" and p.deals_total]
    assert reads == [(200, 485), (400, 485), (485, 485)]
    assert seen[-1] == Progress("done", 485, 485)
    assert seen[-1].fraction == 1.0


async def test_portal_over_ten_thousand_deals_is_read_whole() -> None:
    portal = make_portal(open_deals=10_350, closed_recent=120, closed_old=5, owners=250)
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        async with _source(fake, limits=RELAXED) as source:
            snap = await source.snapshot()
        searches = fake.calls_to(SEARCH)
    assert len(snap.deals) == 10_470
    assert len({d.id for d in snap.deals}) == 10_470
    assert (snap.deals_total, snap.truncated) == (10_470, False)
    assert len(snap.owners) == 250
    # 10,470 deals need 53 pages of 200; the cap costs no extra call: the 51st page is a new query.
    assert len(searches) == math.ceil(10_470 / 200)
    assert all(c.status == 200 for c in searches)
    assert max(int(c.body.get("after") or 0) for c in searches) == 9_800
    split = searches[50].body
    assert "after" not in split
    last_of_first_query = sorted((d.id for d in snap.deals), key=int)[9_999]
    for group in split["filterGroups"]:
        assert {"propertyName": "hs_object_id", "operator": "GT", "value": last_of_first_query} in group[
            "filters"
        ]


async def test_owner_pages_are_followed() -> None:
    portal = make_portal(open_deals=3, closed_recent=0, closed_old=0, owners=230)
    async with FakeHubSpot(portal) as fake, _source(fake) as source:
        snap = await source.snapshot()
        owner_calls = fake.calls_to(OWNERS)
    assert len(snap.owners) == 230
    active = [c for c in owner_calls if c.query.get("archived") == "false"]
    assert [c.query.get("after") for c in active] == [None, "100", "200"]


async def test_older_portals_with_only_legacy_stage_dates(portal: PortalSnapshot) -> None:
    async with FakeHubSpot(portal, stage_dates="legacy") as fake, _source(fake) as source:
        snap = await source.snapshot()
    by_id = {d.id: d for d in portal.deals}
    assert all(d.stage_entered_at == by_id[d.id].stage_entered_at for d in snap.deals)
    assert snap.deals[0].stage_entered_at


async def test_missing_account_scope_degrades_with_a_warning(portal: PortalSnapshot) -> None:
    async with FakeHubSpot(portal, missing_scopes={"account": ["oauth"]}) as fake, _source(fake) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 485
    assert snap.portal.portal_id is None
    assert snap.deal_url("1") is None
    assert any("account details" in w for w in snap.warnings)


async def test_missing_owner_scope_fails_naming_the_scopes(portal: PortalSnapshot) -> None:
    fake = FakeHubSpot(portal, missing_scopes={"owners": ["crm.objects.owners.read"]})
    async with fake, _source(fake) as source:
        with pytest.raises(HubSpotScopeError) as caught:
            await source.snapshot()
    message = caught.value.user_message
    assert caught.value.status == 403
    assert "crm.objects.owners.read" in message
    assert "crm.objects.deals.read" in message
    assert "Service keys" in message
    assert "Private Apps" in message


async def test_proactive_pacing_keeps_hubspot_from_answering_429() -> None:
    """HubSpot's search limit, scaled up 4x on both sides so the test takes ~1.5 s instead of ~6.

    The client keeps its production margin (50 ms a window): a request that reaches the fake a few
    milliseconds late on a busy machine must not turn into a 429 the real pacing would have avoided."""
    portal = make_portal(open_deals=5_000, closed_recent=0, closed_old=0)
    async with FakeHubSpot(portal, search_per_second=20) as fake:
        # Deals only: the object searches would share the window and blur the page count.
        async with _source(fake, limits=RateLimits(search_per_second=20), objects=()) as source:
            snap = await source.snapshot()
            stats = source.stats
        statuses = [c.status for c in fake.calls_to(SEARCH)]
    assert len(snap.deals) == 5_000
    assert statuses == [200] * 25
    assert stats.rate_limited == 0
    assert stats.throttle_wait > 0  # it did have to wait for the window: pacing was exercised


async def test_the_sample_portal_served_as_hubspot_reads_back_open_and_recent_deals() -> None:
    now = utc_now()
    portal = generate_portal(deals=900, seed=11, now=now)
    closed = {(p.id, s.id) for p in portal.pipelines for s in p.stages if s.is_closed}
    since = now - timedelta(days=180)
    expected = {
        d.id
        for d in portal.deals
        if (d.pipeline_id, d.stage_id) not in closed or (d.close_date is not None and d.close_date >= since)
    }
    async with FakeHubSpot(portal) as fake, _source(fake) as source:
        snap = await source.snapshot()
    assert {d.id for d in snap.deals} == expected
    assert 0 < len(expected) < 900  # the window really excluded old closed deals
    by_id = {d.id: d for d in portal.deals}
    for deal in snap.deals:
        assert deal.amount == by_id[deal.id].amount
        assert deal.stage_id == by_id[deal.id].stage_id
        assert deal.owner_id == by_id[deal.id].owner_id


def test_a_new_event_loop_keeps_the_searches_the_last_one_sent_in_the_window() -> None:
    """One ``asyncio.run`` after another (a CLI command each, a benchmark's steps): the next loop
    gets a pacer that still counts the last loop's searches, so it waits for HubSpot's window
    instead of meeting 429s (the window is the portal's, not the loop's). Scaled 4x like the
    pacing test above.

    What is asserted is the pacer's wait, not the absence of 429s: the fake runs in a thread of
    this process, and on a loaded machine a request it handles late can still be counted inside a
    window the pacer saw as past (one CI run met four). The client's window is stretched to 3 s
    (a 2 s margin) so that how long the reads take on a loaded machine cannot decide whether the
    third must wait: the first two reads' 20 searches are well inside it, so it waits about 2 s
    with the carried window, and for nothing without it (its own 10 searches are under 20)."""
    portal = make_portal(open_deals=2_000, closed_recent=0, closed_old=0)  # 10 pages
    with FakeHubSpot.running(portal, search_per_second=20) as fake:
        limits = RateLimits(search_per_second=20, margin=2.0)
        source = _source(fake, limits=limits, objects=(), cache_ttl=0)

        async def read() -> int:
            snap = await source.snapshot()
            await source.aclose()
            return len(snap.deals)

        # 10 searches each (the whole portal a read), 20 a window allowed: the third read starts
        # while the first two reads' 20 searches are all still inside the window.
        assert [asyncio.run(read()) for _ in range(2)] == [2_000] * 2
        waited = source.stats.throttle_wait
        assert asyncio.run(read()) == 2_000
    assert waited < 0.05  # two reads' 20 searches fit the window: nothing to wait for (but a lock)
    assert source.stats.throttle_wait - waited > 0.5  # the third waited for the first read's to leave
