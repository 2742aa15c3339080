"""Every error the bot raises on purpose, and THE one place an exception becomes text for a person.

The tree a caller catches from (engine errors are defined in :mod:`engines.errors`)::

    Exception
    ├── engines.EngineError              user_message: the analysis and the CRM read
    │   ├── UnknownEngineError
    │   ├── UnknownPipelineError
    │   └── HubSpotError                 HubSpot could not give us the data
    │       ├── HubSpotAuthError         401: token missing, wrong or revoked
    │       ├── HubSpotScopeError        403: a scope is missing
    │       ├── HubSpotRateLimitError    429 past the retry budget (e.g. the daily limit)
    │       ├── HubSpotUnavailableError  5xx, timeouts, dropped connections past the budget
    │       └── HubSpotResponseError     not the documented JSON shape
    │           └── HubSpotBadRequestError   400 (e.g. paging past a search's 10,000 results)
    ├── BotError                         user_message: what the bot itself refuses or fails at
    │   ├── SettingsError                a setting missing or invalid, named by its variable
    │   ├── ScheduleError                a schedule, time or time zone that cannot be used
    │   └── DeliveryError                Slack would not take a scheduled post (reason, code, notified)
    └── slack_sdk.errors.SlackApiError   Slack's answer: its error code -> advice (bot.slack.errors)

:func:`user_text` turns any of them into one sentence for Slack or a terminal, and every surface uses
it: answers to commands and mentions, drill-downs, the App Home tab, scheduled posts (and their firing
log), the CLI. Engine and bot errors say their ``user_message``; a Slack API error says the advice for
its code; anything else is a bug: the person gets :data:`APOLOGY`, the log gets the traceback.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.slack.errors import slack_advice, slack_error_code
from engines import EngineError

__all__ = [
    "APOLOGY",
    "AlertRuleError",
    "BotError",
    "DeliveryError",
    "ScheduleError",
    "SettingsError",
    "user_text",
]

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side while answering that. It has been logged; please try again."


class BotError(Exception):
    """Root of every error the bot raises on purpose; ``user_message`` is safe to show anyone (it
    never holds a secret or a stack trace)."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class SettingsError(BotError):
    """A setting is missing or invalid. The message names the variable and never shows its value."""


class AlertRuleError(BotError, ValueError):
    """An alert rule that cannot be used (``/engine alerts add``); ``user_message`` says how to write one."""


class ScheduleError(BotError, ValueError):
    """A schedule, time or time zone that cannot be used; ``user_message`` says why and what works."""


class DeliveryError(BotError):
    """A report could not be posted. ``reason`` says why in a short line (safe to log and show);
    ``code`` is Slack's error code behind it (``not_in_channel`` when the bot could not join);
    ``notified`` is the user who was told how to fix it, if anyone. ``str(error)`` is the reason;
    ``user_message`` the advice for ``code`` (naming ``channel``), unless somebody was already told."""

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        notified: str | None = None,
        channel: str | None = None,
    ) -> None:
        self.reason = reason
        self.code = code or reason
        self.notified = notified
        if notified is not None:
            message = f"{reason} (told <@{notified}> how to fix it)"
        else:
            message = slack_advice(self.code, channel) or f"Slack refused the post ({reason})."
        super().__init__(message)
        self.args = (reason,)  # str(error), for logs and the firing record: the reason itself


def user_text(
    exc: BaseException,
    *,
    doing: str = "answering",
    logger: logging.Logger = log,
    unexpected: str | None = None,
) -> str:
    """What to tell a person about ``exc``, which interrupted ``doing`` (logged accordingly).

    - :class:`~engines.EngineError`, :class:`BotError`: their ``user_message`` (an info line);
    - :class:`SlackApiError`: the advice for Slack's error code, or that Slack could not take it (a
      warning naming the code: an outside fault with a known shape, not a traceback);
    - anything else: ``unexpected`` when the caller has its own words for it (the scheduler's firing
      log records the exception's type instead), otherwise :data:`APOLOGY` and the traceback in the log.
    """
    if isinstance(exc, EngineError | BotError):
        logger.info("%s: answered with a user error: %s", doing, type(exc).__name__)
        return exc.user_message
    if isinstance(exc, SlackApiError):
        code = slack_error_code(exc)
        logger.warning("%s: Slack did not take it: %s", doing, code)
        return slack_advice(code) or f"Slack could not take that ({code}). Please try again in a minute."
    if unexpected is not None:
        return unexpected
    logger.error("unexpected failure while %s", doing, exc_info=exc)
    return APOLOGY
