"""Alerts people act on: rules evaluated after each CRM sync, posted as a digest per channel.

- :mod:`~bot.alerts.rules`: the rule kinds and ``/engine alerts add …`` in words.
- :mod:`~bot.alerts.evaluate`: a sync's changes and reports as alerts (pure).
- :mod:`~bot.alerts.service`: :class:`Alerts`: the loop (evaluate, post due digests), the digest's
  buttons, the App Home part and ``/engine alerts``; :mod:`bot.runtime.serve` starts and stops it.

The digest's blocks are :mod:`bot.blocks.alerts`; the tables :mod:`bot.storage.alerts`.
"""

from __future__ import annotations

from bot.alerts.evaluate import (
    DealChange,
    ItemMemory,
    ScoreMemory,
    deal_alerts,
    item_alerts,
    quarter_end,
    renewals_pipeline,
    score_alerts,
)
from bot.alerts.rules import CRITICAL_STRENGTH, RuleKind, describe, parse_rule
from bot.alerts.service import ALERT_EXAMPLES, SNOOZE, Alerts

__all__ = [
    "ALERT_EXAMPLES",
    "CRITICAL_STRENGTH",
    "SNOOZE",
    "Alerts",
    "DealChange",
    "ItemMemory",
    "RuleKind",
    "ScoreMemory",
    "deal_alerts",
    "describe",
    "item_alerts",
    "parse_rule",
    "quarter_end",
    "renewals_pipeline",
    "score_alerts",
]
