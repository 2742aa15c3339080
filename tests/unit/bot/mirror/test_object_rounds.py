"""Mutation rounds on the object types besides deals (contacts, tickets, survey responses, products,
goal targets): after every round the mirror's rows and in-memory records equal a fresh full read at
the sync's start, and the in-memory selection at the answer's time equals the live read's, exactly.
On SQLite and on the real PostgreSQL.

Each seeded round creates, edits, archives and restores objects of every type, edits some out of
their scope (a lead date moved before the window, an old ticket given an old close date), and some
rounds move the clock by weeks so objects age out of the windows without changing; one round adds a
custom lifecycle stage whose dates HubSpot back-fills silently; in one the tickets scope is refused
(403), and granted again the round after (a first read of the tickets).
"""

from __future__ import annotations

import random
from datetime import timedelta

from bot.mirror import Mirror
from bot.storage import Database
from engines.models import ReadState
from tests.support.hubspot import format_datetime
from tests.support.hubspot_object_mutations import ObjectMutator
from tests.unit.bot.mirror.objects_support import (
    Clock,
    assert_objects_are_fresh_read,
    build_mirror,
    portal_with_objects,
)

SEED = 20261202
ROUNDS = 9
REFUSED_ROUND = 4
STAGE_ROUND = 6
TYPES = ("contacts", "tickets", "feedback_submissions", "products", "goal_targets")


class Rounds:
    def __init__(self, change: ObjectMutator, clock: Clock, rng: random.Random) -> None:
        self.change = change
        self.clock = clock
        self.rng = rng

    def _days_ago(self, low: int, high: int) -> str | None:
        return format_datetime(self.clock.now - timedelta(days=self.rng.randint(low, high)))

    def _pick(self, object_type: str) -> str:
        return self.rng.choice(self.change.ids(object_type))

    def one(self) -> None:
        change, rng = self.change, self.rng
        object_type = rng.choice(TYPES)
        kind = rng.choice(["create", "create", "edit", "edit", "edit", "leave", "archive", "restore"])
        if kind == "restore":
            archived = sorted(change.store.archived[object_type])
            if archived:
                change.restore(object_type, rng.choice(archived))
            return
        if kind == "archive":
            change.archive(object_type, self._pick(object_type))
            return
        if object_type == "contacts":
            if kind == "create":
                change.create(
                    object_type, lifecyclestage="lead", hs_v2_date_entered_lead=self._days_ago(0, 5)
                )
            elif kind == "edit":
                contact = self._pick(object_type)
                stage = rng.choice(["marketingqualifiedlead", "salesqualifiedlead", "customer"])
                change.edit(
                    object_type,
                    contact,
                    lifecyclestage=stage,
                    **{f"hs_v2_date_entered_{stage}": change.stamp()},
                )
            else:  # the lead date moved before the window: the contact leaves the scope
                change.edit(
                    object_type, self._pick(object_type), hs_v2_date_entered_lead=self._days_ago(400, 500)
                )
        elif object_type == "tickets":
            if kind == "create":
                change.create(object_type, subject="New", hs_pipeline="0", hs_pipeline_stage="1")
            elif kind == "edit":
                ticket = self._pick(object_type)
                if rng.random() < 0.5:
                    change.edit(object_type, ticket, hs_pipeline_stage="4", closed_date=change.stamp())
                else:
                    change.edit(object_type, ticket, hs_pipeline_stage="2", closed_date=None)
            else:  # created and closed long ago (a back-dated import): outside every group
                change.edit(
                    object_type,
                    self._pick(object_type),
                    createdate=self._days_ago(800, 900),
                    closed_date=self._days_ago(700, 790),
                    hs_pipeline_stage="4",
                )
        elif object_type == "feedback_submissions":
            if kind == "create":
                stamp = change.stamp()
                change.create(
                    object_type,
                    hs_survey_type="NPS",
                    hs_value=str(rng.randint(0, 10)),
                    hs_submission_timestamp=stamp,
                )
            elif kind == "edit":
                change.edit(object_type, self._pick(object_type), hs_value=str(rng.randint(0, 10)))
            else:
                old = self._days_ago(800, 900)
                change.edit(
                    object_type, self._pick(object_type), hs_submission_timestamp=old, hs_createdate=old
                )
        elif object_type == "products":
            if kind == "create":
                change.create(object_type, name=f"Product {rng.randint(0, 999)}")
            else:
                change.edit(object_type, self._pick(object_type), name=f"Renamed {rng.randint(0, 999)}")
        else:
            if kind == "create":
                change.create(
                    object_type, hs_goal_name="Quota", hs_target_amount=str(rng.randint(1, 9) * 10_000)
                )
            else:
                change.edit(
                    object_type, self._pick(object_type), hs_target_amount=str(rng.randint(1, 9) * 10_000)
                )


async def _rounds(database: Database) -> None:
    async with portal_with_objects() as setup:
        fake, clock = setup.fake, setup.clock
        mirror: Mirror = build_mirror(database, fake, clock)
        first = await mirror.sync()
        assert first is not None
        assert {r.object_type: r.kind for r in first.results} == dict.fromkeys(["deals", *TYPES], "full")
        await assert_objects_are_fresh_read(mirror, fake)
        rounds = Rounds(setup.change, clock, random.Random(SEED))
        aged = 0
        for number in range(ROUNDS):
            clock.advance(seconds=30)
            if number % 3 == 1:  # weeks pass: leads, tickets and surveys age out of the windows
                held = mirror.memory.others.count("contacts") if mirror.memory else 0
                clock.advance(days=rounds.rng.randint(20, 60))
                aged += 1
                assert held > 0
            for _ in range(rounds.rng.randint(4, 16)):
                rounds.one()
            refused = frozenset()
            if number == REFUSED_ROUND:
                fake.missing_scopes["tickets"] = ["tickets"]
                refused = frozenset({"tickets"})
            if number == REFUSED_ROUND + 1:
                del fake.missing_scopes["tickets"]
            if number == STAGE_ROUND:  # a custom stage; HubSpot back-fills its dates silently
                assert mirror.memory is not None
                contacts = sorted(mirror.memory.others.records("contacts"))[:7]  # held: in the scope
                setup.change.add_lifecycle_stage("advocate", {c: "2026-12-01T00:00:00Z" for c in contacts})
            clock.advance(seconds=1)
            outcome = await mirror.sync()
            assert outcome is not None
            kinds = {r.object_type: r.kind for r in outcome.results}
            # Whatever a sweep re-read (weeks passed) matched what the deltas had made: no drift.
            assert all(r.drift == 0 for r in outcome.results), outcome.results
            if number == REFUSED_ROUND:
                assert outcome.reads["tickets"].state is ReadState.SCOPE_REFUSED
                assert outcome.reads["tickets"].scopes == ("tickets",)
            if number == REFUSED_ROUND + 1:
                assert kinds["tickets"] == "full"  # the grant starts the tickets' first read
            if number == STAGE_ROUND:
                assert (
                    "hs_v2_date_entered_advocate" in mirror.store.state(outcome.portal, "contacts").properties
                )  # type: ignore[union-attr]
            await assert_objects_are_fresh_read(mirror, fake, refused=refused)
        assert aged >= 2


async def test_object_rounds_keep_the_mirror_equal_to_a_fresh_read(db: Database) -> None:
    await _rounds(db)
