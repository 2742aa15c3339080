"""Reading contacts, tickets, survey responses, products, goals and line items from the loopback fake
HubSpot: what is asked for, the 10,000-result cap, associations paging and a refused scope."""

from __future__ import annotations

from datetime import timedelta

from engines import EngineName, analyze_all
from engines.dates import utc_now
from engines.hubspot import ApiPaths, HubSpotSource
from engines.models import Contact, ObjectType, PortalSnapshot, ReadState
from engines.sample import generate_portal
from tests.fakes.hubspot import FakeHubSpot
from tests.hubspot.conftest import FAST_RETRY, RELAXED

LOOKBACK = 180
OBJECT_METRICS = {
    EngineName.GROWTH: (
        "leads_created",
        "lead_to_qualified",
        "pipeline_coverage",
        "weighted_pipeline_coverage",
    ),
    EngineName.FULFILLMENT: (
        "gross_renewal_rate",
        "net_renewal_rate",
        "time_to_first_value_days",
        "open_onboardings",
        "overdue_onboardings",
        "nps",
        "nps_responses",
        "csat",
    ),
    EngineName.INNOVATION: (
        "feedback_items",
        "feedback_items_previous",
        "feature_requests_closed",
        "feature_request_days",
        "feature_requests_open",
        "new_products",
        "new_product_adoption",
        "new_product_revenue_share",
    ),
}

PATHS = ApiPaths()  # the default (date-based) version the source reads


def _portal(deals: int = 600) -> PortalSnapshot:
    now = utc_now()
    return generate_portal(deals=deals, seed=5, now=now.replace(microsecond=now.microsecond // 1000 * 1000))


def _source(fake: FakeHubSpot, **options: object) -> HubSpotSource:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("limits", RELAXED)
    return HubSpotSource(fake.token, base_url=fake.base_url, lookback_days=LOOKBACK, **options)  # type: ignore[arg-type]


def _won_in_window(portal: PortalSnapshot, since: object) -> set[str]:
    won = {(p.id, s.id) for p in portal.pipelines for s in p.stages if s.is_won}
    return {
        d.id
        for d in portal.deals
        if (d.pipeline_id, d.stage_id) in won and d.close_date is not None and d.close_date >= since  # type: ignore[operator]
    }


async def test_reads_exactly_what_the_metrics_need_and_measures_the_same() -> None:
    portal = _portal()
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake, _source(fake) as source:
        snap = await source.snapshot()
    now = snap.taken_at
    since, twice = now - timedelta(days=LOOKBACK), now - timedelta(days=2 * LOOKBACK)
    assert all(snap.object_read(t).state is ReadState.READ for t in ObjectType)
    # contacts: only those that entered lead in the window
    lead = {
        c.id
        for c in portal.contacts
        if c.stage_entered_at.get("lead") and c.stage_entered_at["lead"] >= since
    }
    assert {c.id for c in snap.contacts} == lead
    assert {c.id: c.stage_entered_at for c in snap.contacts} == {
        c.id: c.stage_entered_at for c in portal.contacts if c.id in lead
    }
    # tickets: created in two windows, closed in one, or open
    wanted = {
        t.id
        for t in portal.tickets
        if (t.created_at and t.created_at >= twice)
        or (t.closed_at and t.closed_at >= since)
        or t.closed_at is None
    }
    assert {t.id for t in snap.tickets} == wanted
    assert snap.ticket_pipelines == portal.ticket_pipelines  # ticketState CLOSED -> a closed stage
    # surveys of two windows, every product and goal, the line items of deals won in the window
    assert {f.id for f in snap.feedback} == {
        f.id for f in portal.feedback if (f.submitted_at or f.created_at or now) >= twice
    }
    assert set(snap.products) == set(portal.products)
    assert set(snap.goals) == set(portal.goals)
    won = _won_in_window(portal, since)
    assert {li.id for li in snap.line_items} == {li.id for li in portal.line_items if li.deal_id in won}
    assert {li.id: (li.deal_id, li.product_id, li.amount) for li in snap.line_items} == {
        li.id: (li.deal_id, li.product_id, li.amount) for li in portal.line_items if li.deal_id in won
    }
    # the subsets read measure exactly what the whole portal measures
    read_reports = analyze_all(snap, now=now)
    full_reports = analyze_all(portal.model_copy(update={"lookback_days": LOOKBACK}), now=now)
    for read, full in zip(read_reports, full_reports, strict=True):
        for key in OBJECT_METRICS[read.engine]:
            assert read.metrics[key] == full.metrics[key], key
        assert read.overdue_onboardings == full.overdue_onboardings


async def test_a_refused_scope_is_a_gap_naming_it_and_the_rest_arrives() -> None:
    portal = _portal(300)
    fake = FakeHubSpot(
        portal, missing_scopes={"tickets": ["tickets"], "line_items": ["crm.objects.line_items.read"]}
    )
    async with fake, _source(fake) as source:
        snap = await source.snapshot()
    assert snap.object_read(ObjectType.TICKETS).state is ReadState.SCOPE_REFUSED
    assert snap.object_read(ObjectType.TICKETS).scopes == ("tickets",)
    assert snap.object_read(ObjectType.LINE_ITEMS).scopes == ("crm.objects.line_items.read",)
    assert snap.object_read(ObjectType.FEEDBACK_SUBMISSIONS).state is ReadState.READ
    assert snap.tickets == ()
    assert snap.line_items == ()
    _, fulfillment, innovation = analyze_all(snap)
    gap = next(g for g in fulfillment.data_gaps if g.key == "onboarding_tickets")
    assert "grant the scope tickets" in gap.missing
    assert (
        "crm.objects.line_items.read"
        in next(g for g in innovation.data_gaps if g.key == "line_items").missing
    )
    assert fulfillment.metrics["nps"].value is not None  # surveys were read
    assert len(snap.deals) > 0


async def test_object_searches_continue_past_the_result_cap_by_id() -> None:
    """A cap of 250 results a query (HubSpot's is 10,000): the ticket search restarts with
    hs_object_id GT the last id read, until every ticket is read, once."""
    portal = generate_portal(deals=40, seed=3, now=utc_now(), tickets=1200, surveys=0)
    async with FakeHubSpot(portal, search_cap=250, search_per_second=None, app_limit=None) as fake:
        async with _source(fake, objects=(ObjectType.TICKETS,)) as source:
            snap = await source.snapshot()
        calls = fake.calls_to(PATHS.search("tickets"))
    assert len(snap.tickets) == len({t.id for t in snap.tickets})
    now = snap.taken_at
    expected = {
        t.id
        for t in portal.tickets
        if t.created_at >= now - timedelta(days=360)  # type: ignore[operator]
        or (t.closed_at and t.closed_at >= now - timedelta(days=LOOKBACK))
        or t.closed_at is None
    }
    assert {t.id for t in snap.tickets} == expected
    assert len(expected) > 500
    restarts = [c for c in calls if "hs_object_id" in str(c.body)]
    assert restarts  # the cap was met and the read went on by id
    refused = [c for c in calls if c.status != 200]
    assert refused  # the page at the cap was asked for, as HubSpot's paging offers it, and refused
    assert all(c.status == 400 and int(c.body["after"]) >= 250 for c in refused)
    assert set(snap.object_reads) == {ObjectType.TICKETS}  # only what was asked for


async def test_associations_are_read_in_batches_of_1000_and_paged_per_deal() -> None:
    """1,500 won deals in the window with 1 to 3 line items each, 2 associations per answer and deal:
    the v4 batch read gets at most 1,000 deal ids a call and the deals with 3 line items come back for
    their second page; line items are then read 100 ids a call."""
    portal = _portal(7000)
    won = _won_in_window(portal, portal.taken_at - timedelta(days=LOOKBACK))
    assert len(won) > 1000
    fake = FakeHubSpot(portal, associations_page=2, search_per_second=None, app_limit=None)
    async with fake, _source(fake, objects=(ObjectType.LINE_ITEMS,)) as source:
        snap = await source.snapshot()
    calls = fake.calls_to(PATHS.associations_batch_read("deals", "line_items"))
    sizes = [len(c.body["inputs"]) for c in calls]
    assert max(sizes) == 1000
    paged = [i for c in calls for i in c.body["inputs"] if "after" in i]
    assert paged  # deals with a third line item were asked again with their cursor
    expected = {li.id for li in portal.line_items if li.deal_id in won}
    assert {li.id for li in snap.line_items} == expected
    reads = fake.calls_to(PATHS.batch_read("line_items"))
    assert max(len(c.body["inputs"]) for c in reads) == 100
    assert len(reads) == -(-len(expected) // 100)


async def test_an_object_the_portal_lacks_is_a_warning_not_a_failed_read() -> None:
    """A 400 on the survey search (say the portal has no feedback object): the report still arrives,
    surveys are marked not read and the warning says what HubSpot answered."""
    portal = _portal(200)
    fake = FakeHubSpot(portal, search_per_second=None, app_limit=None)
    fake.fail("status", status=400, path="/feedback_submissions/", message="Unknown object type")
    async with fake, _source(fake) as source:
        snap = await source.snapshot()
    assert snap.object_read(ObjectType.FEEDBACK_SUBMISSIONS).state is ReadState.NOT_READ
    assert snap.object_read(ObjectType.TICKETS).state is ReadState.READ
    assert any("survey responses" in w and "Unknown object type" in w for w in snap.warnings)
    _, fulfillment, _ = analyze_all(snap)
    assert "surveys" in {g.key for g in fulfillment.data_gaps}
    assert "time_to_first_value_days" in fulfillment.metrics


async def test_contacts_search_only_new_leads_with_every_lifecycle_stage_of_the_portal() -> None:
    """The contacts search filters on hs_v2_date_entered_lead from the window's start and asks for the
    entry date of every lifecycle stage the portal lists, custom numeric stages included."""
    base = _portal(50)
    now = base.taken_at
    custom = Contact(
        id="77", stage_entered_at={"lead": now - timedelta(days=3), "2444598513": now - timedelta(days=1)}
    )
    old = Contact(id="78", stage_entered_at={"lead": now - timedelta(days=400)})
    portal = base.model_copy(update={"contacts": (custom, old)})
    fake = FakeHubSpot(portal, search_per_second=None, app_limit=None)
    async with fake, _source(fake, objects=(ObjectType.CONTACTS,)) as source:
        snap = await source.snapshot()
    assert [c.id for c in snap.contacts] == ["77"]
    assert snap.contacts[0].stage_entered_at == custom.stage_entered_at
    [search] = fake.calls_to(PATHS.search("contacts"))
    [group] = search.body["filterGroups"]
    assert group["filters"] == [
        {
            "propertyName": "hs_v2_date_entered_lead",
            "operator": "GTE",
            "value": str(int((snap.taken_at - timedelta(days=LOOKBACK)).timestamp() * 1000)),
        }
    ]
    assert "hs_v2_date_entered_2444598513" in search.body["properties"]
    assert "hs_v2_date_entered_customer" in search.body["properties"]
