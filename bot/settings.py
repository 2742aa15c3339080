"""Every setting the bot reads, in one place: environment variables or a ``.env`` file.

Why one class: the bot, the CLI, the scheduler and the storage all read the same names, so a
misspelt or missing variable is reported once, at start, by its environment name - never as a
``KeyError`` deep inside a request. Secrets are ``SecretStr`` so they never reach a log line, a repr
or an exception message by accident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import SettingsError
from engines import AnalysisConfig

__all__ = ["Settings", "SettingsError", "WorkspaceSettings", "load_settings"]

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HUBSPOT_API_BASE = "https://api.hubapi.com"


class WorkspaceSettings(BaseModel):
    """What a workspace may change from Slack (``/engine settings``): the pipeline ``/engine`` reports
    on when none is named, and every field of :class:`engines.AnalysisConfig` (new fields appear in
    the settings modal by themselves). The environment gives the defaults (:meth:`Settings.workspace`);
    :mod:`bot.answers.workspace` keeps each workspace's overrides. Never a secret: nothing here is
    one, and the change log writes these values as they are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_pipeline: str | None = Field(
        default=None, max_length=200, description="The pipeline /engine reports on when none is named."
    )
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)

    def flat(self) -> dict[str, Any]:
        """Every setting by its name (``default_pipeline`` and the analysis fields), JSON-shaped."""
        return {"default_pipeline": self.default_pipeline, **self.analysis.model_dump(mode="json")}

    @classmethod
    def from_flat(cls, values: dict[str, Any]) -> WorkspaceSettings:
        """The inverse of :meth:`flat`; raises pydantic's ``ValidationError`` for a bad value."""
        analysis = {k: v for k, v in values.items() if k != "default_pipeline"}
        return cls(
            default_pipeline=values.get("default_pipeline"),
            analysis=AnalysisConfig.model_validate(analysis),
        )


class Settings(BaseSettings):
    """The bot's configuration. Field ``foo_bar`` is read from the environment variable ``FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        frozen=True,
        populate_by_name=True,
        env_nested_delimiter="__",
    )

    # --- Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL

    # --- HubSpot
    hubspot_access_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "hubspot_access_token"),
    )
    hubspot_api_base: str = DEFAULT_HUBSPOT_API_BASE
    hubspot_cache_ttl: float = Field(default=300.0, ge=0.0)
    hubspot_lookback_days: int = Field(default=180, ge=1, le=3650)
    # HubSpot's API version: the date-based paths (default) or the v3 ones (supported to Sept. 2027).
    hubspot_api_version: Literal["2026-03", "v3"] = "2026-03"
    engine_source: Literal["hubspot", "sample"] | None = None

    # --- CRM mirror (bot.mirror; docs/mirror.md): HubSpot kept in the database, read incrementally
    sync_interval: float = Field(default=300.0, ge=0.0)  # engine-bot serve's background sync; 0: off
    sync_fresh_seconds: float = Field(default=60.0, ge=0.0)  # an answer syncs first when older
    sync_sweep_hours: float = Field(default=24.0, gt=0.0)  # full read that fixes what deltas missed
    change_log_days: int = Field(default=400, ge=1)
    # --- alerts (engine-bot serve with the CRM mirror): a digest per channel at most every this many
    # minutes, and at most this many alerts shown a day per channel (the rest fold into "and N more")
    alert_digest_minutes: float = Field(default=15.0, gt=0.0, le=1440.0)
    alert_daily_budget: int = Field(default=20, ge=1, le=40)

    # --- analysis: every threshold of engines.AnalysisConfig, as ANALYSIS__<FIELD> (for example
    # ANALYSIS__RENEWAL_PIPELINE="Renewals" or ANALYSIS__STALE_ACTIVITY_DAYS=21); see docs/metrics.md
    # ("How the numbers are computed") for each field and its default.
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    # The pipeline /engine reports on when the question names none (None: all pipelines).
    default_pipeline: str | None = None

    # --- who may change settings from Slack besides workspace admins and owners: Slack user ids,
    # comma-separated (ADMIN_USER_IDS=U012AB3CD,U045EF6GH)
    admin_user_ids: Annotated[frozenset[str], NoDecode] = frozenset()

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.replace(" ", ",").split(",") if part.strip())
        return value

    # --- serving
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    progress_after_seconds: float = Field(default=4.0, ge=0.0)
    # At most this many answers render and post at once, so acks never queue behind a burst's cards.
    answer_workers: int = Field(default=4, ge=1, le=64)

    # --- storage and schedules (read by bot.storage / bot.schedules)
    data_dir: Path = Path("data")
    database_url: SecretStr | None = None
    report_channel: str | None = None
    report_schedule: str | None = None
    report_timezone: str | None = None
    report_engines: str = "all"

    @property
    def source(self) -> Literal["hubspot", "sample"]:
        """``ENGINE_SOURCE`` when set; otherwise HubSpot when a token is configured, else the sample."""
        if self.engine_source is not None:
            return self.engine_source
        return "hubspot" if self.hubspot_access_token is not None else "sample"

    def workspace(self) -> WorkspaceSettings:
        """The environment's workspace settings: what every workspace starts from."""
        return WorkspaceSettings(default_pipeline=self.default_pipeline, analysis=self.analysis)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require(self, *names: str) -> None:
        """Fail with a message naming every listed setting that is missing (by its variable name).

        Called by each entry point with exactly what it needs, so ``engine-bot report`` works with
        no environment at all while ``engine-bot serve`` insists on its Slack credentials.
        """
        missing = [name.upper() for name in names if _is_blank(getattr(self, name))]
        if missing:
            plural = "s are" if len(missing) > 1 else " is"
            raise SettingsError(
                f"Setting{plural} missing: {', '.join(missing)}. "
                "Set it in the environment or in a .env file (see docs/configuration.md)."
            )
        self._check_token_shapes(names)

    def _check_token_shapes(self, names: tuple[str, ...]) -> None:
        prefixes = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}
        for name in names:
            prefix = prefixes.get(name)
            value = getattr(self, name)
            if prefix and isinstance(value, SecretStr) and not value.get_secret_value().startswith(prefix):
                raise SettingsError(
                    f"{name.upper()} does not look right: it should start with '{prefix}' "
                    "(the value is not shown)."
                )

    def require_for_source(self) -> None:
        if self.source == "hubspot":
            self.require("hubspot_access_token")


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, SecretStr):
        return not value.get_secret_value().strip()
    return isinstance(value, str) and not value.strip()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's error into a :class:`SettingsError` that names the
    variables but never echoes their values (a mistyped token must not end up in a terminal log)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            name = "__".join(str(part) for part in error["loc"]).upper() or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("Invalid setting " + "; ".join(problems)) from None
