"""Shared by the mirror tests of the object types besides deals: a portal with all of them, a
settable clock, a mirror of every type, and the reference the mirror must equal (a fresh full read)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.mirror import Mirror
from bot.storage import Database
from engines.hubspot import (
    DEALS,
    HubSpotClient,
    ObjectsRead,
    list_all,
    mirrored_object_types,
    read_objects,
    search_objects,
)
from engines.hubspot._mapping import to_record
from engines.models import ObjectType, PortalSnapshot, ReadState
from engines.sample import generate_portal
from tests.support.hubspot import FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.support.hubspot_object_mutations import ObjectMutator
from tests.unit.bot.mirror.conftest import FAST_RETRY, RELAXED

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
LOOKBACK = 180
TYPES = mirrored_object_types(LOOKBACK)
Props = dict[str, str | None]


class Clock:
    """The time every party reads (mirror, source, mutations): moved by the test."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Setup:
    fake: FakeHubSpot
    clock: Clock
    change: ObjectMutator


@contextlib.asynccontextmanager
async def portal_with_objects(deals: int = 300, now: datetime = NOW, **options: Any) -> AsyncIterator[Setup]:
    """The sample portal (deals and every other object type, dated around ``now``) on the fake."""
    portal: PortalSnapshot = generate_portal(deals=deals, seed=11, now=now)
    clock = Clock(now)
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None, **options) as fake:
        yield Setup(fake, clock, ObjectMutator(PortalMutator(fake, clock=clock)))


def build_mirror(
    database: Database, fake: FakeHubSpot, clock: Callable[[], datetime], **options: Any
) -> Mirror:
    options.setdefault("object_types", (DEALS, *TYPES))
    return Mirror(
        database,
        fake.token,
        base_url=fake.base_url,
        limits=RELAXED,
        retry=FAST_RETRY,
        overlap=timedelta(seconds=5),
        clock=clock,
        **options,
    )


_SSL = httpx.create_ssl_context()  # built once: ~70 ms each, and every check opens clients


def client(fake: FakeHubSpot) -> HubSpotClient:
    return HubSpotClient(
        fake.token, base_url=fake.base_url, limits=RELAXED, retry=FAST_RETRY, ssl_context=_SSL
    )


async def fresh_rows(
    fake: FakeHubSpot, name: str, properties: list[str], anchor: datetime
) -> dict[str, Props]:
    """What a first read of the type at ``anchor`` stores: the reference the mirror must equal."""
    object_type = next(t for t in TYPES if t.name == name)
    async with client(fake) as hubspot:
        if object_type.listed:
            raws = {r.id: r for r in await list_all(hubspot, name, properties)}
        else:
            raws, _ = await search_objects(
                hubspot, name, properties=properties, groups=object_type.scope_at(anchor)
            )
    return {i: {k: v for k, v in r.properties.items() if v is not None} for i, r in raws.items()}


async def live_read(fake: FakeHubSpot, now: datetime) -> ObjectsRead:
    """The live read's objects at ``now`` (what HubSpotSource puts in a snapshot)."""
    out = ObjectsRead()
    async with client(fake) as hubspot:
        await read_objects(
            hubspot,
            objects=frozenset(ObjectType(t.name) for t in TYPES),
            now=now,
            lookback_days=LOOKBACK,
            out=out,
        )
    return out


LIVE_FIELDS: dict[str, Callable[[ObjectsRead], Any]] = {
    "contacts": lambda o: tuple(o.contacts),
    "tickets": lambda o: tuple(o.tickets),
    "feedback_submissions": lambda o: tuple(o.feedback),
    "products": lambda o: tuple(o.products),
    "goal_targets": lambda o: tuple(o.goals),
}


async def assert_objects_are_fresh_read(
    mirror: Mirror, fake: FakeHubSpot, *, refused: frozenset[str] = frozenset()
) -> None:
    """For every type besides deals: database rows and in-memory records equal a fresh full read at
    the last sync's start; the in-memory selection at the clock's time equals the live read then."""
    portal = await mirror.portal()
    assert portal is not None
    memory = mirror.memory
    assert memory is not None
    now = mirror.syncer._clock()
    live = await live_read(fake, now)
    for object_type in TYPES:
        name = object_type.name
        kind = ObjectType(name)
        read = memory.others.read_state(name)
        assert read == live.reads[kind], name
        if name in refused:
            assert read.state is ReadState.SCOPE_REFUSED
            assert memory.others.select(name, now) == ()
            continue
        state = mirror.store.state(portal, name)
        assert state is not None
        assert state.cursor is not None
        expected = await fresh_rows(fake, name, list(state.properties), state.cursor)
        stored = {i: r.properties for i, r in mirror.store.rows(portal, name, live_only=True).items()}
        assert sorted(stored) == sorted(expected), name
        differing = [i for i in expected if stored[i] != expected[i]]
        assert not differing, f"{name}: {len(differing)} differ, e.g. {differing[:3]}"
        assert memory.others.records(name) == {i: to_record(kind, i, p) for i, p in expected.items()}, name
        assert memory.others.select(name, now) == LIVE_FIELDS[name](live), name
    assert memory.others.pipelines.get("tickets", ()) == live.ticket_pipelines or "tickets" in refused
