"""Charts into Slack over the real protocol, against the loopback fake Slack: files.getUploadURLExternal,
the bytes POSTed to the upload URL, files.completeUploadExternal into the card's thread, and the card
updated with an image block that references the file; refusals leave the card and one hint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.chart import Chart
from bot.charts.stages import stage_time_chart
from bot.charts.upload import PictureNotices, UploadRefused, attach_charts, image_block, upload_charts
from bot.settings import Settings
from bot.slack.web import web_client
from engines import EngineName, EngineReport, Metric
from tests.support.slack import FakeSlack

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Growth* 74 · Healthy"}}]


@pytest.fixture(scope="module")
def chart() -> Chart:
    report = EngineReport(
        engine=EngineName.GROWTH,
        as_of=datetime(2026, 12, 1, tzinfo=UTC),
        metrics={"avg_days_in_stage": Metric(label="d", value={"a": 10.0, "b": 45.0}, benchmark=30.0)},
    )
    made = stage_time_chart(report, {"a": "Lead", "b": "Demo"})
    assert made is not None
    return made


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client_for(slack: FakeSlack) -> AsyncWebClient:
    return web_client(Settings(_env_file=None, slack_bot_token=slack.bot_token, slack_api_url=slack.base_url))


async def post_card(client: AsyncWebClient, channel: str = "C1") -> str:
    posted = await client.chat_postMessage(channel=channel, text="Growth 74", blocks=CARD)
    return str(posted["ts"])


async def test_upload_protocol_shares_the_bytes_in_the_thread(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    ts = await post_card(client)
    (file_id,) = await upload_charts(client, [chart], channel_id="C1", thread_ts=ts)

    ask = slack.calls_to("files.getUploadURLExternal")[0].payload
    assert ask["filename"] == "time_in_stage.png"
    assert int(ask["length"]) == len(chart.png)
    assert ask["alt_txt"] == chart.alt_text
    upload = slack.calls_to("upload")[0]
    assert (upload.status, upload.payload["size"], upload.payload["file_id"]) == (
        200,
        len(chart.png),
        file_id,
    )
    complete = slack.calls_to("files.completeUploadExternal")[0]
    assert complete.error is None
    assert (complete.payload["channel_id"], complete.payload["thread_ts"]) == ("C1", ts)
    stored = slack.files[file_id]
    assert stored["content"] == chart.png  # the very bytes, not a re-encoding
    assert stored["title"] == chart.title
    assert (stored["channels"], stored["thread_ts"], stored["mimetype"]) == (["C1"], ts, "image/png")


async def test_card_first_then_the_picture_on_it(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    ts = await post_card(client)
    result = await attach_charts(
        client, [chart], channel="C1", ts=ts, blocks=CARD, text="Growth 74", notices=PictureNotices()
    )
    assert len(result.file_ids) == 1
    assert result.refused is None
    methods = [c.method for c in slack.calls if c.method != "auth.test"]
    assert methods == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "chat.update",
    ]
    assert slack.calls_to("chat.update")[0].error is None
    card = slack.messages[("C1", ts)]
    assert card["blocks"][:1] == CARD
    assert card["blocks"][-1] == image_block(result.file_ids[0], chart)
    assert card["blocks"][-1]["slack_file"] == {"id": result.file_ids[0]}
    assert card["blocks"][-1]["alt_text"] == chart.alt_text
    assert not slack.problems


async def test_several_charts_share_one_completion_and_show_on_the_card(
    slack: FakeSlack, chart: Chart
) -> None:
    client = client_for(slack)
    ts = await post_card(client)
    other = Chart("other", "Other", "Other chart", chart.png)
    result = await attach_charts(
        client, [chart, other], channel="C1", ts=ts, blocks=CARD, text="x", notices=PictureNotices()
    )
    assert len(slack.calls_to("upload")) == 2
    (complete,) = slack.calls_to("files.completeUploadExternal")
    assert [f["id"] for f in json.loads(complete.payload["files"])] == list(result.file_ids)
    shown = [b["slack_file"]["id"] for b in slack.messages[("C1", ts)]["blocks"] if b["type"] == "image"]
    assert shown == list(result.file_ids)


async def test_missing_scope_keeps_the_card_and_hints_once(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    slack.missing_scopes.add("files:write")
    notices = PictureNotices()
    ts = await post_card(client)
    first = await attach_charts(
        client, [chart], channel="C1", ts=ts, blocks=CARD, text="Growth", notices=notices
    )
    assert (first.refused, first.hint_given, first.file_ids) == ("missing_scope", True, ())
    card = slack.messages[("C1", ts)]
    assert card["blocks"][:1] == CARD
    assert "`files:write`" in card["blocks"][-1]["elements"][0]["text"]
    assert not slack.calls_to("upload")

    again = await post_card(client)
    second = await attach_charts(
        client, [chart], channel="C1", ts=again, blocks=CARD, text="Growth", notices=notices
    )
    assert (second.refused, second.hint_given) == ("missing_scope", False)
    assert slack.messages[("C1", again)]["blocks"] == CARD  # said once: the second card is left alone
    assert len(slack.calls_to("chat.update")) == 1


async def test_not_in_channel_hint_says_to_invite_the_bot(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    ts = await post_card(client, "C7")
    slack.not_member.add("C7")  # removed from the channel after the card went out
    result = await attach_charts(
        client, [chart], channel="C7", ts=ts, blocks=CARD, text="x", notices=PictureNotices()
    )
    assert result.refused == "not_in_channel"
    assert slack.calls_to("upload")[0].status == 200  # the bytes went up; sharing was refused
    assert slack.calls_to("files.completeUploadExternal")[0].error == "not_in_channel"
    assert "Invite it" in slack.messages[("C7", ts)]["blocks"][-1]["elements"][0]["text"]


async def test_refusals_raise_upload_refused_with_slacks_code(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    slack.fail("files.getUploadURLExternal", "file_uploads_disabled")
    with pytest.raises(UploadRefused) as caught:
        await upload_charts(client, [chart], channel_id="C1")
    assert caught.value.code == "file_uploads_disabled"


async def test_fake_refuses_what_slack_refuses(slack: FakeSlack, chart: Chart) -> None:
    client = client_for(slack)
    # A file never shared is private to the bot: an image block showing it is invalid_blocks.
    (private,) = await upload_charts(client, [chart], channel_id=None)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x", blocks=[image_block(private, chart)])
    assert caught.value.response["error"] == "invalid_blocks"
    assert "invalid slack file" in slack.problems[-1]
    # Shared elsewhere is not shared here.
    (elsewhere,) = await upload_charts(client, [chart], channel_id="C2")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="x", blocks=[image_block(elsewhere, chart)])
    # An image block needs alt text and exactly one source.
    bad: list[dict[str, Any]] = [{"type": "image", "slack_file": {"id": elsewhere, "url": "https://x"}}]
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C2", text="x", blocks=bad)
    # The upload URL takes exactly the announced length, once.
    ticket = await client.files_getUploadURLExternal(filename="a.png", length=10)
    async with aiohttp.ClientSession() as session:
        async with session.post(ticket["upload_url"], data=b"short") as response:
            assert response.status == 400
        async with session.put(ticket["upload_url"], data=b"0123456789") as response:
            assert response.status == 200
        async with session.post(ticket["upload_url"], data=b"0123456789") as response:
            assert response.status == 404
    with pytest.raises(SlackApiError) as caught:
        await client.files_completeUploadExternal(files=[{"id": "FNOTUPLOADED1"}], channel_id="C1")
    assert caught.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as caught:
        await client.files_getUploadURLExternal(filename="a.png", length=1, alt_txt="x" * 1001)
    assert caught.value.response["error"] == "alt_txt_too_large"
