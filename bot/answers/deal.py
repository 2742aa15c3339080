"""``deal <name or id>``: one deal's card, a pick list when several deals match, or what to try.

A subcommand of ``/engine`` and of mentions (``@bot deal Acme renewal`` answers in the thread, where
deal reviews happen). Errors (HubSpot down, bad token) become messages in :func:`bot.answers.answer`.
The deal is looked up across all pipelines: people name a deal, not its pipeline.
"""

from __future__ import annotations

from bot.answers.answering import Invocation, Subcommand
from bot.blocks import compose_deal, deal_not_found
from engines import EngineName

__all__ = ["DEAL", "DEAL_SUBCOMMAND", "handle_deal"]

DEAL = "deal"


async def handle_deal(invocation: Invocation) -> None:
    query = invocation.args.strip()
    if not query:
        # Nothing to look up: say how to ask without reading the CRM.
        await invocation.reply.send(deal_not_found(""), private=True)
        return
    # record=False: looking at one deal is not a report, so it must not move the trend baseline.
    config = (await invocation.deps.settings_for(invocation.team_id)).analysis
    bundle = await invocation.deps.service.run(list(EngineName), None, record=False, config=config)
    message = await compose_deal(query, bundle.reports, bundle.snapshot, invocation.deps.owners)
    await invocation.reply.send(message, private=invocation.private)


DEAL_SUBCOMMAND = Subcommand(
    DEAL,
    handle_deal,
    examples=(("/engine deal Acme renewal", "one deal's card: stage, risk, owner, next steps"),),
)
