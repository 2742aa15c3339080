"""``engine-bot``, the command line: the report in a terminal, a one-off post, the Slack bot.

- :mod:`~bot.cli.main`: the argument parser and the three commands (``report``, ``post``, ``serve``).
- :mod:`~bot.cli.terminal`: the report as coloured terminal text and as JSON.
- :mod:`~bot.cli.progress`: the one-line progress bar on stderr while the CRM is read.
"""

from __future__ import annotations

from bot.cli.main import main

__all__ = ["main"]
