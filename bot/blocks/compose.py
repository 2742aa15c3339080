"""Async glue for the listeners: resolve owners through Slack, then build the view or message.

Builders stay pure (reports in, Block Kit out); this module is the one place that awaits the
:class:`bot.slack.owners.OwnerDirectory` for the rows actually shown (one page, one deal, one viewer), so
each listener is "ack, run the report service, call one function here, send the result".
``owners`` may be ``None`` (no Slack client, e.g. the CLI): owners then show by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from slack_sdk.models.views import View

from bot.blocks.deal_card import MAX_MATCHES, deal_reply, single_match
from bot.blocks.drilldown import (
    DrilldownPage,
    drilldown_message,
    drilldown_modal,
    drilldown_page,
    drilldown_rows,
)
from bot.blocks.home import home_view, owner_for_email
from bot.blocks.ids import DrilldownRef
from bot.blocks.message import SlackMessage
from bot.storage.history import Trend
from engines import EngineName, EngineReport, PortalSnapshot, find_deals

__all__ = ["OwnerLookup", "compose_deal", "compose_drilldown", "compose_home"]

_GONE = "This list is no longer available (the data changed); refresh the card."


class OwnerLookup(Protocol):
    """What the composers need from :class:`bot.slack.owners.OwnerDirectory`."""

    async def slack_user_ids(self, emails: Iterable[str | None]) -> dict[str, str]: ...

    async def email_for_user(self, user_id: str | None) -> str | None: ...


async def _ids(owners: OwnerLookup | None, emails: Iterable[str | None]) -> dict[str, str]:
    return await owners.slack_user_ids(emails) if owners is not None else {}


async def compose_deal(
    query: str,
    reports: Sequence[EngineReport],
    snapshot: PortalSnapshot,
    owners: OwnerLookup | None,
) -> SlackMessage:
    """The answer to ``deal <query>`` (or a ``deal_pick_<n>`` click, with the deal id as query)."""
    matches = find_deals(snapshot, query, limit=MAX_MATCHES + 1)
    chosen = single_match(matches, query)
    emails: list[str | None] = []
    if chosen is not None:
        owner = snapshot.owner(chosen.owner_id)
        emails.append(owner.email if owner is not None else None)
    return deal_reply(query, matches, snapshot, reports, slack_ids=await _ids(owners, emails))


async def compose_drilldown(
    ref: DrilldownRef,
    reports: Sequence[EngineReport],
    snapshot: PortalSnapshot,
    owners: OwnerLookup | None,
    *,
    as_modal: bool,
    replace_original: bool = False,
) -> View | dict[str, Any]:
    """The page ``ref`` asks for: a modal :class:`View` (``views.open``/``views.update``) or an
    ephemeral message payload (``respond(**payload)``). A list that vanished says so."""
    found = drilldown_rows(ref, reports, snapshot)
    rows, heading = found if found is not None else ([], _GONE)
    page: DrilldownPage = drilldown_page(rows, ref.page)
    ids = await _ids(owners, page.owner_emails())
    report = next((r for r in reports if r.engine is ref.engine), None)
    currency = report.currency if report is not None else snapshot.portal.currency
    time_zone = report.time_zone if report is not None else snapshot.portal.time_zone
    if as_modal:
        return drilldown_modal(
            page, ref=ref, heading=heading, currency=currency, time_zone=time_zone, slack_ids=ids
        )
    return drilldown_message(
        page,
        ref=ref,
        heading=heading,
        currency=currency,
        time_zone=time_zone,
        slack_ids=ids,
        replace_original=replace_original,
    )


async def compose_home(
    user_id: str,
    reports: Sequence[EngineReport],
    snapshot: PortalSnapshot,
    owners: OwnerLookup | None,
    *,
    trends: Mapping[EngineName, Trend | None] | None = None,
    pipeline: str | None = None,
    settings: bool = False,
) -> View:
    """The Home tab for ``user_id``: their e-mail from Slack, their HubSpot owner, their deals."""
    email = await owners.email_for_user(user_id) if owners is not None else None
    owner = owner_for_email(snapshot, email)
    return home_view(
        reports,
        viewer_email=email,
        owner=owner,
        trends=trends,
        pipelines=snapshot.pipelines,
        pipeline=pipeline,
        settings=settings,
    )
