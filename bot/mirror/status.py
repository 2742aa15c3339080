"""What the mirror says about itself: one line for ``/engine status``, the App Home and the CLI."""

from __future__ import annotations

from datetime import datetime

from bot.mirror.mirror import MirrorStatus

__all__ = ["status_line"]


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{seconds // 60} min ago"
    if seconds < 36 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def status_line(status: MirrorStatus, now: datetime) -> str:
    """``CRM mirror: last sync 2 min ago (delta: 14 deals read, 3 changed, 0 deleted; 6 HubSpot
    calls), 41,220 deals held; last full read 5 h ago, drift 0.`` Plain words and numbers only."""
    if not status.states:
        return "CRM mirror: not synced yet (the first sync reads every deal once)."
    parts = []
    for name, state in sorted(status.states.items(), key=lambda item: (item[0] != "deals", item[0])):
        if state.cursor is None and state.last_sync_at is None:
            parts.append(f"{name}: not held (HubSpot refused its scope, or the portal lacks it)")
            continue
        when = _ago(state.last_sync_at, now) if state.last_sync_at is not None else "never"
        full = _ago(state.last_full_at, now) if state.last_full_at is not None else "never"
        parts.append(
            f"{name}: last sync {when} ({state.last_kind}: {state.last_read:,} read, "
            f"{state.last_changed:,} changed, {state.last_deleted:,} deleted; {state.last_calls:,} HubSpot "
            f"calls), {state.objects:,} held; last full read {full}, drift {state.last_drift:,}"
        )
    return "CRM mirror: " + "; ".join(parts) + "."
