"""Money as a person reads it: the unit the amount reaches, one decimal, and no runaway digits.

A CRM holds whatever was typed (a fat-fingered 1e18 deal); the card must still say it in a few
characters, never ``$1000000000B``.
"""

from __future__ import annotations

import pytest

from bot.blocks.format import count_text, format_money


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "$0"),
        (999.4, "$999"),
        (999.6, "$1k"),  # rounds into the next unit instead of "$1000"
        (1_234, "$1.2k"),
        (960_000, "$960k"),
        (999_960, "$1M"),  # not "$1000k"
        (3_600_000, "$3.6M"),
        (1_250_000_000, "$1.2B"),
        (999_960_000_000, "$1T"),  # not "$1000B"
        (1.5e12, "$1.5T"),
        (999.9e12, "$999.9T"),
        (1e15, "$1e15"),
        (1e18, "$1e18"),  # was "$1000000000B"
        (2.5e21, "$2.5e21"),
        (-2_500, "-$2.5k"),
        (-1e18, "-$1e18"),
    ],
)
def test_amounts_scale_to_the_unit_they_reach(amount: float, shown: str) -> None:
    assert format_money(amount, "USD") == shown


def test_every_amount_stays_short_however_large() -> None:
    for exponent in range(0, 309):
        assert len(format_money(9.99 * 10.0**exponent if exponent < 308 else 1e308, "USD")) <= 9


@pytest.mark.parametrize("amount", [float("inf"), float("-inf"), float("nan"), None])
def test_amounts_that_are_not_numbers_say_so(amount: float | None) -> None:
    assert format_money(amount, "USD") == "no amount"


def test_unknown_currency_goes_after_the_number() -> None:
    assert format_money(1e18, "SEK") == "1e18 SEK"
    assert format_money(1_500_000, "SEK") == "1.5M SEK"


def test_negative_amounts_read_like_finance_and_counts_agree_with_their_noun() -> None:
    assert format_money(-2500, "USD") == "-$2.5k"
    assert format_money(-2500, "XYZ") == "-2.5k XYZ"
    assert count_text(1, "data gap") == "1 data gap"
    assert count_text(3, "data gap") == "3 data gaps"
    assert count_text(2, "more analysis", "more analyses") == "2 more analyses"


def test_a_currency_code_from_the_crm_is_cut_to_letters() -> None:
    # Letters only: safe on every surface without escaping, so nothing can be escaped twice.
    assert format_money(1500, "<b>") == "1.5k B"
    assert format_money(1500, "eur") == "€1.5k"
    assert format_money(1500, "") == "1.5k"
    assert format_money(1500, "sek&<x>") == "1.5k SEK"
