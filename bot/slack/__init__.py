"""Slack-facing pieces that are not listeners: the incoming-text parser (:mod:`bot.slack.text`)."""
