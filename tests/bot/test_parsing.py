"""What people type after /engine or @bot, and what the bot understands."""

from __future__ import annotations

import pytest

from bot.answers.parsing import HelpRequest, ReportRequest, SubcommandRequest, parse_request
from engines import EngineName


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("growth", ReportRequest("growth")),
        ("  Fulfillment  ", ReportRequest("fulfillment")),
        ("ALL", ReportRequest("all")),
        ("growth Enterprise Sales", ReportRequest("growth", "Enterprise Sales")),
        ("all for Enterprise Sales", ReportRequest("all", "Enterprise Sales")),
        ("growth private", ReportRequest("growth", None, private=True)),
        ("private innovation for 12345", ReportRequest("innovation", "12345", private=True)),
        ("growth PRIVATE Sales", ReportRequest("growth", "Sales", private=True)),
        ("<@U0BOT> growth", ReportRequest("growth")),
        ("<@U0BOT|valuebot> all for Renewals & Expansion", ReportRequest("all", "Renewals & Expansion")),
        ("", HelpRequest()),
        (None, HelpRequest()),
        ("help", HelpRequest()),
        ("--help", HelpRequest()),
        ("private", HelpRequest(private=True)),
        ("<@U0BOT>", HelpRequest()),
        ("grwoth", HelpRequest("grwoth")),
        ("<!channel> growth", HelpRequest("@channel")),  # Slack's token, read as typed
        ("growth Renewals &amp; Expansion", ReportRequest("growth", "Renewals & Expansion")),
        ("growth &lt;EMEA&gt; &amp;amp; co", ReportRequest("growth", "<EMEA> &amp; co")),
        ("schedule growth weekly", HelpRequest("schedule")),
    ],
)
def test_parse(text: str | None, expected: object) -> None:
    assert parse_request(text) == expected


def test_subcommand_args_are_what_was_typed() -> None:
    parsed = parse_request("<@U0BOT|valuebot> deal Smith &amp; Partners &lt;EU&gt;", ["deal"])
    assert parsed == SubcommandRequest("deal", "Smith & Partners <EU>")


def test_registered_subcommands_take_the_rest_of_the_text() -> None:
    parsed = parse_request("Schedule growth weekly mon 09:00 private", ["schedule", "deal"])
    assert parsed == SubcommandRequest("schedule", "growth weekly mon 09:00", private=True)
    assert parse_request("deal Acme <renewal>", ["deal"]) == SubcommandRequest("deal", "Acme <renewal>")


def test_engines_of_a_request() -> None:
    assert ReportRequest("all").engines == list(EngineName)
    assert ReportRequest("growth").engines == [EngineName.GROWTH]


def test_huge_input_is_bounded() -> None:
    parsed = parse_request("growth " + "x" * 100_000)
    assert isinstance(parsed, ReportRequest)
    assert parsed.pipeline is not None
    assert len(parsed.pipeline) < 4000
