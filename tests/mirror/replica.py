"""One replica's mirror, as its own process: ``python -m tests.mirror.replica DATABASE_URL BASE TOKEN``.

Waits for the file named by ``VEB_REPLICA_GO`` (so two replicas start together), asks its mirror
for a fresh copy, and prints one JSON line: whether this process ran the sync, and how many deals
its memory holds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from bot.mirror import Mirror
from bot.storage import Database
from tests.mirror.conftest import FAST_RETRY, RELAXED


async def main(url: str, base_url: str, token: str) -> None:
    db = Database(url)
    mirror = Mirror(db, token, base_url=base_url, limits=RELAXED, retry=FAST_RETRY)
    memory = await mirror.fresh()
    print(json.dumps({"synced": mirror.last_outcome is not None, "deals": len(memory)}), flush=True)
    db.dispose()


if __name__ == "__main__":
    while not os.path.exists(os.environ["VEB_REPLICA_GO"]):
        time.sleep(0.01)
    asyncio.run(main(*sys.argv[1:4]))
