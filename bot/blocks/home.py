"""The App Home tab: the three engines at a glance for one pipeline, and the viewer's deals at risk.

A rep opens the Home tab to see "how are we doing, and what of mine needs attention", so the tab shows
each engine's score, label and trend, then the at-risk deals the viewer owns (matched by the e-mail
on their Slack profile against HubSpot owners). When there is no match, the tab says why in words the
rep can act on, instead of showing an empty list.

Interactive ids (all in :mod:`bot.blocks.ids`; the listeners register them):

- ``home_pipeline`` (static select, block ``home_controls``): the selected option's value is a
  pipeline id, or ``*`` for all pipelines; re-publish the tab for that pipeline.
- ``home_refresh`` (button, block ``home_controls``): value is the shown pipeline id (``*`` for all);
  re-read and re-publish.
- ``settings_open`` (button, block ``home_controls``, when the bot keeps workspace settings): opens
  the settings modal (:mod:`bot.blocks.settings_modal`).
- ``drilldown_open_<engine>`` (button beside each engine with at-risk deals, blocks
  ``home_engine_<engine>``): see :mod:`bot.blocks.drilldown` (``ACTION_OPEN_PATTERN`` matches it);
  open the modal with the click's ``trigger_id``.
- The view's ``private_metadata`` is ``{"p": <pipeline id or null>}``: the pipeline shown, so a click
  anywhere in the tab knows what to refresh.
- Block ids: ``home_title``, ``home_controls``, ``home_engine_<engine>``, ``home_engine_<engine>_more``,
  ``home_mine_title``, ``home_mine_note``, ``home_mine_<n>``, ``home_mine_more``, ``home_footer``,
  ``home_error``, ``home_loading``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    Option,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.drilldown import drilldown_open_button
from bot.blocks.format import (
    engine_title,
    format_money,
    light,
    pipeline_text,
    source_text,
    trend_text,
)
from bot.blocks.ids import (
    ALL_PIPELINES,
    HOME_PIPELINE,
    HOME_REFRESH,
    MAX_HOME_PIPELINE,
    DrilldownRef,
    home_metadata,
    home_pipeline_value,
)
from bot.blocks.kit import context, header, section
from bot.blocks.mrkdwn import escape_within, format_date, plain
from bot.blocks.rows import render_row, sort_by_value
from bot.blocks.settings_modal import settings_open_button
from bot.storage.history import Trend
from engines import AtRiskDeal, EngineName, EngineReport, Owner, Pipeline, PortalSnapshot

__all__ = [
    "HOME_MAX_DEALS",
    "home_error_view",
    "home_loading_view",
    "home_view",
    "my_at_risk",
    "owner_for_email",
]

HOME_MAX_DEALS = 10  # rows of "my deals at risk"; 10 worst-case rows stay under ~8k characters
_MAX_OPTIONS = 100  # Slack's limit for a static select
_OPTION_TEXT = 75
_ORDER = (EngineName.GROWTH, EngineName.FULFILLMENT, EngineName.INNOVATION)


# --------------------------------------------------------------------------- matching the viewer


def owner_for_email(snapshot: PortalSnapshot, email: str | None) -> Owner | None:
    """The HubSpot owner with this e-mail (case-insensitive), preferring an active one."""
    wanted = (email or "").strip().casefold()
    if not wanted:
        return None
    found = [o for o in snapshot.owners if (o.email or "").strip().casefold() == wanted]
    found.sort(key=lambda o: o.archived)
    return found[0] if found else None


def my_at_risk(reports: Sequence[EngineReport], owner: Owner) -> list[AtRiskDeal]:
    """The owner's at-risk deals across ``reports`` (each deal once), largest first.

    Matched on the owner id, or on the e-mail when a row has no id: both come from the same HubSpot
    owner record the engines used.
    """
    email = (owner.email or "").strip().casefold()
    mine: dict[str, AtRiskDeal] = {}
    for report in reports:
        for row in report.at_risk:
            same_id = row.owner_id is not None and row.owner_id == owner.id
            same_email = bool(email) and (row.owner_email or "").strip().casefold() == email
            if same_id or same_email:
                mine.setdefault(row.id, row)
    return sort_by_value(mine.values())


# --------------------------------------------------------------------------- building blocks


def _controls(pipelines: Sequence[Pipeline], chosen: str | None, *, settings: bool = False) -> ActionsBlock:
    options = [Option(text=PlainTextObject(text="All pipelines"), value=ALL_PIPELINES)]
    for pipeline in pipelines:
        if pipeline.archived or not 0 < len(pipeline.id) <= MAX_HOME_PIPELINE or pipeline.id == ALL_PIPELINES:
            continue
        if len(options) >= _MAX_OPTIONS:
            break
        label = plain(pipeline.label, _OPTION_TEXT) or plain(pipeline.id, _OPTION_TEXT)
        options.append(Option(text=PlainTextObject(text=label), value=pipeline.id))
    initial = next((o for o in options if o.value == chosen), options[0])
    return ActionsBlock(
        block_id="home_controls",
        elements=[
            StaticSelectElement(
                action_id=HOME_PIPELINE,
                placeholder=PlainTextObject(text="Pipeline"),
                options=options,
                initial_option=initial,
            ),
            ButtonElement(text="↻ Refresh", action_id=HOME_REFRESH, value=home_pipeline_value(chosen)),
            *([settings_open_button()] if settings else []),
        ],
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _engine_blocks(report: EngineReport, trend: Trend | None) -> list[Block]:
    score = f"*{report.score}/100*" if report.score is not None else "*no score*"
    line = f"{light(report.label).emoji} *{engine_title(report.engine)}*: {score} {report.label.value}"
    moved = trend_text(trend, report.time_zone)
    if moved:
        line += f" · {moved}"
    if report.purpose:
        line += f"\n_{escape_within(report.purpose, 300)}_"
    ref = DrilldownRef.for_report(report) if report.at_risk else None
    accessory = None
    if ref is not None:
        accessory = drilldown_open_button(ref, "Show at-risk deals", suffix=report.engine.value)
    blocks: list[Block] = [section(line, block_id=f"home_engine_{report.engine.value}", accessory=accessory)]
    facts = []
    if report.at_risk:
        value = format_money(sum(r.amount or 0.0 for r in report.at_risk), report.currency)
        facts.append(f"{_count(len(report.at_risk), 'at-risk deal')} ({escape_within(value, 40)})")
    facts.append(_count(len(report.signals), "signal"))
    if report.signals:
        facts.append(f"top: {escape_within(report.signals[0].name, 150)}")
    if report.data_gaps:
        facts.append(_count(len(report.data_gaps), "data gap"))
    blocks.append(context(" · ".join(facts), block_id=f"home_engine_{report.engine.value}_more"))
    return blocks


def _mine_blocks(
    reports: Sequence[EngineReport],
    viewer_email: str | None,
    owner: Owner | None,
) -> list[Block]:
    blocks: list[Block] = [header("My deals at risk", block_id="home_mine_title")]

    def note(text: str) -> list[Block]:
        blocks.append(section(text, block_id="home_mine_note"))
        return blocks

    if not viewer_email:
        return note(
            "I can't read an e-mail address on your Slack profile, so I can't match you to a HubSpot "
            "owner. Ask a Slack admin whether the app has the `users:read.email` permission."
        )
    if owner is None:
        return note(
            f"No HubSpot owner uses your e-mail address ({escape_within(viewer_email, 120)}), so there "
            "are no deals to show you. If you own deals in HubSpot under another address, ask your "
            "HubSpot admin to add this one to your HubSpot user."
        )
    mine = my_at_risk(reports, owner)
    if not mine:
        return note(":tada: None of your deals are at risk right now.")
    currency = reports[0].currency if reports else "USD"
    time_zone = reports[0].time_zone if reports else "UTC"
    for index, row in enumerate(mine[:HOME_MAX_DEALS]):
        text = render_row(row, currency=currency, time_zone=time_zone, show_owner=False)
        blocks.append(section(text, block_id=f"home_mine_{index}"))
    if len(mine) > HOME_MAX_DEALS:
        rest = mine[HOME_MAX_DEALS:]
        value = format_money(sum(r.amount or 0.0 for r in rest), currency)
        more = (
            f"…and {len(rest):,} more of yours ({escape_within(value, 40)}). *Show at-risk deals* above "
            "lists the whole team's, largest first."
        )
        blocks.append(context(more, block_id="home_mine_more"))
    return blocks


# --------------------------------------------------------------------------- views


def home_view(
    reports: Sequence[EngineReport],
    *,
    viewer_email: str | None,
    owner: Owner | None,
    trends: Mapping[EngineName, Trend | None] | None = None,
    pipelines: Sequence[Pipeline] = (),
    pipeline: str | None = None,
    settings: bool = False,
) -> View:
    """The Home tab for one viewer (at most ~30 blocks, far under the 100 a Home tab allows).

    ``reports`` are the engines' reports for ``pipeline`` (``None``: all pipelines), ``pipelines`` the
    portal's pipelines for the picker, ``owner`` what :func:`owner_for_email` found for
    ``viewer_email`` (the e-mail from :meth:`bot.slack.owners.OwnerDirectory.email_for_user`).
    ``settings``: show the Settings button (the bot keeps workspace settings).
    """
    trends = trends or {}
    ordered = sorted(reports, key=lambda r: _ORDER.index(r.engine) if r.engine in _ORDER else len(_ORDER))
    where = pipeline_text(ordered[0]) if ordered else "all pipelines"
    blocks: list[Block] = [
        header(plain(f"Value engines · {where}", 150), block_id="home_title"),
        _controls(pipelines, pipeline, settings=settings),
        DividerBlock(),
    ]
    for report in ordered:
        blocks.extend(_engine_blocks(report, trends.get(report.engine)))
    blocks.append(DividerBlock())
    blocks.extend(_mine_blocks(ordered, viewer_email, owner))
    if ordered:
        first = ordered[0]
        footer = (
            f"As of {format_date(first.as_of, first.time_zone, time=True)} · "
            f"{first.deals_analyzed:,} deals analysed · source: {source_text(first.source)}"
        )
        blocks.append(context(footer, block_id="home_footer"))
    return View(type="home", blocks=blocks, private_metadata=home_metadata(pipeline))


def home_loading_view(pipeline: str | None = None) -> View:
    """Published at once on ``app_home_opened`` while HubSpot is read, so the tab is never blank."""
    return View(
        type="home",
        private_metadata=home_metadata(pipeline),
        blocks=[section(":hourglass_flowing_sand: Reading your CRM, one moment…", block_id="home_loading")],
    )


def home_error_view(user_message: str, pipeline: str | None = None) -> View:
    """The tab when the data could not be read (``EngineError.user_message``), with a way to retry."""
    return View(
        type="home",
        private_metadata=home_metadata(pipeline),
        blocks=[
            section(f":warning: {escape_within(user_message, 2500)}", block_id="home_error"),
            ActionsBlock(
                block_id="home_controls",
                elements=[
                    ButtonElement(
                        text="↻ Try again", action_id=HOME_REFRESH, value=home_pipeline_value(pipeline)
                    )
                ],
            ),
        ],
    )
