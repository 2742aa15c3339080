"""Every interactive id the bot draws and listens for, and the codecs of what its buttons carry.

One leaf module, so a builder and the listener that answers it can never disagree on a name, and a
reader sees every id at once. The scheme: constants are named ``<SURFACE>_<WHAT>`` (``ENGINE_REFRESH``,
``DEAL_PICK``, ``DRILLDOWN_OPEN``, ``HOME_PIPELINE``); a ``*_PATTERN`` matches an id family that carries
a suffix (one button per signal, per match, per engine), because Slack wants action ids unique within a
message. A button's value never carries CRM text: only ids, read back through a codec here that returns
``None`` for anything the bot did not write (values come from clients).

===========================  ==============================  =========================================
id                           drawn by                        value
===========================  ==============================  =========================================
``engine.show.<engine>``     engine card (switch engine)     :class:`CardTarget`
``engine.refresh``           engine card                     :class:`CardTarget`
``engine.changes``           engine card ("What changed")    :class:`CardTarget` (its pipeline is used)
``deal_pick_<n>``            deal pick list                  the deal id
``deal_open_hubspot``        deal card (link button)         none: Slack reports the click, we ack it
``drilldown_open[_<x>]``     card, Home tab                  :class:`DrilldownRef`
``drilldown_prev/next``      drill-down pager                :class:`DrilldownRef` of the page to show
``drilldown_modal``          drill-down modal (callback id)  ``private_metadata``: :class:`DrilldownRef`
``home_pipeline``            Home tab (static select)        pipeline id, or :data:`ALL_PIPELINES`
``home_refresh``             Home tab                        pipeline id, or :data:`ALL_PIPELINES`
``settings_open``            Home tab, help replies          none
``settings_advanced_<n>``    settings modal                  the page of thresholds (``1``, ``2``...)
``settings_modal``           settings modal (callback id)    none; inputs in blocks ``settings.<name>``
``settings_value``           each settings input             what was typed or chosen
``alert_item_<n>``           digest item (overflow menu)     :func:`alert_item_value`: snooze or mute
``alert_folded``             digest ("and N more")           the digest id
``alert_optin``              Home tab (static select)        :data:`ALERT_OPTIN_MODES` or ``channel``
===========================  ==============================  =========================================

The engine card's ids keep their dotted spelling: cards already posted in channels carry them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines import EngineName, EngineReport, Signal

__all__ = [
    "ALERT_FOLDED",
    "ALERT_ITEM_PATTERN",
    "ALERT_OPTIN",
    "ALERT_OPTIN_MODES",
    "ALL_PIPELINES",
    "DEAL_OPEN_HUBSPOT",
    "DEAL_PICK",
    "DEAL_PICK_PATTERN",
    "DRILLDOWN_MODAL",
    "DRILLDOWN_NEXT",
    "DRILLDOWN_OPEN",
    "DRILLDOWN_OPEN_PATTERN",
    "DRILLDOWN_PAGES",
    "DRILLDOWN_PREV",
    "ENGINE_BUTTONS",
    "ENGINE_CHANGES",
    "ENGINE_REFRESH",
    "ENGINE_SHOW_PREFIX",
    "HOME_CONTROLS",
    "HOME_PIPELINE",
    "HOME_REFRESH",
    "MAX_HOME_PIPELINE",
    "SETTINGS_ADVANCED",
    "SETTINGS_ADVANCED_PATTERN",
    "SETTINGS_BLOCK_PREFIX",
    "SETTINGS_MODAL",
    "SETTINGS_NOT_SET",
    "SETTINGS_OPEN",
    "SETTINGS_VALUE",
    "AlertItemAction",
    "CardTarget",
    "DrilldownRef",
    "alert_item_action",
    "alert_item_from_value",
    "alert_item_value",
    "digest_from_value",
    "home_metadata",
    "home_pipeline_from_metadata",
    "home_pipeline_from_value",
    "home_pipeline_value",
    "settings_advanced_action",
    "settings_block_id",
    "settings_name_from_block",
    "settings_page_from_value",
    "signal_key",
]

# --------------------------------------------------------------------------- engine card

ENGINE_SHOW_PREFIX = "engine.show."
ENGINE_REFRESH = "engine.refresh"
ENGINE_CHANGES = "engine.changes"
ENGINE_BUTTONS = re.compile(rf"^({re.escape(ENGINE_SHOW_PREFIX)}\w+|{re.escape(ENGINE_REFRESH)})$")


@dataclass(frozen=True)
class CardTarget:
    """What a card's buttons ask for: an engine (or ``all``) and a pipeline id (``None``: all)."""

    engine: str
    pipeline: str | None = None

    def to_value(self) -> str:
        return json.dumps({"e": self.engine, "p": self.pipeline}, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> CardTarget | None:
        """Parse a button value; ``None`` for anything we did not write ourselves."""
        try:
            data = json.loads(value)
        except (ValueError, TypeError):
            return None
        if not isinstance(data, dict):
            return None
        engine, pipeline = data.get("e"), data.get("p")
        if engine not in {*(e.value for e in EngineName), "all"}:
            return None
        if pipeline is not None and not isinstance(pipeline, str):
            return None
        return cls(engine, pipeline)


# --------------------------------------------------------------------------- deal card

DEAL_PICK = "deal_pick"
DEAL_PICK_PATTERN = re.compile(r"^deal_pick_\d+$")
DEAL_OPEN_HUBSPOT = "deal_open_hubspot"

# --------------------------------------------------------------------------- drill-down

DRILLDOWN_OPEN = "drilldown_open"
DRILLDOWN_OPEN_PATTERN = re.compile(r"^drilldown_open(_[a-z0-9_]+)?$")
DRILLDOWN_PREV = "drilldown_prev"
DRILLDOWN_NEXT = "drilldown_next"
DRILLDOWN_PAGES = re.compile(rf"^({DRILLDOWN_PREV}|{DRILLDOWN_NEXT})$")
DRILLDOWN_MODAL = "drilldown_modal"
_MAX_PIPELINE = 200


def signal_key(signal: Signal) -> str:
    """A short, stable id for a signal: survives a refresh, carries no CRM text into button values."""
    digest = hashlib.sha256(f"{signal.type.value}\x1f{signal.name}".encode()).hexdigest()
    return digest[:12]


class DrilldownRef(BaseModel):
    """Which list and page a button shows. Encoded as compact JSON into button values (<= 2,000)
    and the modal's ``private_metadata`` (<= 3,000); the field bounds keep it far below both."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    engine: EngineName
    pipeline: str | None = Field(default=None, max_length=_MAX_PIPELINE)
    signal: str | None = Field(default=None, max_length=16)
    page: int = Field(default=0, ge=0, le=100_000)

    def encode(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_defaults=True), separators=(",", ":"))

    @classmethod
    def decode(cls, value: str | None) -> DrilldownRef | None:
        """The ref in a button value, or ``None`` for anything malformed (values come from clients)."""
        if not value:
            return None
        try:
            return cls.model_validate_json(value)
        except ValidationError:
            return None

    @classmethod
    def for_report(cls, report: EngineReport, signal: Signal | None = None) -> DrilldownRef | None:
        """The ref for a report's at-risk list (or one of its signals); ``None`` when the pipeline id
        is too long to travel in a button, in which case the caller simply shows no button."""
        if report.pipeline is not None and len(report.pipeline) > _MAX_PIPELINE:
            return None
        return cls(
            engine=report.engine,
            pipeline=report.pipeline,
            signal=signal_key(signal) if signal is not None else None,
        )

    def at_page(self, page: int) -> DrilldownRef:
        return self.model_copy(update={"page": page})


# --------------------------------------------------------------------------- App Home

HOME_PIPELINE = "home_pipeline"
HOME_REFRESH = "home_refresh"
HOME_CONTROLS = re.compile(rf"^({HOME_PIPELINE}|{HOME_REFRESH})$")
ALL_PIPELINES = "*"
MAX_HOME_PIPELINE = 150  # a select option's value: longer pipeline ids cannot be chosen


def home_pipeline_value(pipeline: str | None) -> str:
    """A Home control's value for ``pipeline`` (:data:`ALL_PIPELINES` for all, or one too long)."""
    return pipeline if pipeline is not None and len(pipeline) <= MAX_HOME_PIPELINE else ALL_PIPELINES


def home_pipeline_from_value(value: object) -> str | None:
    """The pipeline a Home control asks for (``None``: all pipelines)."""
    return None if not value or value == ALL_PIPELINES else str(value)


def home_metadata(pipeline: str | None) -> str:
    """The Home view's ``private_metadata``: the pipeline shown, so a click knows what to refresh."""
    if pipeline is not None and len(pipeline) > MAX_HOME_PIPELINE:
        pipeline = None  # cannot be chosen from the select either; refresh falls back to all
    return json.dumps({"p": pipeline}, separators=(",", ":"))


def home_pipeline_from_metadata(private_metadata: str | None) -> str | None:
    """The pipeline id a published Home tab shows (``None``: all pipelines, or unreadable metadata)."""
    try:
        data = json.loads(private_metadata or "")
    except ValueError:
        return None
    pipeline = data.get("p") if isinstance(data, dict) else None
    return pipeline if isinstance(pipeline, str) and pipeline else None


# --------------------------------------------------------------------------- settings modal

SETTINGS_OPEN = "settings_open"
SETTINGS_ADVANCED = "settings_advanced"
SETTINGS_ADVANCED_PATTERN = re.compile(r"^settings_advanced_\d+$")
SETTINGS_MODAL = "settings_modal"
SETTINGS_VALUE = "settings_value"
SETTINGS_BLOCK_PREFIX = "settings."
SETTINGS_NOT_SET = "*"  # the "not set" option of a pipeline select


def settings_block_id(name: str) -> str:
    """The input block of setting ``name``: ``response_action: errors`` is keyed by it."""
    return SETTINGS_BLOCK_PREFIX + name


def settings_name_from_block(block_id: str) -> str | None:
    """The setting an input block holds, or ``None`` for any other block."""
    if not block_id.startswith(SETTINGS_BLOCK_PREFIX):
        return None
    return block_id.removeprefix(SETTINGS_BLOCK_PREFIX) or None


def settings_advanced_action(page: int) -> str:
    """The button opening page ``page`` of the advanced thresholds (ids are unique in a view)."""
    return f"{SETTINGS_ADVANCED}_{page}"


def settings_page_from_value(value: str) -> int | None:
    """The page an "Advanced thresholds" button opens, or ``None`` for a value we did not write."""
    return int(value) if value.isdigit() and 1 <= int(value) <= 25 else None


# --------------------------------------------------------------------------- alert digests

ALERT_ITEM_PATTERN = re.compile(r"^alert_item_\d+$")
ALERT_FOLDED = "alert_folded"
ALERT_OPTIN = "alert_optin"
ALERT_OPTIN_MODES = ("instead", "also")  # an owner's deals' alerts as a DM instead of, or as well as


@dataclass(frozen=True)
class AlertItemAction:
    """A digest item's menu choice: ``snooze`` alert ``target`` (an alert id) or ``mute`` rule ``target``."""

    verb: str
    target: str


def alert_item_action(n: int) -> str:
    """The overflow menu of the ``n``-th item of a digest message (ids are unique in a message)."""
    return f"alert_item_{n}"


def alert_item_value(verb: str, target: str) -> str:
    return f"{verb}:{target}"


def alert_item_from_value(value: str) -> AlertItemAction | None:
    verb, _, target = value.partition(":")
    if verb == "snooze" and target.isdigit():
        return AlertItemAction(verb, target)
    if verb == "mute" and re.fullmatch(r"[0-9a-f]{6}", target):
        return AlertItemAction(verb, target)
    return None


def digest_from_value(value: str) -> int | None:
    """The digest a "Show all" button lists, or ``None`` for a value we did not write."""
    return int(value) if value.isdigit() else None
