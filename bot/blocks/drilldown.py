"""Drill-down: the deals behind "Show at-risk deals" and a signal's "Show deals", one page at a time.

The same page renders as a modal (``views.open`` / ``views.update``) or as an ephemeral message
(``respond``). Rows are sorted by value at risk; a page holds :data:`PAGE_SIZE` rows, chosen so that
even worst-case rows (500-character names full of ``&``, long URLs) keep every limit: 8 rows of at most
:data:`bot.blocks.rows.ROW_MAX_CHARS` characters stay under ~10k characters a message and 50 blocks.

Interactive ids (all in :mod:`bot.blocks.ids`; the listeners register them):

- ``drilldown_open`` or ``drilldown_open_<suffix>`` (button, on the engine card and the Home tab;
  match with :data:`DRILLDOWN_OPEN_PATTERN`): value is a :class:`DrilldownRef` (JSON); open the modal for
  it with the click's ``trigger_id``. The suffix keeps action ids unique within one message or view.
- ``drilldown_prev`` / ``drilldown_next`` (buttons, block ``drilldown_pager``): value is the
  :class:`DrilldownRef` of the page to show; in a modal call ``views.update`` with the payload's
  ``view.id`` and ``view.hash``, in a message ``respond(replace_original=True, ...)``.
- Modal ``callback_id`` ``drilldown_modal``; its ``private_metadata`` is the current page's ref.
- Block ids: ``drilldown_title``, ``drilldown_summary``, ``drilldown_row_<n>``, ``drilldown_empty``,
  ``drilldown_pager``; ``drilldown_loading`` and ``drilldown_error`` in the interim modals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.blocks.format import engine_title, format_money, pipeline_text
from bot.blocks.ids import (
    DRILLDOWN_MODAL,
    DRILLDOWN_NEXT,
    DRILLDOWN_OPEN,
    DRILLDOWN_OPEN_PATTERN,
    DRILLDOWN_PREV,
    DrilldownRef,
    signal_key,
)
from bot.blocks.kit import context, header, section
from bot.blocks.message import SlackMessage
from bot.blocks.mrkdwn import escape_within, fallback_text, plain
from bot.blocks.rows import at_risk_rows, render_row, signal_rows
from engines import AtRiskDeal, EngineReport, PortalSnapshot, Signal

__all__ = [
    "PAGE_SIZE",
    "DrilldownPage",
    "drilldown_blocks",
    "drilldown_error_modal",
    "drilldown_loading_modal",
    "drilldown_message",
    "drilldown_modal",
    "drilldown_open_button",
    "drilldown_page",
    "drilldown_rows",
    "find_signal",
]

PAGE_SIZE = 8
_TITLE_AT_RISK = "At-risk deals"  # modal titles: at most 24 characters
_TITLE_SIGNAL = "Deals in this signal"


def find_signal(report: EngineReport, key: str) -> Signal | None:
    """The report's signal whose :func:`signal_key` is ``key`` (``None`` when it is gone)."""
    for signal in report.signals:
        if signal_key(signal) == key:
            return signal
    return None


@dataclass(frozen=True, slots=True)
class DrilldownPage:
    """One page of rows, plus what the summary line says about the whole list."""

    rows: tuple[AtRiskDeal, ...]
    page: int
    pages: int
    total: int
    total_amount: float

    @property
    def first_index(self) -> int:
        return self.page * PAGE_SIZE

    def owner_emails(self) -> list[str]:
        """The e-mails to resolve to Slack ids before rendering (only this page's, not the list's)."""
        return [r.owner_email for r in self.rows if r.owner_email]


def drilldown_page(rows: Sequence[AtRiskDeal], page: int) -> DrilldownPage:
    """Cut page ``page`` out of already-sorted ``rows``; a page past the end shows the last page
    (the list may have shrunk since the button was drawn)."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(0, page), pages - 1)
    start = page * PAGE_SIZE
    return DrilldownPage(
        rows=tuple(rows[start : start + PAGE_SIZE]),
        page=page,
        pages=pages,
        total=len(rows),
        total_amount=sum(r.amount or 0.0 for r in rows),
    )


def drilldown_open_button(ref: DrilldownRef, text: str = "Show deals", *, suffix: str = "") -> ButtonElement:
    """The button that opens a drill-down: ``action_id`` ``drilldown_open`` (``drilldown_open_<suffix>``
    when one message carries several, e.g. one per signal: pass the signal's index)."""
    action_id = f"{DRILLDOWN_OPEN}_{suffix}" if suffix else DRILLDOWN_OPEN
    if not DRILLDOWN_OPEN_PATTERN.fullmatch(action_id):
        raise ValueError("suffix must be lower-case letters, digits or '_'")
    return ButtonElement(text=plain(text, 75), action_id=action_id, value=ref.encode())


def drilldown_blocks(
    page: DrilldownPage,
    *,
    ref: DrilldownRef,
    heading: str,
    currency: str,
    time_zone: str = "UTC",
    slack_ids: Mapping[str, str] | None = None,
) -> list[Block]:
    """The blocks of one page: title, summary, one section per deal, pager. At most 12 blocks.

    ``heading`` is plain text (it may hold a pipeline or signal name; plain text is never parsed for
    mentions or links) and is clipped to the header limit.
    """
    blocks: list[Block] = [header(plain(heading, 150), block_id="drilldown_title")]
    if page.total == 0:
        blocks.append(
            section("No deals to show: nothing is flagged here right now.", block_id="drilldown_empty")
        )
        return blocks
    last = page.first_index + len(page.rows)
    summary = (
        f"Deals {page.first_index + 1}–{last} of {page.total:,} · sorted by value at risk · "
        f"{escape_within(format_money(page.total_amount, currency[:8]), 40)} in all"
    )
    blocks.append(context(summary, block_id="drilldown_summary"))
    for offset, row in enumerate(page.rows):
        text = render_row(row, currency=currency, time_zone=time_zone, slack_ids=slack_ids)
        blocks.append(section(text, block_id=f"drilldown_row_{page.first_index + offset}"))
    buttons: list[ButtonElement] = []
    if page.page > 0:
        buttons.append(
            ButtonElement(
                text="◀ Previous", action_id=DRILLDOWN_PREV, value=ref.at_page(page.page - 1).encode()
            )
        )
    if page.page < page.pages - 1:
        buttons.append(
            ButtonElement(text="Next ▶", action_id=DRILLDOWN_NEXT, value=ref.at_page(page.page + 1).encode())
        )
    if buttons:
        blocks.append(ActionsBlock(block_id="drilldown_pager", elements=buttons))
    return blocks


def _fallback(page: DrilldownPage, heading: str) -> str:
    return fallback_text(
        f"{plain(heading, 150)}: {page.total:,} deals (page {page.page + 1} of {page.pages})"
    )


def drilldown_rows(
    ref: DrilldownRef,
    reports: Sequence[EngineReport],
    snapshot: PortalSnapshot,
) -> tuple[list[AtRiskDeal], str] | None:
    """The sorted rows and the heading a ref asks for, from freshly computed reports.

    ``None`` when the engine's report is missing or the signal no longer exists (the data moved on
    since the button was drawn): the caller says so instead of showing an empty list.
    """
    report = next((r for r in reports if r.engine is ref.engine), None)
    if report is None:
        return None
    where = pipeline_text(report)
    if ref.signal is None:
        return at_risk_rows(report), f"{engine_title(report.engine)} · at-risk deals · {where}"
    signal = find_signal(report, ref.signal)
    if signal is None:
        return None
    rows = signal_rows(signal, snapshot, report.as_of, reports=reports)
    return rows, f"{signal.name} · {where}"


def drilldown_modal(
    page: DrilldownPage,
    *,
    ref: DrilldownRef,
    heading: str,
    currency: str,
    time_zone: str = "UTC",
    slack_ids: Mapping[str, str] | None = None,
) -> View:
    """The page as a modal (title "At-risk deals" or "Deals in this signal", both <= 24)."""
    blocks = drilldown_blocks(
        page, ref=ref, heading=heading, currency=currency, time_zone=time_zone, slack_ids=slack_ids
    )
    return _modal(ref.at_page(page.page), blocks)


def drilldown_message(
    page: DrilldownPage,
    *,
    ref: DrilldownRef,
    heading: str,
    currency: str,
    time_zone: str = "UTC",
    slack_ids: Mapping[str, str] | None = None,
    replace_original: bool = False,
) -> dict[str, Any]:
    """The page as an ephemeral message payload for ``respond(**payload)`` (or a response URL).

    Paging buttons in it should be answered with ``replace_original=True`` so the list updates in
    place instead of stacking messages.
    """
    blocks = drilldown_blocks(
        page, ref=ref, heading=heading, currency=currency, time_zone=time_zone, slack_ids=slack_ids
    )
    message = SlackMessage(text=_fallback(page, heading), blocks=blocks)
    return {"response_type": "ephemeral", "replace_original": replace_original, **message.to_dict()}


def _modal(ref: DrilldownRef, blocks: list[Block]) -> View:
    """The drill-down modal showing ``blocks``; ``private_metadata`` is the page's ref."""
    return View(
        type="modal",
        callback_id=DRILLDOWN_MODAL,
        title=PlainTextObject(text=_TITLE_SIGNAL if ref.signal else _TITLE_AT_RISK),
        close=PlainTextObject(text="Close"),
        private_metadata=ref.encode(),
        blocks=blocks,
    )


def _notice_modal(ref: DrilldownRef, block_id: str, mrkdwn: str) -> View:
    return _modal(ref, [section(mrkdwn, block_id=block_id)])


def drilldown_loading_modal(ref: DrilldownRef) -> View:
    """Opened at once with the click's ``trigger_id`` (valid for 3 s), then replaced by the list:
    reading the CRM can take longer than the trigger lives."""
    return _notice_modal(ref, "drilldown_loading", ":hourglass_flowing_sand: Reading your CRM, one moment…")


def drilldown_error_modal(ref: DrilldownRef, user_message: str) -> View:
    """What the modal shows when the list could not be produced (``EngineError.user_message``)."""
    return _notice_modal(ref, "drilldown_error", f":warning: {escape_within(user_message, 2500)}")
