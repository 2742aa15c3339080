"""Putting a chart into Slack: the external upload protocol, the image block, and the card first.

Slack's upload protocol (``files.upload`` is gone) is three steps:

1. ``files.getUploadURLExternal`` (``filename``, ``length`` in bytes, ``alt_txt`` ≤ 1,000 characters)
   answers an ``upload_url`` and a ``file_id``;
2. the PNG's bytes are POSTed to ``upload_url`` (no token: the URL is the credential); 200 is success;
3. ``files.completeUploadExternal`` (``files=[{"id", "title"}]``, ``channel_id``, ``thread_ts``) finishes
   it and shares the file in that channel or thread.

An ``image`` block can show the file (``slack_file: {"id": ...}``), but only to people who can see it:
an unshared file is private to the bot and Slack answers ``invalid_blocks``. So the picture is shared
in the card's thread, and the card is then updated to show it inline.

The card is never held back by a chart: :func:`attach_charts` runs after the card was posted. When
Slack refuses the upload (no ``files:write`` scope: ``missing_scope``; a channel the bot is not in:
``not_in_channel``) the card stays as it is plus one line saying how to get pictures, said once per
channel and reason while the process runs (:class:`PictureNotices`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.chart import Chart
from bot.slack.errors import slack_error_code
from bot.slack.web import redacted_url

__all__ = [
    "ChartResult",
    "PictureNotices",
    "UploadRefused",
    "attach_charts",
    "image_block",
    "pictures_hint",
    "upload_charts",
]

log = logging.getLogger(__name__)

UPLOAD_TIMEOUT = 30
MESSAGE_MAX_BLOCKS = 50

_HINTS = {
    "missing_scope": "Charts are off: the Slack app lacks the `files:write` scope. Reinstall it from "
    "manifest.yml to get pictures with the cards.",
    "not_in_channel": "Charts are off in this channel: the bot is not a member. Invite it "
    "(`/invite @Value Engine`) to get pictures with the cards.",
    "file_uploads_disabled": "Charts are off: this workspace has disabled file uploads.",
    "file_uploads_except_images_disabled": "Charts are off: this workspace has disabled file uploads.",
}


class UploadRefused(Exception):
    """Slack would not take the chart; ``code`` is Slack's error code (or ``http_<status>``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def pictures_hint(code: str) -> str:
    """One line (mrkdwn) telling how to get pictures back after ``code``."""
    return _HINTS.get(code, f"The chart could not be attached (Slack said `{code}`).")


def image_block(file_id: str, chart: Chart) -> dict[str, Any]:
    """An image block showing an uploaded file, with the chart's alt text and title."""
    return {
        "type": "image",
        "block_id": f"chart_{chart.kind}",
        "slack_file": {"id": file_id},
        "alt_text": chart.alt_text,
        "title": {"type": "plain_text", "text": chart.title[:2000]},
    }


async def upload_charts(
    client: AsyncWebClient,
    charts: Sequence[Chart],
    *,
    channel_id: str | None,
    thread_ts: str | None = None,
) -> list[str]:
    """Upload ``charts`` and share them, in one ``files.completeUploadExternal``, in ``channel_id``
    (in the thread of ``thread_ts`` when given); returns their file ids in order. Raises
    :class:`UploadRefused` when Slack refuses any step."""
    file_ids = [await _upload_bytes(client, chart) for chart in charts]
    try:
        await client.files_completeUploadExternal(
            files=[
                {"id": file_id, "title": chart.title} for file_id, chart in zip(file_ids, charts, strict=True)
            ],
            channel_id=channel_id,
            thread_ts=thread_ts,
        )
    except SlackApiError as exc:
        raise UploadRefused(slack_error_code(exc)) from exc
    return file_ids


async def _upload_bytes(client: AsyncWebClient, chart: Chart) -> str:
    """Steps 1 and 2 for one chart: ask for an upload URL, POST the PNG there; returns the file id."""
    try:
        ticket = await client.files_getUploadURLExternal(
            filename=chart.filename, length=len(chart.png), alt_txt=chart.alt_text
        )
    except SlackApiError as exc:
        raise UploadRefused(slack_error_code(exc)) from exc
    upload_url, file_id = str(ticket["upload_url"]), str(ticket["file_id"])
    timeout = aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(
                upload_url, data=chart.png, headers={"Content-Type": "application/octet-stream"}
            ) as response,
        ):
            if response.status != 200:
                log.warning("chart upload to %s answered %s", redacted_url(upload_url), response.status)
                raise UploadRefused(f"http_{response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("chart upload to %s failed: %s", redacted_url(upload_url), type(exc).__name__)
        raise UploadRefused("upload_failed") from exc
    return file_id


class PictureNotices:
    """Remembers which (channel, reason) was already told how to get pictures, so it is said once."""

    def __init__(self) -> None:
        self._said: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def first_time(self, channel: str, code: str) -> bool:
        with self._lock:
            if (channel, code) in self._said:
                return False
            self._said.add((channel, code))
            return True


@dataclass(frozen=True, slots=True)
class ChartResult:
    """What happened to a card's charts: their file ids when shared, else Slack's refusal code."""

    file_ids: tuple[str, ...] = ()
    refused: str | None = None
    hint_given: bool = False


async def attach_charts(
    client: AsyncWebClient,
    charts: Sequence[Chart],
    *,
    channel: str,
    ts: str,
    blocks: list[dict[str, Any]],
    text: str,
    notices: PictureNotices,
) -> ChartResult:
    """After a card (``blocks``/``text``) was posted as message ``ts`` in ``channel``: share ``charts``
    in its thread and update the card to show them. Never raises for Slack's refusals: the card is
    already there, so a refusal becomes one hint line on the card (once per channel and reason)."""
    if not charts:
        return ChartResult()
    try:
        file_ids = await upload_charts(client, charts, channel_id=channel, thread_ts=ts)
    except UploadRefused as exc:
        log.info("charts not attached in %s: %s", channel, exc.code)
        if not notices.first_time(channel, exc.code):
            return ChartResult(refused=exc.code)
        hint = {"type": "context", "elements": [{"type": "mrkdwn", "text": pictures_hint(exc.code)}]}
        await _update(client, channel, ts, [*blocks, hint][:MESSAGE_MAX_BLOCKS], text)
        return ChartResult(refused=exc.code, hint_given=True)
    images = [image_block(file_id, chart) for file_id, chart in zip(file_ids, charts, strict=True)]
    room = MESSAGE_MAX_BLOCKS - len(blocks)  # a full card keeps its pictures in the thread only
    if room > 0:
        await _update(client, channel, ts, [*blocks, *images[:room]], text)
    return ChartResult(file_ids=tuple(file_ids))


async def _update(
    client: AsyncWebClient, channel: str, ts: str, blocks: list[dict[str, Any]], text: str
) -> None:
    """Best effort: when the update fails (for example Slack still processing the file), the card
    and the picture in its thread are both already there; the failure is logged."""
    try:
        await client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
    except SlackApiError as exc:
        log.warning("card update with its chart failed in %s: %s", channel, slack_error_code(exc))
