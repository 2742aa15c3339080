"""The settings modal (``/engine settings``, the Home tab's Settings button): editable for admins,
read-only for everyone else, and what it says once saved.

- Page 0 holds the main settings (:data:`~bot.blocks.settings_form.MAIN_SETTINGS`), the buttons that
  open the advanced thresholds (pushed on top, :data:`ADVANCED_PER_PAGE` a page, so any number of
  thresholds stays inside a modal's 100 blocks) and the latest changes with who made them.
- Each input sits in block ``settings.<name>`` with action id ``settings_value``; its hint says what
  the environment's value is, and an empty input means "use it". Pipelines are chosen from the
  portal's pipelines when they could be read, typed (id or label) otherwise.
- The read-only view lists every value (ten to a block) and says who may change them.

Every text that came from people or the CRM (pipeline labels, typed values) is escaped or plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.ids import (
    SETTINGS_MODAL,
    SETTINGS_NOT_SET,
    SETTINGS_OPEN,
    SETTINGS_VALUE,
    settings_advanced_action,
)
from bot.blocks.message import SlackMessage
from bot.blocks.mrkdwn import escape, format_date, plain
from bot.blocks.settings_form import (
    Kind,
    Pipelines,
    SettingField,
    display_value,
    fields_for_page,
    not_set_label,
    setting_fields,
)
from bot.settings import WorkspaceSettings
from bot.slack import slack_user_id_ok
from bot.storage import SettingsChange

__all__ = [
    "ADVANCED_PER_PAGE",
    "MAX_PIPELINE_OPTIONS",
    "settings_loading_modal",
    "settings_modal",
    "settings_notice_modal",
    "settings_open_button",
    "settings_open_message",
    "settings_readonly_modal",
    "settings_saved_modal",
]

ADVANCED_PER_PAGE = 90  # inputs a page: a modal holds 100 blocks
MAX_PIPELINE_OPTIONS = 99  # a select holds 100 options; one is "not set"
_TITLE = "Engine settings"
_CHANGES_SHOWN = 5
_HINT_MAX = 300


def _modal(blocks: Sequence[Block], *, editable: bool = False) -> View:
    return View(
        type="modal",
        callback_id=SETTINGS_MODAL,
        title=PlainTextObject(text=_TITLE),
        close=PlainTextObject(text="Cancel" if editable else "Close"),
        submit=PlainTextObject(text="Save") if editable else None,
        blocks=list(blocks),
    )


def settings_loading_modal() -> View:
    """Opened at once with the ``trigger_id`` (valid 3 s); replaced by the form once the portal's
    pipelines are read."""
    return _modal([SectionBlock(block_id="settings_loading", text=":hourglass_flowing_sand: One moment…")])


def settings_notice_modal(text: str) -> View:
    """A modal that only says ``text`` (already mrkdwn-safe)."""
    return _modal([SectionBlock(block_id="settings_notice", text=MarkdownTextObject(text=text[:2900]))])


def _hint(setting: SettingField, default: Any) -> str:
    parts = [setting.description.rstrip(".") + "." if setting.description else ""]
    shown = display_value(default)
    parts.append(f"Environment: {shown}." if shown else "Environment: not set.")
    if setting.kind is Kind.WORDS:
        parts.append("Separate with commas.")
    elif setting.kind is Kind.SWITCH:
        parts.append("Type on or off.")
    parts.append("Empty: the environment's value.")
    return plain(" ".join(p for p in parts if p), _HINT_MAX)


def _pipeline_select(
    setting: SettingField, value: Any, default: Any, pipelines: Sequence[tuple[str, str]]
) -> StaticSelectElement:
    not_set = Option(value=SETTINGS_NOT_SET, text=plain(not_set_label(setting, default), 75))
    options = [not_set]
    initial = not_set
    for pipeline_id, label in pipelines[:MAX_PIPELINE_OPTIONS]:
        option = Option(value=pipeline_id, text=plain(label or pipeline_id, 75))
        options.append(option)
        if value is not None and value in (pipeline_id, label):
            initial = option
    return StaticSelectElement(action_id=SETTINGS_VALUE, options=options, initial_option=initial)


def _element(
    setting: SettingField, value: Any, default: Any, pipelines: Pipelines | None
) -> InputInteractiveElement:
    shown = display_value(value) or None
    choices = pipelines.get(setting.pipelines_of or "", ()) if pipelines is not None else ()
    if setting.kind is Kind.PIPELINE and choices and all(len(pid) <= 150 for pid, _ in choices):
        known = {pid for pid, _ in choices} | {label for _, label in choices}
        if value is None or value in known:
            return _pipeline_select(setting, value, default, choices)
    if setting.kind in (Kind.WHOLE, Kind.NUMBER):
        return NumberInputElement(
            action_id=SETTINGS_VALUE,
            is_decimal_allowed=setting.kind is Kind.NUMBER,
            initial_value=shown,
            min_value=display_value(setting.minimum) or None,
            max_value=display_value(setting.maximum) or None,
        )
    return PlainTextInputElement(
        action_id=SETTINGS_VALUE,
        initial_value=shown,
        max_length=1000 if setting.kind is Kind.WORDS else 200,
        placeholder="Id or label" if setting.kind is Kind.PIPELINE else None,
    )


def _input(
    setting: SettingField, current: dict[str, Any], defaults: dict[str, Any], pipelines: Pipelines | None
) -> InputBlock:
    return InputBlock(
        block_id=setting.block_id,
        label=plain(setting.label, 150),
        element=_element(setting, current[setting.name], defaults[setting.name], pipelines),
        hint=_hint(setting, defaults[setting.name]),
        optional=True,
    )


def _changes_block(changes: Sequence[SettingsChange], time_zone: str) -> list[Block]:
    if not changes:
        return []
    labels = {f.name: f.label for f in setting_fields()}
    lines = []
    for change in changes[:_CHANGES_SHOWN]:
        when = format_date(change.changed_at, time_zone) if change.changed_at else ""
        who = f"<@{change.user_id}>" if slack_user_id_ok(change.user_id) else escape(change.user_id, 40)
        lines.append(
            f"{who} {escape(when)}: {escape(labels.get(change.name, change.name), 80)} "
            f"{escape(change.old or 'not set', 40)} → {escape(change.new or 'not set', 40)}"
        )
    return [
        ContextBlock(
            block_id="settings_changes",
            elements=[MarkdownTextObject(text="*Latest changes*\n" + "\n".join(lines))],
        )
    ]


def _advanced_pages() -> int:
    advanced = sum(1 for f in setting_fields() if not f.main)
    return -(-advanced // ADVANCED_PER_PAGE)


def settings_modal(
    current: WorkspaceSettings,
    defaults: WorkspaceSettings,
    *,
    page: int = 0,
    pipelines: Pipelines | None = None,
    changes: Sequence[SettingsChange] = (),
    time_zone: str = "UTC",
) -> View:
    """The editable form: page 0 the main settings, pages 1... the advanced thresholds."""
    values, base = current.flat(), defaults.flat()
    blocks: list[Block] = []
    if page <= 0:
        blocks.append(
            ContextBlock(
                block_id="settings_intro",
                elements=[
                    MarkdownTextObject(
                        text="These apply to this workspace from the next answer. An empty field takes "
                        "the environment's value."
                    )
                ],
            )
        )
    blocks.extend(_input(f, values, base, pipelines) for f in fields_for_page(page, ADVANCED_PER_PAGE))
    if page <= 0:
        pages = _advanced_pages()
        if pages:
            buttons = [
                ButtonElement(
                    action_id=settings_advanced_action(n),
                    text="Advanced thresholds" if pages == 1 else f"Advanced thresholds ({n}/{pages})",
                    value=str(n),
                )
                for n in range(1, min(pages, 25) + 1)
            ]
            blocks.append(DividerBlock(block_id="settings_divider"))
            blocks.append(
                SectionBlock(
                    block_id="settings_advanced",
                    text="*Advanced*: the analysis thresholds and score deductions "
                    "(docs/metrics.md explains each).",
                )
            )
            blocks.append(ActionsBlock(block_id="settings_advanced_buttons", elements=buttons))
        blocks.extend(_changes_block(changes, time_zone))
    return _modal(blocks, editable=True)


def settings_readonly_modal(
    current: WorkspaceSettings, *, changes: Sequence[SettingsChange] = (), time_zone: str = "UTC"
) -> View:
    """Every setting's value, for people who may not change them."""
    values = current.flat()
    blocks: list[Block] = [
        SectionBlock(
            block_id="settings_readonly",
            text=":lock: Only workspace admins and owners, and the people in ADMIN_USER_IDS, can change "
            "these settings.",
        )
    ]
    rows = [
        MarkdownTextObject(
            text=f"*{escape(f.label, 120)}*\n{escape(display_value(values[f.name]) or 'not set', 300)}"
        )
        for f in setting_fields()
    ]
    for n in range(0, len(rows), 10):
        blocks.append(SectionBlock(block_id=f"settings_values_{n // 10}", fields=rows[n : n + 10]))
    blocks.extend(_changes_block(changes, time_zone))
    return _modal(blocks[:100])


def settings_saved_modal(changes: Sequence[SettingsChange]) -> View:
    """What the modal says after Save: each change, old → new, or that nothing changed."""
    if not changes:
        return settings_notice_modal("Nothing changed.")
    labels = {f.name: f.label for f in setting_fields()}
    head = f":white_check_mark: Saved. The next answer uses {'it' if len(changes) == 1 else 'them'}:\n"
    lines: list[str] = []
    budget = 2800 - len(head)  # whole lines only: a cut could split an escaped entity
    for change in changes:
        line = (
            f"• *{escape(labels.get(change.name, change.name), 80)}*: {escape(change.old or 'not set', 80)}"
            f" → {escape(change.new or 'not set', 80)}"
        )
        if len(line) + 1 > budget:
            break
        lines.append(line)
        budget -= len(line) + 1
    more = f"\n…and {len(changes) - len(lines)} more." if len(lines) < len(changes) else ""
    return settings_notice_modal(head + "\n".join(lines) + more)


def settings_open_button() -> ButtonElement:
    """Opens the settings modal (Home tab, and where a modal could not be opened at once)."""
    return ButtonElement(action_id=SETTINGS_OPEN, text="⚙️ Settings", value="open")


def settings_open_message() -> SlackMessage:
    """The reply when the modal could not be opened right away (a mention has no trigger, or the
    trigger expired): a button whose click opens it."""
    text = "Open the engine settings for this workspace:"
    return SlackMessage(
        text=text,
        blocks=[
            SectionBlock(block_id="settings_open", text=text, accessory=settings_open_button()),
        ],
    )
