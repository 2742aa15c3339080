"""The keyset reader (``engines.hubspot._delta.search_objects``) against the loopback HubSpot: every
object read once, whatever the id distribution, and HubSpot asked for the minimum pages - a range is
read from both ends, so two pages in flight cost no extra call."""

from __future__ import annotations

import math

import pytest

from engines.hubspot import HubSpotClient, RateLimits, search_objects
from engines.models import PortalSnapshot
from tests.support.hubspot import SEARCH, FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.engines.hubspot.portal import make_portal

# Fast enough for tests, slow enough that one more page in flight never looks needed (an answer
# within 1/(50 x 1.25) s = 16 ms keeps the limit busy): two readers, the two ends of one range.
TWO_ENDS = RateLimits(search_per_second=50, app_per_window=1000, app_window=1.0, margin=0.0)
# So fast that every answer looks slow: as many readers as the reader allows (splits).
MANY = RateLimits(search_per_second=1000, app_per_window=1000, app_window=1.0, margin=0.0)
PROPS = ["dealname", "amount", "hs_lastmodifieddate"]


def _portal(*blocks: tuple[int, int]) -> PortalSnapshot:
    """Open deals in blocks of consecutive ids: (first id, how many) each."""
    deals = []
    for first_id, count in blocks:
        deals.extend(make_portal(open_deals=count, closed_recent=0, closed_old=0, first_id=first_id).deals)
    return make_portal(open_deals=0, closed_recent=0, closed_old=0).model_copy(update={"deals": tuple(deals)})


async def _read(fake: FakeHubSpot, limits: RateLimits) -> tuple[set[str], int]:
    async with HubSpotClient(fake.token, base_url=fake.base_url, limits=limits) as client:
        objects, _ = await search_objects(client, "deals", properties=PROPS)
    return set(objects), len(fake.calls_to(SEARCH))


@pytest.mark.parametrize("count", [1, 199, 200, 201, 399, 400, 401, 600, 1_000, 2_345])
async def test_two_ends_read_everything_in_the_minimum_pages(count: int) -> None:
    portal = _portal((10_000, count))
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        read, calls = await _read(fake, TWO_ENDS)
        assert read == {d.id for d in portal.deals}
        assert calls == math.ceil(count / 200)
        assert all(c.status == 200 for c in fake.calls)


@pytest.mark.parametrize(
    "blocks",
    [
        ((1, 3_000),),  # dense
        ((1, 200), (10**9, 2_800)),  # nearly all at the top of a wide range
        ((1, 2_800), (10**9, 200)),  # nearly all at the bottom
        ((1, 1_000), (5 * 10**8, 1_000), (10**9, 1_000)),  # three clusters
    ],
)
async def test_splitting_for_slow_answers_reads_everything_and_costs_few_calls(
    blocks: tuple[tuple[int, int], ...],
) -> None:
    """Answers slow against the limit: more pages in flight, each extra span a split at its id
    midpoint. Skewed ids leave one half nearly empty; it ends, its readers split the other. Each
    split costs at most one short page, and the reader splits only spans with pages to spare."""
    portal = _portal(*blocks)
    total = sum(count for _, count in blocks)
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None, latency=0.02) as fake:
        read, calls = await _read(fake, MANY)
        assert read == {d.id for d in portal.deals}
        assert all(c.status == 200 for c in fake.calls)
        minimum = math.ceil(total / 200)
        assert minimum <= calls <= minimum + 4, calls


async def test_objects_entering_and_leaving_the_range_mid_read_skip_nothing() -> None:
    """A delta read while the portal changes: objects archived after the read began, and objects
    modified (so entering "modified since") in a part not read yet. Every object that matched
    when the read began and is still live is read; the new ones may be, or wait for the next delta."""
    portal = _portal((1, 1_500))
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        change = PortalMutator(fake)
        ids = change.ids()
        since = change.stamp()
        for deal_id in ids[::3]:
            change.edit(deal_id, dealname="edited before the read")
        matched = {d for d in ids[::3]}
        archived, entering = ids[300], ids[1_000:1_010]
        change.during_search(lambda: change.archive(archived), after=1)
        change.during_search(lambda: [change.edit(d, amount="1") for d in entering], after=2)
        modified = {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}
        async with HubSpotClient(fake.token, base_url=fake.base_url, limits=TWO_ENDS) as client:
            objects, _ = await search_objects(client, "deals", properties=PROPS, filters=[modified])
        assert not fake.before_search
        assert matched - {archived} <= set(objects)
