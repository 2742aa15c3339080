"""The change card in Block Kit and in a terminal: Slack's limits, the buckets in order, signed values,
linked deals with owners, the moves, and the coverage warning when the log starts late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.changes import changes_message, changes_text
from engines.changes import ChangeReport, DealState, DealTimeline, cents, compute_changes
from tests.support.slack import block_problems

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def deal(
    amount: str, *, stage: str = "lead", closed: bool = False, won: bool = False, name: str = "Deal"
) -> DealState:
    return DealState(
        name=name,
        amount=cents(amount),
        pipeline_id="sales",
        stage_id=stage,
        closed=closed,
        won=won,
        close_date=NOW + timedelta(days=10),
        owner_id="o1",
    )


def report(covered_from: datetime | None = None) -> ChangeReport:
    timelines = [
        DealTimeline(f"n{i}", None, deal(str(1000 * i), name=f"New <{i}> & co")) for i in range(1, 6)
    ]
    timelines.append(
        DealTimeline("w", deal("40000"), deal("40000", stage="won", closed=True, won=True, name="Acme"))
    )
    timelines.append(DealTimeline("f", deal("5000"), deal("5000", stage="demo")))
    return compute_changes(
        timelines,
        since=MONDAY,
        until=NOW,
        pipeline="sales",
        stages={"sales": ("lead", "demo", "won")},
        owners={"o1": "Ana Díaz"},
        covered_from=covered_from,
    )


def test_change_card_is_valid_block_kit_and_says_the_numbers() -> None:
    message = changes_message(
        report(),
        currency="USD",
        pipeline_label="Sales",
        deal_url=lambda deal_id: f"https://app.hubspot.com/contacts/1/record/0-3/{deal_id}",
    )
    payload = message.to_dict()
    assert block_problems(payload["blocks"]) == []
    texts = [b["text"]["text"] for b in payload["blocks"] if b["type"] in ("section", "header")]
    assert texts[0] == "What changed · Sales"
    assert texts[1].startswith("*Open pipeline* $45k → $20k (−$25k) · Sales")
    assert texts[2].splitlines()[0] == "*Created* +$15k · 5 deals"
    assert (
        "<https://app.hubspot.com/contacts/1/record/0-3/n5|New &lt;5&gt; &amp; co> · +$5k · Ana Díaz"
        in texts[2]
    )
    assert texts[2].splitlines()[-1] == "and 2 more"
    assert texts[3].splitlines()[0] == "*Won* −$40k · 1 deal"
    assert "Stage forward 1 ($5k)" in texts[4]
    assert payload["text"].startswith(
        "What changed (Sales): open pipeline $45k → $20k; created +$15k (5), won −$40k (1)"
    )


def test_coverage_is_said_when_the_log_starts_after_the_start_asked_for() -> None:
    late = report(covered_from=datetime(2026, 12, 1, 6, tzinfo=UTC))
    payload = changes_message(late, since_previous_post=True).to_dict()
    context = next(b for b in payload["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert context.startswith("⚠️ The change log starts Tue 1 Dec 2026, 06:00 UTC, after the Mon 30 Nov 2026")
    assert payload["blocks"][0]["text"]["text"] == "What changed since the previous post · sales"
    text = changes_text(late)
    assert "! The change log starts Tue 1 Dec 2026, 06:00 UTC" in text


def test_terminal_text_lists_the_waterfall_in_order() -> None:
    text = changes_text(report(), pipeline_label="Sales")
    rows = [
        line.split()[0]
        for line in text.splitlines()
        if line.startswith("  ") and not line.startswith("      ")
    ]
    assert rows == ["Open", "Created", "Won", "Open"]
    assert "Beside the waterfall: Pushed out 0 ($0) · Pulled in 0 ($0) · Stage forward 1 ($5k)" in text


def test_crm_currency_and_pipeline_text_cannot_inject_mrkdwn_or_control_characters() -> None:
    """The currency code and the pipeline label come from the CRM: a code like ``<!here>`` must not
    reach mrkdwn as a live special, and a label with control characters must not reach the header."""
    message = changes_message(report(), currency="<!here>&", pipeline_label="Sales\x07\nEMEA")
    payload = message.to_dict()
    assert block_problems(payload["blocks"]) == []
    header = payload["blocks"][0]["text"]["text"]
    assert header == "What changed · Sales EMEA"
    text = str(payload)
    assert "<!here>" not in text
    assert "&amp;amp;" not in text
    assert "HER" in text  # the code, cut to letters (three at most), still says which currency
