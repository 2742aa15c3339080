"""Logging set-up with a last line of defence: configured secrets are masked in every record.

Secrets are ``SecretStr`` everywhere, so they should never reach a log call. But an exception from
a library can quote a URL or a header, and a log line is forever; :class:`RedactSecrets` replaces
any configured secret value (and Slack ``response_url`` paths, which act as bearer tokens) with
``[redacted]`` in the final message, whatever produced it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from pydantic import SecretStr

from bot.settings import Settings

__all__ = ["RedactSecrets", "configure_logging", "secrets_of"]

_RESPONSE_URL = re.compile(r"(https://hooks\.slack\.com/(?:commands|actions|services)/)[^\s'\"]+")
_SLACK_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}|\bxapp-[A-Za-z0-9-]{6,}")


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value configured in ``settings`` (non-empty), for redaction."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value().strip():
            values.append(value.get_secret_value())
    return values


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with every known secret masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _RESPONSE_URL.sub(r"\1[redacted]", text)
        return _SLACK_TOKEN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = self._clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def configure_logging(settings: Settings, *, stream_level: str | None = None) -> None:
    """Root logging to stderr at ``LOG_LEVEL`` with secrets redacted on every handler."""
    logging.basicConfig(
        level=stream_level or settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = RedactSecrets(secrets_of(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
