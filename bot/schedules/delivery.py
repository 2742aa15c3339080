"""Posting a scheduled report: chat.postMessage, joining the channel when needed, honouring 429s.

Nobody is watching when a schedule fires, so delivery fixes what it can itself: if the bot is not in
a public channel it joins (``conversations.join``, scope ``channels:join``) and retries once. A private
channel needs an invitation, so the person who scheduled the report gets a DM saying how to invite the
bot. Rate limits are left to slack_sdk's own retry handler, which waits for ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DeliveryError
from bot.slack.errors import send_with_text_fallback, slack_error_code

__all__ = [
    "BOT_NAME",
    "Delivery",
    "DeliveryError",
    "ensure_rate_limit_retries",
    "post_cards",
]

logger = logging.getLogger(__name__)

BOT_NAME = "Value Engine"  # the bot user's display name in manifest.yml: what /invite completes
# chat.postMessage answers not_in_channel for a public channel the bot has not joined, and
# channel_not_found for a private channel it was never invited to (it cannot even see it).
_MEMBERSHIP_ERRORS = frozenset({"not_in_channel", "channel_not_found"})


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str
    ts: str
    joined: bool = False


def ensure_rate_limit_retries(client: AsyncWebClient, *, max_retry_count: int = 3) -> AsyncWebClient:
    """Give ``client`` slack_sdk's 429 handler (sleeps ``Retry-After``, then retries); idempotent."""
    if not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_retry_count))
    return client


def _payload(blocks: Sequence[Block | dict[str, Any]]) -> list[dict[str, Any]]:
    return [block.to_dict() if isinstance(block, Block) else block for block in blocks]


async def _post(client: AsyncWebClient, channel: str, payload: list[dict[str, Any]], text: str) -> Any:
    # unfurl_links off: a report's deal links would otherwise expand into previews under the cards.
    # Nobody watches a scheduled post: the text fallback (every engine's score) beats no post at all.
    message = {"channel": channel, "blocks": payload, "text": text, "unfurl_links": False}

    async def post(kwargs: dict[str, Any]) -> Any:
        return await client.chat_postMessage(**kwargs)

    return await send_with_text_fallback(post, message)


async def _tell_scheduler(
    client: AsyncWebClient, user_id: str | None, channel: str, why: str, bot_name: str
) -> str | None:
    if not user_id:
        return None
    text = (
        f":wave: I couldn't post your scheduled engine report in <#{channel}>: I'm not a member of that "
        f"channel and can't join it myself ({why}). Invite me there with `/invite @{bot_name}` and the "
        "next report will arrive on time."
    )
    try:
        await client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as error:
        logger.warning("could not DM %s about channel %s: %s", user_id, channel, slack_error_code(error))
        return None
    return user_id


async def post_cards(
    client: AsyncWebClient,
    channel: str,
    blocks: Sequence[Block | dict[str, Any]],
    text: str,
    *,
    scheduled_by: str | None,
    bot_name: str = BOT_NAME,
) -> Delivery:
    """Post ``blocks`` (with ``text`` as the fallback) to ``channel``; raise :class:`DeliveryError`.

    On ``not_in_channel``/``channel_not_found`` the bot joins the channel and retries once. When it
    cannot join (a private channel, or one it cannot see) ``scheduled_by`` is sent a DM with
    how to invite it, and :class:`DeliveryError` says so. If Slack refuses the blocks themselves
    (``msg_blocks_too_long``) the text fallback is posted instead. Adds the 429 retry handler to
    ``client``.
    """
    ensure_rate_limit_retries(client)
    payload = _payload(blocks)
    try:
        response = await _post(client, channel, payload, text)
        return Delivery(channel=str(response["channel"]), ts=str(response["ts"]))
    except SlackApiError as error:
        code = slack_error_code(error)
        if code not in _MEMBERSHIP_ERRORS:
            raise DeliveryError(code, channel=channel) from None
    try:
        await client.conversations_join(channel=channel)
    except SlackApiError as error:
        why = slack_error_code(error)
        notified = await _tell_scheduler(client, scheduled_by, channel, why, bot_name)
        # channel_not_found: no channel the bot can see; anything else (a private channel answers
        # method_not_supported_for_channel_type) means it has to be invited.
        code = why if why == "channel_not_found" else "not_in_channel"
        raise DeliveryError(
            f"not in channel and could not join it: {why}", code=code, notified=notified, channel=channel
        ) from None
    logger.info("joined channel %s to post a scheduled report", channel)
    try:
        response = await _post(client, channel, payload, text)
    except SlackApiError as error:
        code = slack_error_code(error)
        raise DeliveryError(
            f"joined the channel but posting failed: {code}", code=code, channel=channel
        ) from None
    return Delivery(channel=str(response["channel"]), ts=str(response["ts"]), joined=True)
