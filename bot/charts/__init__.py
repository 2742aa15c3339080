"""Charts as PNG pictures with alt text: the score over the last reports (:mod:`~bot.charts.history`),
the pipeline waterfall (:mod:`~bot.charts.waterfall`), time in stage against its benchmark and
stage-to-stage conversion (:mod:`~bot.charts.stages`), and which of them go with an engine card
(:mod:`~bot.charts.cards`).

Each drawing function returns a :class:`~bot.charts.chart.Chart` (or ``None`` when there is nothing
to draw), never raises on thin data, and writes the alt text from the same numbers it draws, so the
words say what the picture says. :mod:`~bot.charts.upload` puts charts into Slack; the CLI writes
them to a directory (``engine-bot report … --chart DIR``).

This package's ``__init__`` imports nothing: the drawing modules load matplotlib (about a second,
once per process), so only code that draws pays for it, and :mod:`~bot.charts.upload` and
:mod:`~bot.charts.chart` stay light.
"""
