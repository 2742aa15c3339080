"""The change card's computation: hand-computed periods, then properties over arbitrary ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.changes import (
    BUCKETS,
    MOVES,
    ChangeReport,
    DealState,
    DealTimeline,
    cents,
    compute_changes,
    deal_state,
    stage_order,
)
from engines.models import Deal, Pipeline, Stage

T0 = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
T1 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
STAGES = {"sales": ("lead", "demo", "proposal", "won", "lost"), "renewals": ("r1", "r2", "rwon", "rlost")}
OWNERS = {"o1": "Ana Diaz", "o2": "Bo Li"}


def state(
    amount: str | None,
    *,
    pipeline: str = "sales",
    stage: str = "lead",
    closed: bool = False,
    won: bool = False,
    close: datetime | None = None,
    owner: str | None = "o1",
    deleted: bool = False,
    name: str = "Deal",
) -> DealState:
    return DealState(
        name=name,
        amount=cents(amount),
        pipeline_id=pipeline,
        stage_id=stage,
        closed=closed,
        won=won,
        close_date=close,
        owner_id=owner,
        deleted=deleted,
    )


def report(
    *timelines: DealTimeline,
    pipeline: str | None = "sales",
    top: int = 5,
    time_zone: str = "UTC",
    covered_from: datetime | None = None,
) -> ChangeReport:
    return compute_changes(
        timelines,
        since=T0,
        until=T1,
        pipeline=pipeline,
        stages=STAGES,
        owners=OWNERS,
        top=top,
        time_zone=time_zone,
        covered_from=covered_from,
    )


def check_invariant(r: ChangeReport) -> None:
    total = sum((r.buckets[b].value for b in BUCKETS), Decimal("0"))
    assert r.open_value_start + total == r.open_value_end


def test_every_bucket_by_hand() -> None:
    r = report(
        DealTimeline("new", None, state("1000.10")),
        DealTimeline("w", state("2000"), state("2500", stage="won", closed=True, won=True)),
        DealTimeline("l", state("300.50"), state("300.50", stage="lost", closed=True)),
        DealTimeline("del", state("400"), state("400", deleted=True)),
        DealTimeline("re", state("50", stage="lost", closed=True), state("70", stage="demo")),
        DealTimeline("res", state("60", deleted=True), state("65")),
        DealTimeline("in", state("80", pipeline="renewals", stage="r1"), state("80", stage="demo")),
        DealTimeline("out", state("90"), state("90", pipeline="renewals", stage="r2")),
        DealTimeline("up", state("100"), state("150.25")),
        DealTimeline("down", state("200"), state("120")),
        DealTimeline("same", state("10"), state("10", stage="demo")),
    )
    assert r.open_value_start == Decimal("2000") + Decimal("300.50") + 400 + 90 + 100 + 200 + 10
    assert r.open_value_end == Decimal("1000.10") + 70 + 65 + 80 + Decimal("150.25") + 120 + 10
    values = {b: (r.buckets[b].count, r.buckets[b].value) for b in BUCKETS}
    assert values == {
        "created": (1, Decimal("1000.10")),
        "won": (1, Decimal("-2000")),  # minus its open value at T0, not the amount it was won for
        "lost": (1, Decimal("-300.50")),
        "deleted": (1, Decimal("-400")),
        "reopened": (1, Decimal("70")),
        "restored": (1, Decimal("65")),
        "moved_in": (1, Decimal("80")),
        "moved_out": (1, Decimal("-90")),
        "amount_up": (1, Decimal("50.25")),
        "amount_down": (1, Decimal("-80")),
    }
    check_invariant(r)
    assert r.changed == 10
    assert r.moves["stage_forward"].count == 1  # "same": lead -> demo, 10 at T1
    assert r.moves["stage_forward"].value == Decimal("10")
    assert r.buckets["created"].deals[0].owner == "Ana Diaz"


def test_a_deal_given_as_one_state_at_both_ends_counts_in_the_totals_only() -> None:
    same = state("250")
    r = report(DealTimeline("s", same, same), DealTimeline("t", state("250"), state("250")))
    assert (r.open_value_start, r.open_value_end, r.changed) == (Decimal("500"), Decimal("500"), 0)


def test_created_and_deleted_in_the_period_is_in_no_bucket() -> None:
    r = report(DealTimeline("gone", None, state("500", deleted=True)), DealTimeline("none", None, None))
    assert r.changed == 0
    assert r.open_value_start == r.open_value_end == 0


def test_amount_changed_twice_counts_the_net_difference_once() -> None:
    # 100 -> 300 -> 250 during the period: the card compares the two ends only.
    r = report(DealTimeline("a", state("100"), state("250")))
    assert (r.buckets["amount_up"].count, r.buckets["amount_up"].value) == (1, Decimal("150"))
    back = report(DealTimeline("a", state("100"), state("100")))  # 100 -> 300 -> 100
    assert back.changed == 0


def test_pushed_and_pulled_in_with_the_current_quarter() -> None:
    in_q = datetime(2026, 12, 20, tzinfo=UTC)
    next_q = datetime(2027, 1, 15, tzinfo=UTC)
    last_q = datetime(2026, 9, 30, tzinfo=UTC)
    r = report(
        DealTimeline("out-of-q", state("100", close=in_q), state("100", close=next_q)),
        DealTimeline(
            "later-same-q", state("200", close=datetime(2026, 12, 2, tzinfo=UTC)), state("200", close=in_q)
        ),
        DealTimeline("into-q", state("300", close=next_q), state("310", close=in_q)),
        DealTimeline(
            "earlier", state("400", close=next_q), state("400", close=datetime(2027, 1, 2, tzinfo=UTC))
        ),
        DealTimeline("back-again", state("500", close=in_q), state("500", close=in_q)),  # out and back
        DealTimeline("from-past", state("600", close=last_q), state("600", close=in_q)),
        DealTimeline("no-date", state("700"), state("700", close=in_q)),
        DealTimeline(
            "won", state("800", close=in_q), state("800", stage="won", closed=True, won=True, close=next_q)
        ),
    )
    pushed, pulled = r.moves["pushed"], r.moves["pulled_in"]
    # pushed: out-of-q (left the quarter), later-same-q, from-past (an overdue date moved into it)
    assert (pushed.count, pushed.value) == (3, Decimal("900"))
    assert (pushed.left_quarter, pushed.entered_quarter) == (1, 1)
    assert [d.id for d in pushed.deals] == ["from-past", "later-same-q", "out-of-q"]
    assert (pulled.count, pulled.value) == (2, Decimal("710"))
    assert (pulled.left_quarter, pulled.entered_quarter) == (0, 1)
    data = r.to_json_dict()
    assert data["moves"]["pushed"]["left_quarter"] == 1
    assert data["moves"]["pulled_in"]["entered_quarter"] == 1
    assert "left_quarter" not in data["moves"]["stage_forward"]


def test_quarter_is_the_portals_time_zone() -> None:
    # 31 Dec 23:30 in New York is already 1 Jan in UTC.
    nye = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)
    timeline = DealTimeline(
        "x", state("100", close=datetime(2027, 2, 1, tzinfo=UTC)), state("100", close=nye)
    )
    assert report(timeline).moves["pulled_in"].entered_quarter == 0
    assert report(timeline, time_zone="America/New_York").moves["pulled_in"].entered_quarter == 1


def test_stage_moves_follow_the_pipeline_order() -> None:
    r = report(
        DealTimeline("fwd", state("10", stage="lead"), state("20", stage="proposal")),
        DealTimeline("back", state("30", stage="proposal"), state("30", stage="demo")),
        DealTimeline("unknown", state("40", stage="ghost"), state("40", stage="demo")),
    )
    assert (r.moves["stage_forward"].count, r.moves["stage_forward"].value) == (1, Decimal("20"))
    assert (r.moves["stage_backward"].count, r.moves["stage_backward"].value) == (1, Decimal("30"))


def test_all_pipelines_scope_has_no_moves_in_or_out() -> None:
    r = report(DealTimeline("m", state("80", pipeline="renewals", stage="r1"), state("90")), pipeline=None)
    assert r.buckets["moved_in"].count == 0
    assert r.buckets["amount_up"].value == Decimal("10")


def test_largest_deals_are_capped_and_ordered_by_size() -> None:
    timelines = [DealTimeline(f"d{i:02d}", None, state(str(i * 10))) for i in range(1, 13)]
    r = report(*timelines, top=3)
    created = r.buckets["created"]
    assert created.count == 12
    assert [d.id for d in created.deals] == ["d12", "d11", "d10"]
    lost = report(
        DealTimeline("small", state("5"), state("5", stage="lost", closed=True)),
        DealTimeline("big", state("900"), state("900", stage="lost", closed=True)),
    ).buckets["lost"]
    assert [d.id for d in lost.deals] == ["big", "small"]  # by size, though the values are negative


def test_json_form_is_stable() -> None:
    r = report(
        DealTimeline("n", None, state("12.34", name="Acme")), covered_from=datetime(2026, 11, 25, tzinfo=UTC)
    )
    data = json.loads(json.dumps(r.to_json_dict()))
    assert list(data) == [
        "since",
        "until",
        "pipeline",
        "open_value_start",
        "open_value_end",
        "buckets",
        "moves",
        "covered_from",
    ]
    assert list(data["buckets"]) == list(BUCKETS)
    assert list(data["moves"]) == list(MOVES)
    assert data["since"] == "2026-11-23T00:00:00Z"
    assert data["covered_from"] == "2026-11-25T00:00:00Z"
    assert data["buckets"]["created"] == {
        "count": 1,
        "value": 12.34,
        "deals": [{"id": "n", "name": "Acme", "amount": 12.34, "owner": "Ana Diaz"}],
    }
    assert r.partial
    assert r.start == datetime(2026, 11, 25, tzinfo=UTC)


def test_cents_reads_crm_amounts() -> None:
    assert cents("1,234.5") is None  # not silently read as 1.2345 or 1234.5: the source parses commas
    assert cents(" 99.995 ") == Decimal("100.00")  # half-even at the cent: .995 -> 1.00 (even 0)
    assert cents(0.1) == Decimal("0.10")
    assert cents(float("nan")) is None
    assert cents(True) is None
    assert cents(None) is None


def test_deal_state_from_an_engine_deal() -> None:
    pipeline = Pipeline(
        id="sales",
        label="Sales",
        stages=(
            Stage(id="lead", label="Lead", display_order=0),
            Stage(id="won", label="Won", display_order=1, is_closed=True, probability=1.0),
            Stage(id="lost", label="Lost", display_order=2, is_closed=True, probability=0.0),
        ),
    )
    pipelines = {"sales": pipeline}
    won = deal_state(Deal(id="1", amount="10.005", pipeline_id="sales", stage_id="won"), pipelines)
    assert (won.closed, won.won, won.amount) == (True, True, Decimal("10.00"))
    lost = deal_state(Deal(id="2", pipeline_id="sales", stage_id="lost", archived=True), pipelines)
    assert (lost.closed, lost.won, lost.deleted) == (True, False, True)
    unlisted = deal_state(Deal(id="3", pipeline_id="sales", stage_id="ghost"), pipelines)
    assert unlisted.is_open
    assert stage_order([pipeline]) == {"sales": ("lead", "won", "lost")}


# --------------------------------------------------------------------------- properties

amounts = st.one_of(st.none(), st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
close_dates = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
)


@st.composite
def states(draw: st.DrawFn) -> DealState | None:
    if draw(st.integers(0, 5)) == 0:
        return None
    pipeline = draw(st.sampled_from(["sales", "renewals", "other"]))
    stage = draw(st.sampled_from([*STAGES.get(pipeline, ("x",)), "ghost"]))
    closed = draw(st.booleans())
    return DealState(
        name=draw(st.sampled_from(["A", "B", None])),
        amount=draw(amounts),
        pipeline_id=pipeline,
        stage_id=stage,
        closed=closed,
        won=closed and draw(st.booleans()),
        close_date=draw(close_dates),
        owner_id=draw(st.sampled_from(["o1", "o2", "o9", None])),
        deleted=draw(st.integers(0, 6)) == 0,
    )


@st.composite
def periods(draw: st.DrawFn) -> list[DealTimeline]:
    n = draw(st.integers(0, 25))
    return [DealTimeline(f"d{i}", draw(states()), draw(states())) for i in range(n)]


@settings(max_examples=100, deadline=None)
@given(periods(), st.sampled_from(["sales", "renewals", None]))
def test_start_plus_buckets_is_end_to_the_cent(timelines: list[DealTimeline], pipeline: str | None) -> None:
    r = report(*timelines, pipeline=pipeline, top=100)
    check_invariant(r)
    in_buckets = [d.id for b in BUCKETS for d in r.buckets[b].deals]
    assert len(in_buckets) == len(set(in_buckets)), "a deal in two buckets"
    assert r.changed == len(in_buckets)
    for name in BUCKETS:
        group = r.buckets[name]
        assert group.value == sum((d.amount for d in group.deals), Decimal("0"))
        assert all(d.amount != 0 for d in group.deals)
    assert all(d.amount > 0 for d in r.buckets["amount_up"].deals)
    assert all(d.amount < 0 for d in r.buckets["amount_down"].deals)
    amounts_seen = [s.amount for t in timelines for s in (t.before, t.after) if s and s.amount is not None]
    if any(a < 0 for a in amounts_seen):  # a negative amount turns the other buckets' signs round
        return
    for name in ("created", "reopened", "restored", "moved_in"):
        assert all(d.amount > 0 for d in r.buckets[name].deals), name
    for name in ("won", "lost", "deleted", "moved_out"):
        assert all(d.amount < 0 for d in r.buckets[name].deals), name
    json.dumps(r.to_json_dict())


@settings(max_examples=50, deadline=None)
@given(periods())
def test_all_pipelines_is_the_sum_of_each(timelines: list[DealTimeline]) -> None:
    whole = report(*timelines, pipeline=None)
    parts = [report(*timelines, pipeline=p) for p in ("sales", "renewals", "other")]
    assert whole.open_value_start == sum((p.open_value_start for p in parts), Decimal("0"))
    assert whole.open_value_end == sum((p.open_value_end for p in parts), Decimal("0"))


@pytest.mark.parametrize("bucket", BUCKETS)
def test_every_bucket_is_reachable(bucket: str) -> None:
    """Guards the definitions: each bucket has a deal that lands in it and in no other."""
    examples = {
        "created": (None, state("1")),
        "won": (state("1"), state("1", stage="won", closed=True, won=True)),
        "lost": (state("1"), state("1", stage="lost", closed=True)),
        "deleted": (state("1"), None),
        "reopened": (state("1", stage="lost", closed=True), state("1")),
        "restored": (state("1", deleted=True), state("1")),
        "moved_in": (state("1", pipeline="renewals"), state("1")),
        "moved_out": (state("1"), state("1", pipeline="renewals")),
        "amount_up": (state("1"), state("2")),
        "amount_down": (state("2"), state("1")),
    }
    before, after = examples[bucket]
    r = report(DealTimeline("x", before, after))
    assert [b for b in BUCKETS if r.buckets[b].count] == [bucket]
