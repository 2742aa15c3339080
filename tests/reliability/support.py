"""What every reliability test checks about what reached Slack, and how it builds the bot's source.

``scan`` walks every payload the loopback Slack received (Web API calls and ``response_url``
deliveries) plus the acks, and reports Block Kit problems and injected control sequences. The rule
for control sequences is the one a channel relies on: the only ``<...>`` a message may carry are
the deal links the bot built to the portal's HubSpot UI domain and user mentions the bot resolved
itself; anything a user typed or the CRM held must arrive as ``&lt;`` / ``&gt;`` / ``&amp;``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Protocol

from slack_sdk.models.blocks import Block

from bot.blocks import limit_problems
from engines.hubspot import HubSpotSource, RetryPolicy
from tests.fakes.hubspot import ACCOUNT as ACCOUNT
from tests.fakes.hubspot import PIPELINES as PIPELINES
from tests.fakes.hubspot import SEARCH as SEARCH
from tests.fakes.slack import FakeSlack, block_problems

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


def _mrkdwn_texts(node: Any, *, top: bool = True) -> Iterable[str]:
    """Strings Slack parses for control sequences: mrkdwn text objects and a message's ``text``.

    ``plain_text`` objects are shown literally by Slack, so they cannot carry an injection.
    """
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            return
        for key, value in node.items():
            if key == "text" and isinstance(value, str) and (top or node.get("type") == "mrkdwn"):
                yield value
            elif key in ("text", "blocks", "fields", "elements", "accessory", "attachments"):
                yield from _mrkdwn_texts(value, top=False)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item, top=False)


def injections(
    payload: dict[str, Any], *, ui_domain: str = "app.hubspot.com", resolved_users: Iterable[str] = ()
) -> list[str]:
    """Control sequences in ``payload`` other than our deal (0-3) and ticket (0-5) links and mentions
    we resolved."""
    allowed_link = re.compile(
        r"<https://" + re.escape(ui_domain) + r"/contacts/\d+/record/0-[35]/\d+\|[^<>]*>"
    )
    users = set(resolved_users)
    problems = []
    for text in _mrkdwn_texts(payload):
        rest = allowed_link.sub("", text)
        for mention in re.findall(r"<@([A-Z0-9]+)>", rest):
            if mention in users:
                rest = rest.replace(f"<@{mention}>", "")
        if "<" in rest or ">" in rest:
            problems.append(f"control sequence reached Slack: {rest[:160]!r}")
        if re.search(r"&(?!amp;|lt;|gt;)", rest):
            problems.append(f"unescaped & reached Slack: {rest[:160]!r}")
    return problems


def well_formed(payload: dict[str, Any]) -> list[str]:
    """Block Kit problems of a message payload: slack_sdk's models, our limits, Slack's limits."""
    problems: list[str] = []
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("no fallback text")
    for raw in payload.get("blocks") or []:
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                problems.append(f"slack_sdk cannot parse {json.dumps(raw)[:120]}")
            else:
                parsed.to_dict()  # slack_sdk validates its per-block limits here
        except Exception as exc:  # slack_sdk raises SlackObjectFormationError and friends
            problems.append(f"slack_sdk rejects a block: {exc}")
    problems.extend(limit_problems(payload))
    problems.extend(block_problems(payload.get("blocks") or []))
    return problems


def scan(
    payloads: Iterable[dict[str, Any]],
    *,
    ui_domain: str = "app.hubspot.com",
    resolved_users: Iterable[str] = (),
) -> list[str]:
    """Every problem in ``payloads`` (messages as Slack received them): form and injection."""
    users = list(resolved_users)
    problems = []
    for payload in payloads:
        problems.extend(well_formed(payload))
        problems.extend(injections(payload, ui_domain=ui_domain, resolved_users=users))
    return problems
