"""The settings form: which settings a workspace may change, how each is typed, and what came back.

The fields are generated from :class:`bot.settings.WorkspaceSettings` (the default pipeline and every
field of :class:`engines.AnalysisConfig`), so a threshold added to the analysis appears in the modal
without a change here: its type says which input it gets (whole number, number, text, a list of
words, on/off), its pydantic bounds become the input's bounds, its description the hint. A few
fields are *main* (shown first, with a label a RevOps lead recognises) when the analysis has them;
the rest are the advanced thresholds. A type the form cannot edit (none today) is simply left to the
environment, and a secret never becomes a field.

Reading a submission (:func:`read_submission`) turns Slack's ``view.state.values`` into typed values,
checked by the same pydantic model the analysis uses; problems come back keyed by block id, ready for
``response_action: errors``. An empty input means "use the environment's value".
"""

from __future__ import annotations

import functools
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import annotated_types
from pydantic import SecretBytes, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from bot.blocks.ids import SETTINGS_NOT_SET, SETTINGS_VALUE, settings_block_id, settings_name_from_block
from bot.settings import WorkspaceSettings
from engines import AnalysisConfig

__all__ = [
    "MAIN_SETTINGS",
    "PIPELINE_SETTINGS",
    "Kind",
    "Pipelines",
    "SettingField",
    "Submission",
    "display_value",
    "effective_settings",
    "read_submission",
    "setting_field",
    "setting_fields",
]

# Shown first, in this order, with these labels - when the analysis has them (some arrive with new
# object types); every other field is an advanced threshold.
MAIN_SETTINGS: dict[str, str] = {
    "default_pipeline": "Default pipeline",
    "renewal_pipeline": "Renewals pipeline",
    "onboarding_ticket_pipeline": "Onboarding ticket pipeline",
    "revenue_target": "Revenue target per quarter",
    "lookback_days": "Lookback window (days)",
}
# Settings that name a pipeline, and of which objects: chosen from the portal's pipelines of that
# kind when they are known.
PIPELINE_SETTINGS: dict[str, str] = {
    "default_pipeline": "deals",
    "renewal_pipeline": "deals",
    "onboarding_ticket_pipeline": "tickets",
}
_OBJECT_WORDS = {"deals": "deal", "tickets": "ticket"}
# What "not set" means for a pipeline whose environment value is empty.
_NOT_SET_LABELS = {"default_pipeline": "All pipelines", "renewal_pipeline": "Found by its label (renewal)"}
# The portal's pipelines by the objects they hold ("deals", "tickets"): (id, label) each.
Pipelines = Mapping[str, Sequence[tuple[str, str]]]
_TEXT_MAX = 200
_WORDS_MAX = 1000
_SWITCH = {"on": True, "off": False}


class Kind(StrEnum):
    WHOLE = "whole number"
    NUMBER = "number"
    TEXT = "text"
    WORDS = "list"
    SWITCH = "on/off"
    PIPELINE = "pipeline"


@dataclass(frozen=True, slots=True)
class SettingField:
    """One editable setting."""

    name: str
    label: str
    kind: Kind
    description: str = ""
    optional: bool = False  # the setting may be empty (None)
    minimum: float | None = None
    maximum: float | None = None
    main: bool = False
    pipelines_of: str | None = None  # a pipeline setting: "deals" or "tickets"

    @property
    def block_id(self) -> str:
        return settings_block_id(self.name)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (annotation, False)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def _is_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret(arg) for arg in typing.get_args(annotation))


def _kind(name: str, annotation: Any) -> Kind | None:
    if annotation is bool:
        return Kind.SWITCH
    if annotation is int:
        return Kind.WHOLE
    if annotation is float:
        return Kind.NUMBER
    if annotation is str:
        return Kind.PIPELINE if name in PIPELINE_SETTINGS else Kind.TEXT
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, frozenset, set) and all(
        arg in (str, Ellipsis) for arg in typing.get_args(annotation)
    ):
        return Kind.WORDS
    return None


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low: float | None = None
    high: float | None = None
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = float(rule.ge)  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Le):
            high = float(rule.le)  # type: ignore[arg-type]
    return low, high


def _label(name: str) -> str:
    return MAIN_SETTINGS.get(name) or name.replace("_", " ").capitalize()


def setting_field(name: str, info: FieldInfo) -> SettingField | None:
    """The form field for setting ``name`` (a pydantic field), or ``None`` when it cannot be edited
    from Slack: a secret, or a type the form has no input for."""
    if _is_secret(info.annotation):
        return None
    annotation, optional = _unwrap(info.annotation)
    kind = _kind(name, annotation)
    if kind is None:
        return None
    low, high = _bounds(info)
    return SettingField(
        name=name,
        label=_label(name),
        kind=kind,
        description=info.description or "",
        optional=optional,
        minimum=low,
        maximum=high,
        main=name in MAIN_SETTINGS,
        pipelines_of=PIPELINE_SETTINGS.get(name) if kind is Kind.PIPELINE else None,
    )


@functools.cache
def setting_fields() -> tuple[SettingField, ...]:
    """Every editable setting: the main ones first (in :data:`MAIN_SETTINGS` order), then the
    analysis thresholds in the order :class:`~engines.AnalysisConfig` declares them."""
    infos: dict[str, FieldInfo] = {"default_pipeline": WorkspaceSettings.model_fields["default_pipeline"]}
    infos.update(AnalysisConfig.model_fields)
    built = [f for f in (setting_field(name, info) for name, info in infos.items()) if f is not None]
    main = sorted((f for f in built if f.main), key=lambda f: list(MAIN_SETTINGS).index(f.name))
    return (*main, *(f for f in built if not f.main))


def _fields_by_name() -> dict[str, SettingField]:
    return {f.name: f for f in setting_fields()}


# --------------------------------------------------------------------------- values as text


def display_value(value: Any) -> str:
    """A setting's value as a person reads and types it (``""`` for none)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def not_set_label(setting: SettingField, default: Any) -> str:
    """The select option that means "the environment's value" for a pipeline setting."""
    if default is None:
        return _NOT_SET_LABELS.get(setting.name, "Not set")
    return f"Environment: {display_value(default)}"[:75]


def _number(raw: str) -> float:
    cleaned = raw.strip().replace(",", "").replace(" ", "").replace("_", "").strip("$€£%")
    value = float(cleaned)  # ValueError for words
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _parse(setting: SettingField, raw: str | None) -> Any:
    """What was typed, as the setting's type; ``None`` for empty (the environment's value).

    Raises ``ValueError`` with a message for the person who typed it.
    """
    text = (raw or "").strip()
    if not text or text == SETTINGS_NOT_SET:
        return None
    if setting.kind is Kind.WHOLE:
        try:
            number = _number(text)
        except ValueError:
            raise ValueError("Type a whole number, such as 30.") from None
        if not number.is_integer():
            raise ValueError("Type a whole number, such as 30.")
        return int(number)
    if setting.kind is Kind.NUMBER:
        try:
            return _number(text)
        except ValueError:
            raise ValueError("Type a number, such as 25 or 12.5.") from None
    if setting.kind is Kind.SWITCH:
        if text.casefold() not in _SWITCH:
            raise ValueError("Choose on or off.")
        return _SWITCH[text.casefold()]
    if setting.kind is Kind.WORDS:
        if len(text) > _WORDS_MAX:
            raise ValueError(f"At most {_WORDS_MAX} characters.")
        words = [word.strip() for word in text.split(",") if word.strip()]
        return words or None
    if len(text) > _TEXT_MAX:
        raise ValueError(f"At most {_TEXT_MAX} characters.")
    return text


# --------------------------------------------------------------------------- effective settings


def effective_settings(
    defaults: WorkspaceSettings, overrides: Mapping[str, Any]
) -> tuple[WorkspaceSettings, list[str]]:
    """``defaults`` with a workspace's ``overrides`` applied, and the names of overrides that no
    longer apply (a setting that was removed from the code, or a value the code no longer accepts):
    those fall back to the environment instead of breaking every answer."""
    merged = defaults.flat()
    dropped = [name for name in overrides if name not in merged]
    merged.update({k: v for k, v in overrides.items() if k not in dropped})
    for _ in range(2):
        try:
            return WorkspaceSettings.from_flat(merged), dropped
        except ValidationError as exc:
            bad = {str(err["loc"][-1]) for err in exc.errors() if err["loc"]}
            bad &= set(overrides)
            if not bad:
                break
            dropped.extend(sorted(bad))
            base = defaults.flat()
            merged.update({name: base[name] for name in bad})
    return defaults, sorted(set(overrides))


@dataclass(frozen=True)
class Submission:
    """What a submitted settings form asks for: for each setting on it, the new value (JSON-shaped;
    ``None``: the environment's value) - or, when anything is wrong, ``errors`` by block id."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    settings: WorkspaceSettings | None = None  # the workspace's settings once saved


def _typed_inputs(state_values: Mapping[str, Any]) -> dict[str, str | None]:
    typed: dict[str, str | None] = {}
    for block_id, actions in state_values.items():
        name = settings_name_from_block(str(block_id))
        if name is None or not isinstance(actions, Mapping):
            continue
        element = actions.get(SETTINGS_VALUE)
        if not isinstance(element, Mapping):
            continue
        selected = element.get("selected_option")
        raw = selected.get("value") if isinstance(selected, Mapping) else element.get("value")
        typed[name] = raw if isinstance(raw, str) else None
    return typed


def _names_pipeline(wanted: str, pipelines: Sequence[tuple[str, str]]) -> bool:
    folded = wanted.casefold()
    return any(wanted == pid or folded == label.strip().casefold() for pid, label in pipelines)


def _pydantic_message(message: str) -> str:
    return message.removeprefix("Value error, ").rstrip(".") + "."


def read_submission(
    state_values: Mapping[str, Any],
    defaults: WorkspaceSettings,
    overrides: Mapping[str, Any],
    *,
    lookback_limit: int | None = None,
    pipelines: Pipelines | None = None,
) -> Submission:
    """Read a submitted form (``view.state.values``) against the workspace's current ``overrides``.

    Every setting on the form is checked on its own (type) and then together with the rest (the
    analysis model's bounds); ``lookback_limit`` is how many days back the CRM is read, beyond which
    a lookback window would silently shrink. ``pipelines`` (by kind of object), when known, are what
    a typed pipeline must name (by id, or label in any case), so a typo never breaks every answer.
    """
    fields = _fields_by_name()
    typed = {name: raw for name, raw in _typed_inputs(state_values).items() if name in fields}
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    current, _ = effective_settings(defaults, overrides)
    merged = current.flat()
    for name, raw in typed.items():
        try:
            parsed[name] = _parse(fields[name], raw)
        except ValueError as exc:
            errors[fields[name].block_id] = str(exc)
            continue
        new = parsed[name]
        # A pipeline newly typed must exist (one already set is left alone: it may be the
        # environment's, and the card already says when the portal lacks it).
        kind_of = fields[name].pipelines_of
        known = pipelines.get(kind_of) if pipelines is not None and kind_of is not None else None
        newly_typed = new not in (None, merged[name])
        if newly_typed and known is not None and not _names_pipeline(str(new), known):
            word = _OBJECT_WORDS.get(str(kind_of), "")
            errors[fields[name].block_id] = f"No {word} pipeline has this id or label."
    base = defaults.flat()
    merged.update({name: base[name] if value is None else value for name, value in parsed.items()})
    try:
        settings = WorkspaceSettings.from_flat(merged)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][-1]) if err["loc"] else ""
            block = fields[name].block_id if name in typed else fields[next(iter(typed))].block_id
            errors.setdefault(block, _pydantic_message(err["msg"]))
        return Submission(errors=errors)
    if errors:
        return Submission(errors=errors)
    if lookback_limit is not None and "lookback_days" in typed:
        days = settings.analysis.lookback_days
        if days > lookback_limit:
            errors[fields["lookback_days"].block_id] = (
                f"The CRM is read {lookback_limit} days back (HUBSPOT_LOOKBACK_DAYS): "
                f"choose at most {lookback_limit}."
            )
            return Submission(errors=errors)
    flat = settings.flat()
    values = {name: None if parsed[name] is None else flat[name] for name in typed}
    return Submission(values=values, settings=settings)


def fields_for_page(page: int, per_page: int) -> Sequence[SettingField]:
    """Page 0: the main settings; pages 1, 2...: the advanced thresholds, ``per_page`` at a time."""
    fields = setting_fields()
    if page <= 0:
        return [f for f in fields if f.main]
    advanced = [f for f in fields if not f.main]
    return advanced[(page - 1) * per_page : page * per_page]
