"""Value Engine Bot: the Slack face of :mod:`engines` (Bolt listeners, Block Kit cards, CLI, schedules)."""
