"""The object types besides deals, answered from the mirror: the same report as the live read, the
calls an answer's delta costs, windows applied at the answer's time, ageing without a read, a
restart without a full read, and a type HubSpot will not serve (403 / 404) beside the others.

Reports are compared with :class:`HubSpotSource`, which reads at the real time: those tests run the
mirror on the real clock too (a portal dated around now); the others move a test clock."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bot.mirror import MirrorSource
from bot.storage import Database
from engines import analyze_all
from engines.dates import utc_now
from engines.hubspot import HubSpotSource, mirrored_object_types
from engines.models import ObjectType, ReadState
from tests.support.hubspot import FakeHubSpot
from tests.unit.bot.mirror.conftest import FAST_RETRY, RELAXED
from tests.unit.bot.mirror.objects_support import (
    LIVE_FIELDS,
    LOOKBACK,
    assert_objects_are_fresh_read,
    build_mirror,
    live_read,
    portal_with_objects,
)

FIELDS = ("deals", "contacts", "tickets", "ticket_pipelines", "feedback", "products", "goals", "object_reads")
# An answer's delta: portal details (4), deals (delta + count), one call per other type (tickets:
# their pipelines too); no deletion check for the other types (background syncs run those).
ANSWER_DELTA = Counter(
    {
        "/account-info/details": 1,
        "/crm/pipelines/deals": 1,
        "/crm/owners": 2,
        "/crm/objects/deals/search": 2,
        "/crm/objects/contacts/search": 1,
        "/crm/pipelines/tickets": 1,
        "/crm/objects/tickets/search": 1,
        "/crm/objects/feedback_submissions/search": 1,
        "/crm/objects/products": 1,
        "/crm/objects/goal_targets": 1,
    }
)


def _live(fake: FakeHubSpot) -> HubSpotSource:
    return HubSpotSource(
        fake.token,
        base_url=fake.base_url,
        limits=RELAXED,
        retry=FAST_RETRY,
        cache_ttl=0,
        lookback_days=LOOKBACK,
    )


def _paths(fake: FakeHubSpot, since: int) -> Counter[str]:
    return Counter(c.path.replace("/2026-03", "") for c in fake.calls[since:])


async def _same_report(source: MirrorSource, fake: FakeHubSpot) -> None:
    """The mirror's answer and a live read now: equal objects, read states, warnings and reports."""
    from_mirror = await source.snapshot()
    from_live = await _live(fake).snapshot()
    for name in FIELDS:
        assert getattr(from_mirror, name) == getattr(from_live, name), name
    assert sorted(from_mirror.warnings) == sorted(from_live.warnings)
    now = utc_now()
    ours = [r.to_json_dict() for r in analyze_all(from_mirror, now=now)]
    theirs = [r.to_json_dict() for r in analyze_all(from_live, now=now)]
    assert ours == theirs


async def test_answers_equal_the_live_read_and_cost_one_call_per_type(db: Database) -> None:
    async with portal_with_objects(now=utc_now()) as setup:
        fake = setup.fake
        mirror = build_mirror(db, fake, utc_now, fresh_seconds=0)  # every answer waits for a delta
        source = MirrorSource(mirror, lookback_days=LOOKBACK)
        await _same_report(source, fake)
        changed = setup.change.ids("tickets")[-1]
        setup.change.edit("tickets", changed, hs_pipeline_stage="4", closed_date=setup.change.stamp())
        setup.change.archive("products", setup.change.ids("products")[0])
        setup.change.create("contacts", lifecyclestage="lead", hs_v2_date_entered_lead=setup.change.stamp())
        since = len(fake.calls)
        await source.snapshot()
        assert _paths(fake, since) == ANSWER_DELTA  # line items: read live, kept HUBSPOT_CACHE_TTL
        assert mirror.last_outcome is not None
        assert {r.object_type: r.calls for r in mirror.last_outcome.results} == {
            "deals": 2,  # the delta and the count
            "contacts": 1,
            "tickets": 2,
            "feedback_submissions": 1,
            "products": 1,
            "goal_targets": 1,
        }
        await _same_report(source, fake)


async def test_a_refused_type_is_a_data_gap_and_its_grant_starts_a_first_read(sqlite_db: Database) -> None:
    async with portal_with_objects(now=utc_now()) as setup:
        fake = setup.fake
        fake.missing_scopes["feedback_submissions"] = ["crm.objects.feedback_submissions.read"]
        mirror = build_mirror(sqlite_db, fake, utc_now, fresh_seconds=0)
        source = MirrorSource(mirror, lookback_days=LOOKBACK)
        await _same_report(source, fake)
        snapshot = await source.snapshot()
        assert snapshot.object_reads[ObjectType.FEEDBACK_SUBMISSIONS].state is ReadState.SCOPE_REFUSED
        assert snapshot.object_reads[ObjectType.FEEDBACK_SUBMISSIONS].scopes == (
            "crm.objects.feedback_submissions.read",
        )
        assert snapshot.feedback == ()
        assert len(snapshot.contacts) > 0  # the rest arrives
        del fake.missing_scopes["feedback_submissions"]
        outcome = await mirror.sync()
        assert outcome is not None
        assert {r.object_type: r.kind for r in outcome.results}["feedback_submissions"] == "full"
        await _same_report(source, fake)


async def test_a_type_the_portal_lacks_is_not_read_with_the_live_warning(sqlite_db: Database) -> None:
    async with portal_with_objects(now=utc_now()) as setup:
        fake = setup.fake
        mirror = build_mirror(sqlite_db, fake, utc_now, fresh_seconds=0)
        source = MirrorSource(mirror, lookback_days=LOOKBACK)
        fake.fail("status", status=404, path="goal_targets", times=2, message="Object type not found.")
        from_mirror = await source.snapshot()  # the first sync meets one 404, the live read the other
        from_live = await _live(fake).snapshot()
        assert from_mirror.object_reads[ObjectType.GOAL_TARGETS].state is ReadState.NOT_READ
        assert from_mirror.object_reads == from_live.object_reads
        assert from_mirror.warnings == from_live.warnings
        assert any("goal targets" in w for w in from_mirror.warnings)
        assert from_mirror.contacts == from_live.contacts
        await _same_report(source, fake)  # the next sync reads them: a first read


async def test_windows_apply_at_the_answer_time_and_objects_age_out_without_a_read(
    sqlite_db: Database,
) -> None:
    async with portal_with_objects() as setup:
        fake, clock = setup.fake, setup.clock
        mirror = build_mirror(sqlite_db, fake, clock, fresh_seconds=10**9, sweep_every=timedelta(days=999))
        await mirror.sync()
        assert mirror.memory is not None
        held = {t.name: mirror.memory.others.count(t.name) for t in mirrored_object_types(LOOKBACK)}
        for days in (3, 20, 45):  # no sync: the copy in memory is a superset, filtered at each time
            clock.advance(days=days)
            live = await live_read(fake, clock.now)
            for name, pick in LIVE_FIELDS.items():
                assert mirror.memory.others.select(name, clock.now) == pick(live), name
        since = len(fake.calls)
        outcome = await mirror.sync()  # nothing changed: what aged out leaves by the local predicate
        assert outcome is not None
        assert not any(r.archived_listing for r in outcome.results)  # no id scan: counts agreed
        deleted = {r.object_type: r.deleted for r in outcome.results}
        assert deleted["contacts"] > 0
        assert deleted["feedback_submissions"] > 0
        assert all(mirror.memory.others.count(n) == held[n] - deleted[n] for n in held)
        # Per type: contacts' stage options + delta + count; tickets' pipelines + delta + count; ...
        assert {r.object_type: r.calls for r in outcome.results} == {
            "deals": 2,
            "contacts": 3,
            "tickets": 3,
            "feedback_submissions": 2,
            "products": 1,
            "goal_targets": 1,
        }
        assert len(fake.calls) - since == 4 + sum(r.calls for r in outcome.results)
        await assert_objects_are_fresh_read(mirror, fake)


async def test_a_restart_answers_from_the_database_and_one_delta(sqlite_db: Database) -> None:
    async with portal_with_objects(now=utc_now()) as setup:
        fake = setup.fake
        await MirrorSource(build_mirror(sqlite_db, fake, utc_now), lookback_days=LOOKBACK).snapshot()
        setup.change.edit("contacts", setup.change.ids("contacts")[-1], lifecyclestage="customer")
        restarted = build_mirror(sqlite_db, fake, utc_now, fresh_seconds=0)
        source = MirrorSource(
            restarted, lookback_days=LOOKBACK, objects=frozenset(ObjectType) - {ObjectType.LINE_ITEMS}
        )
        since = len(fake.calls)
        await source.snapshot()
        assert _paths(fake, since) == ANSWER_DELTA  # no full read of anything
        assert restarted.last_outcome is not None
        assert {r.kind for r in restarted.last_outcome.results} == {"delta"}
        await _same_report(MirrorSource(restarted, lookback_days=LOOKBACK), fake)  # line items too


def test_the_mirror_and_the_answers_share_one_lookback_window(sqlite_db: Database) -> None:
    from bot.mirror import Mirror
    from engines.hubspot import DEALS

    mirror = Mirror(sqlite_db, "pat-na1-x", object_types=(DEALS, *mirrored_object_types(90)))
    with pytest.raises(ValueError, match="lookback"):
        MirrorSource(mirror, lookback_days=180)
    assert MirrorSource(mirror, lookback_days=90).mirrored == frozenset(ObjectType) - {ObjectType.LINE_ITEMS}
