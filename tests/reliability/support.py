"""What every reliability test checks about what reached Slack, and how it builds the bot's source.

``scan`` walks every payload the loopback Slack received (Web API calls and ``response_url``
deliveries) plus the acks, and reports Block Kit problems and injected control sequences with the
suite's one payload checker (``tests/support/payloads.py``): the only ``<...>`` a message may carry
are the deal links the bot built to the portal's HubSpot UI domain and user mentions the bot resolved
itself; anything a user typed or the CRM held must arrive as ``&lt;`` / ``&gt;`` / ``&amp;``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from engines.hubspot import HubSpotSource, RetryPolicy
from tests.support.hubspot import ACCOUNT as ACCOUNT
from tests.support.hubspot import PIPELINES as PIPELINES
from tests.support.hubspot import SEARCH as SEARCH
from tests.support.payloads import message_problems
from tests.support.slack import FakeSlack

# Waits shrunk through the public knobs (never by patching sleeps): same logic, milliseconds not seconds.
FAST_RETRY = RetryPolicy(
    max_attempts=3,
    backoff_base=0.01,
    backoff_max=0.03,
    retry_budget=2.0,
    secondly_wait=0.02,
    ten_secondly_wait=0.02,
)


class HubSpotEndpoint(Protocol):
    """Where a HubSpot is and the token it accepts: a ``FakeHubSpot``, or a stand-in for none."""

    token: str
    base_url: str


def source_for(hubspot: HubSpotEndpoint, **options: Any) -> HubSpotSource:
    """The bot's HubSpot source for ``hubspot``, with fast retries unless told otherwise."""
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("timeout", 2.0)
    base_url = options.pop("base_url", hubspot.base_url)
    token = options.pop("token", hubspot.token)
    return HubSpotSource(token, base_url=base_url, **options)


MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"})


def slack_payloads(slack: FakeSlack) -> list[dict[str, Any]]:
    """Every message payload Slack received (Web API or response URL), whatever it was answered.

    The other methods the bot calls (``auth.test``, ``conversations.join``) carry nothing a person reads.
    """
    return [c.payload for c in slack.calls if c.method in MESSAGE_METHODS and isinstance(c.payload, dict)]


def scan(
    payloads: Iterable[dict[str, Any]],
    *,
    ui_domain: str = "app.hubspot.com",
    resolved_users: Iterable[str] = (),
) -> list[str]:
    """Every problem in ``payloads`` (messages as Slack received them): form and injection, by the
    one checker (:func:`tests.support.payloads.message_problems`); each must carry fallback text."""
    users = frozenset(resolved_users)
    problems = []
    for payload in payloads:
        problems.extend(message_problems(payload, users, ui_domain=ui_domain, require_text=True))
    return problems
