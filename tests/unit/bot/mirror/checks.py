"""What the mirror tests compare: a fresh full read of the fake, and the changes a round made.

The reference read asks for its own list of properties, written here from what the mirror is
documented to keep (docs/mirror.md, issue #12: the deal properties the engines read, the stage-entry
date of every stage the portal's pipelines list now, the current stage's entry date, merged ids) -
not the mirror's own list, so a property the mirror forgot to ask for (a new stage's date, say)
shows as a difference instead of passing unnoticed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.mirror import Mirror
from bot.mirror.store import Change
from engines.hubspot import HubSpotClient
from engines.hubspot._delta import merged_ids, search_objects
from engines.hubspot._mapping import RawDeal, stage_keys, to_deal
from tests.support.hubspot import FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.bot.mirror.conftest import RELAXED

Props = dict[str, str | None]
ChangeKey = tuple[str, str, str | None, str | None]
InScope = Callable[[Mapping[str, str | None]], bool]
# What the mirror keeps of a deal (docs/mirror.md), besides one entry date per pipeline stage.
DOCUMENTED_DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
    "notes_last_updated",
    "hubspot_owner_id",
    "dealtype",
    "hs_is_closed",
    "hs_is_closed_won",
    "deal_currency_code",
    "hs_object_id",
    "hs_v2_date_entered_current_stage",
    "hs_merged_object_ids",
)
TRACKED = ("dealstage", "amount", "closedate", "hubspot_owner_id", "pipeline")  # the list


def everything(_: Mapping[str, str | None]) -> bool:
    return True


@dataclass
class Truth:
    """The fake portal at one moment: deals in the mirrored scope, every live deal (merge survivors
    may be outside the scope), and archived deals, each id -> properties."""

    live: dict[str, Props]
    all_live: dict[str, Props] = field(default_factory=dict)
    archived: dict[str, Props] = field(default_factory=dict)


def truth(change: PortalMutator, in_scope: InScope = everything) -> Truth:
    every = change.live()
    return Truth(
        {i: p for i, p in every.items() if in_scope(p)},
        every,
        {i: dict(p) for i, (p, _) in change.fake.archived.items()},
    )


def reference_properties(hubspot: FakeHubSpot) -> list[str]:
    """The documented properties and the entry date of every stage the fake's pipelines list now."""
    stages = dict.fromkeys(s.id for p in hubspot.portal.pipelines for s in p.stages)
    return [*DOCUMENTED_DEAL_PROPERTIES, *(f"hs_v2_date_entered_{stage}" for stage in stages)]


async def fresh_read(
    hubspot: FakeHubSpot, properties: list[str], scope: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Props]:
    """What a complete read returns now: the reference the mirror must equal."""
    async with HubSpotClient(hubspot.token, base_url=hubspot.base_url, limits=RELAXED) as client:
        objects, _ = await search_objects(client, "deals", properties=properties, filters=scope)
    # As the mirror stores them: the properties that have a value (null and absent are the same).
    return {
        object_id: {k: v for k, v in raw.properties.items() if v is not None}
        for object_id, raw in objects.items()
    }


async def assert_mirror_is_fresh_read(
    mirror: Mirror, hubspot: FakeHubSpot, scope: Sequence[Mapping[str, Any]] = ()
) -> None:
    """Database rows, in-memory deals, pipelines and owners all equal a fresh full read (of the
    deals in ``scope``, with the properties of :func:`reference_properties`)."""
    portal = await mirror.portal()
    assert portal is not None
    expected = await fresh_read(hubspot, reference_properties(hubspot), scope)
    rows = mirror.store.rows(portal, "deals", live_only=True)
    stored = {object_id: row.properties for object_id, row in rows.items()}
    missing, extra = sorted(expected.keys() - stored.keys()), sorted(stored.keys() - expected.keys())
    assert not missing, f"missing {missing[:10]}"
    assert not extra, f"extra {extra[:10]}"
    differing = [i for i in expected if stored[i] != expected[i]]
    first = differing[0] if differing else ""
    unlike = {
        k: (stored[first].get(k), v) for k, v in expected.get(first, {}).items() if stored[first].get(k) != v
    }
    assert not differing, f"{len(differing)} deals differ, e.g. {differing[:5]}; {first}: {unlike}"
    assert mirror.memory is not None
    keys = stage_keys(dict.fromkeys(s.id for p in hubspot.portal.pipelines for s in p.stages))
    want = {i: to_deal(RawDeal(id=i, properties=p), keys) for i, p in expected.items()}
    assert mirror.memory.deals() == want
    # As the live read parses them (stages in HubSpot's order; ties by label), not as the fake lists them.
    assert {p.id: (p.label, set(p.stages)) for p in mirror.memory.pipelines} == {
        p.id: (p.label, set(p.stages)) for p in hubspot.portal.pipelines
    }
    assert {o.id: o for o in mirror.memory.owners} == {o.id: o for o in hubspot.portal.owners}


def _survivor(object_id: str, after: Truth) -> str | None:
    for holder in (after.all_live, after.archived):
        for survivor, props in holder.items():
            if object_id in merged_ids(props):
                return survivor
    return None


def expected_changes(before: Truth, after: Truth, last_live: dict[str, Props]) -> Counter[ChangeKey]:
    """The change-log entries a round must produce: per deal, the net change of its tracked fields,
    and created / deleted (left the mirrored scope: archived, merged - new = the surviving deal - or
    moved out of a scoped type's scope) / restored (back in it). ``last_live`` holds each deal's
    values at the last round's end where it was in the mirror: a deal back in it was restored when
    the mirror held it before (its changes counted from what the mirror last saw), else created."""
    found: Counter[ChangeKey] = Counter()

    def diff(object_id: str, old: Props, new: Props) -> None:
        for name in TRACKED:
            if old.get(name) != new.get(name):
                found[(object_id, name, old.get(name), new.get(name))] += 1

    for object_id in before.live.keys() | after.live.keys():
        old, new = before.live.get(object_id), after.live.get(object_id)
        if old is not None and new is not None:
            diff(object_id, old, new)
        elif old is not None:
            found[(object_id, "deleted", None, _survivor(object_id, after))] += 1
        elif new is not None and object_id in last_live:
            found[(object_id, "restored", None, None)] += 1
            diff(object_id, last_live[object_id], new)
        elif new is not None:
            found[(object_id, "created", None, None)] += 1
    return found


def logged(changes: list[Change]) -> Counter[ChangeKey]:
    return Counter((c.object_id, c.field, c.old, c.new) for c in changes)


def changes_after(mirror: Mirror, portal: str, synced_after: datetime) -> list[Change]:
    return mirror.store.changes(portal, "deals", synced_after=synced_after)
