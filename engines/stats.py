"""Shared per-snapshot statistics, computed in ONE pass over the deals and read by all three engines.

Why one pass: a portal can hold a million deals and the bot answers inside Slack's patience, so the
engines never loop over deals themselves. :func:`compute_stats` walks the deals once, with the stage
metadata of every pipeline pre-resolved into plain dicts (no per-deal pydantic work, no linear scans),
and keeps only counters, sums and the few per-deal records the reports list (at-risk deals, capped
evidence ids). Everything is relative to ``now`` so results are deterministic for a given ``now``.
The record types it fills are in :mod:`engines.records`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engines.config import AnalysisConfig
from engines.deal_table import NO_DATE, DealTable, deal_table, to_micros
from engines.models import Pipeline, PortalSnapshot
from engines.records import DealIssue, DealRefs, PipelineStats, RiskFlag, SnapshotStats, StageKind

__all__ = ["compute_stats"]

_DAY = 86400.0
_EXISTING_BUSINESS = "existingbusiness"


def _pipeline_stats(pipeline: Pipeline | None, config: AnalysisConfig) -> PipelineStats:
    kinds: dict[str, tuple[int, int, float | None]] = {}
    open_ids: tuple[str, ...] = ()
    won_id: str | None = None
    if pipeline is not None:
        open_stages = pipeline.open_stages
        open_ids = tuple(s.id for s in open_stages)
        for stage in pipeline.ordered_stages:
            if stage.archived:
                kinds[stage.id] = (StageKind.ARCHIVED, -1, stage.probability)
            elif stage.is_won:
                kinds[stage.id] = (StageKind.WON, -1, stage.probability)
                won_id = won_id or stage.id
            elif stage.is_closed:
                kinds[stage.id] = (StageKind.LOST, -1, stage.probability)
        for index, stage in enumerate(open_stages):
            kinds[stage.id] = (StageKind.OPEN, index, stage.probability)
    n = len(open_ids)
    early = int(n * config.early_stage_fraction)
    late_from = max(early, n - config.late_stage_count) if n > 1 else 0
    return PipelineStats(
        pipeline=pipeline,
        open_stage_ids=open_ids,
        won_stage_id=won_id,
        early_count=early,
        late_from=late_from,
        kinds=kinds,
        open_index={stage_id: i for i, stage_id in enumerate(open_ids)},
        entered=[0] * n,
        stopped=[DealRefs() for _ in range(n)],
        lost_after=[DealRefs() for _ in range(n)],
        stride=n + 1,
    )


def compute_stats(
    snapshot: PortalSnapshot,
    pipeline: Pipeline | None,
    *,
    now: datetime,
    config: AnalysisConfig,
    period: tuple[datetime, datetime] | None = None,
) -> SnapshotStats:
    """One pass over the snapshot's deals for ``pipeline`` (``None``: all pipelines together).

    ``period`` (``[start, end)``, the pipeline-coverage target's) adds the open, probability-weighted
    open and won amounts of the deals whose close date falls in it.
    """
    window_days = config.lookback_days
    if snapshot.lookback_days is not None and 0 < snapshot.lookback_days < window_days:
        window_days = snapshot.lookback_days  # the source read no closed deals older than this
    scoped = (pipeline,) if pipeline is not None else snapshot.pipelines
    pstats = {p.id: _pipeline_stats(p, config) for p in scoped}
    unknown = _pipeline_stats(None, config)
    stage_labels: dict[str, str] = {}
    for p in scoped:
        for s in p.stages:
            stage_labels.setdefault(s.id, s.label)
    st = SnapshotStats(
        deals=deal_table(snapshot.deals),
        now=now,
        config=config,
        window_days=window_days,
        pipelines=pstats,
        stage_labels=stage_labels,
        period=period,
    )
    _walk(st.deals, st, unknown, all_pipelines=pipeline is None, currency=snapshot.portal.currency)
    if st.issues.get(DealIssue.NO_PIPELINE):
        st.pipelines[""] = unknown
    return st


def _top(ps: PipelineStats, entries: tuple[str, ...], index: int) -> int:
    """The furthest open stage (its index) a deal in open stage ``index`` (-1: none) that entered
    ``entries`` reached."""
    top = index  # the current open stage counts as entered, with or without a timestamp
    for entered_id in entries:
        i = ps.open_index.get(entered_id, index)
        if i > top:
            top = i
    return top


def _entered(ps: PipelineStats, shapes: list[tuple[str, ...]]) -> None:
    """Per open stage, the deals that entered it, from the walk's counts per (shape, stage)."""
    ent, open_index, stride = ps.entered, ps.open_index, ps.stride
    for combo, count in ps.combos.items():
        shape, at = divmod(combo, stride)
        index = at - 1
        if index >= 0:
            ent[index] += count
        for entered_id in shapes[shape]:
            i = open_index.get(entered_id, index)
            if i != index:
                ent[i] += count


def _refs(table: dict[str, DealRefs], key: str) -> DealRefs:
    refs = table.get(key)
    if refs is None:
        refs = table[key] = DealRefs()
    return refs


def _walk(
    table: DealTable, st: SnapshotStats, unknown: PipelineStats, *, all_pipelines: bool, currency: str
) -> None:
    """The hot loop. Plain locals, dict lookups and list appends only: it runs once per deal.

    It reads the deal columns (:mod:`engines.deal_table`) slot by slot; dates are integer
    microseconds, compared with the cut-offs converted once here (exact: see that module).
    """
    cfg = st.config
    now = st.now
    now_us = to_micros(now)
    window_start = to_micros(now - timedelta(days=st.window_days))
    stale_cutoff = to_micros(now - timedelta(days=cfg.stale_activity_days))
    old_cutoff = to_micros(now - timedelta(days=cfg.max_open_age_days))
    soon_cutoff = to_micros(now + timedelta(days=cfg.closing_soon_days))
    slow_cutoff = to_micros(now - timedelta(days=cfg.stage_days_benchmark))
    max_amount = cfg.max_plausible_amount
    pstats = st.pipelines
    # The coverage period; an empty one (now, now) when there is none: no close date falls in it.
    p_start, p_end = (now_us, now_us)
    if st.period is not None:
        p_start, p_end = to_micros(st.period[0]), to_micros(st.period[1])
    p_open = p_weighted = p_won = 0.0
    OPEN, WON, LOST, ARCHIVED = StageKind.OPEN, StageKind.WON, StageKind.LOST, StageKind.ARCHIVED
    STALE, PAST, OLD, LATE = RiskFlag.STALE, RiskFlag.PAST_CLOSE, RiskFlag.TOO_OLD, RiskFlag.LATE_STAGE
    NONE = NO_DATE
    stage_open_deals = st.stage_open_deals
    stage_open_value = st.stage_open_value
    stage_seconds = st.stage_days_total
    stage_days_count = st.stage_days_count
    stage_slow = st.stage_slow
    stage_stale = st.stage_stale
    owner_open = st.owner_open
    owner_stale = st.owner_stale
    risk = st.at_risk
    risk_rows, risk_amounts, risk_flags = risk.rows, risk.amounts, risk.flags
    note = st.note_issue
    won_ids = st.won_ids
    unlisted: tuple[int, int, float | None] = (StageKind.UNLISTED, -1, None)

    n = archived = 0
    has_amount = has_close = has_owner = has_created = has_activity = has_type = 0
    open_n = open_listed = no_prob = early_n = late_n = late_risk = soon_n = stale_n = no_entry = 0
    open_value = listed_value = weighted = early_value = late_value = soon_value = 0.0
    won = lost = closed = exp_n = cycle_n = 0
    won_value = exp_value = 0.0
    cycle_seconds = 0.0  # floats: a sum of absurd CRM dates must not overflow

    c = table.columns
    shapes = c.shapes
    col = table.column  # a column's values for the table's deals, in order (C speed)
    rows = zip(
        col(range(len(c))),
        col(c.archived),
        col(c.pipeline_ids),
        col(c.ids),
        col(c.amounts),
        col(c.currencies),
        col(c.created),
        col(c.close),
        col(c.owner_ids),
        col(c.deal_types),
        col(c.touched),
        col(c.stage_ids),
        col(c.entered_shape),
        col(c.entered_current),
        strict=True,
    )
    for (
        slot,
        is_archived,
        pid,
        did,
        amount,
        deal_currency,
        created,
        close,
        owner,
        deal_type,
        activity,
        sid,
        shape,
        entered_at,
    ) in rows:
        if is_archived:
            archived += 1
            continue
        ps = pstats.get(pid) if pid is not None else None
        if ps is None:
            if not all_pipelines:
                continue
            ps = unknown
            note(DealIssue.NO_PIPELINE, did)
        n += 1
        if amount != amount:  # NaN: no amount
            amt = 0.0
            note(DealIssue.MISSING_AMOUNT, did)
        else:
            has_amount += 1
            if amount == 0:
                amt = 0.0
                note(DealIssue.ZERO_AMOUNT, did)
            elif amount < 0 or amount > max_amount:
                amt = 0.0
                note(DealIssue.INVALID_AMOUNT, did)
            else:
                amt = amount
        if deal_currency is not None and deal_currency != currency:
            note(DealIssue.OTHER_CURRENCY, did)
        if created != NONE:
            has_created += 1
        if close != NONE:
            has_close += 1
        if owner is not None:
            has_owner += 1
        if deal_type:
            has_type += 1
        if activity != NONE:  # the last activity, else the last modification
            has_activity += 1
        kind, index, prob = ps.kinds.get(sid, unlisted) if sid is not None else unlisted

        # ---- stage-to-stage conversion from stage history (open and closed deals)
        # Which open stages a deal entered depends only on its entered stages (a shape code shared
        # by every deal of the same funnel) and its current stage: counted per combination here and
        # turned into per-stage counts once, after the walk (_entered).
        if ps.entered:
            combo = shape * ps.stride + index + 1
            top = ps.tops.get(combo)
            if top is None:
                top = ps.tops[combo] = _top(ps, shapes[shape], index)
            ps.combos[combo] = ps.combos.get(combo, 0) + 1
            if top >= 0 and kind != WON:
                refs = ps.stopped[top]
                refs.amounts.append(amt)
                refs.ids.append(did)
                if kind == LOST:
                    refs = ps.lost_after[top]
                    refs.amounts.append(amt)
                    refs.ids.append(did)

        if kind == WON or kind == LOST:  # noqa: SIM109 - no tuple built per deal in the hot loop
            closed += 1
            if close == NONE:
                note(DealIssue.CLOSED_WITHOUT_CLOSE_DATE, did)
                continue
            if kind == WON and p_start <= close < p_end:
                p_won += amt
            if close < window_start or close > now_us:
                continue
            ps.window_closed += 1
            if kind == LOST:
                lost += 1
                ps.window_lost_value += amt
                continue
            won += 1
            won_value += amt
            won_ids.append(did)
            ps.window_won_value += amt
            if deal_type == _EXISTING_BUSINESS:
                exp_n += 1
                exp_value += amt
                ps.window_expansion_value += amt
            if created != NONE:
                if close >= created:
                    cycle_seconds += (close - created) / 1_000_000
                    cycle_n += 1
                else:
                    note(DealIssue.NEGATIVE_CYCLE, did)
            continue

        # ---- open deal (incl. archived and unlisted stages)
        open_n += 1
        open_value += amt
        ps.open_deals += 1
        ps.open_value += amt
        key = sid if sid is not None else ""
        stage_open_deals[key] = stage_open_deals.get(key, 0) + 1
        stage_open_value[key] = stage_open_value.get(key, 0.0) + amt
        flags = 0
        in_period = close != NONE and p_start <= close < p_end
        if in_period:
            p_open += amt
        if kind == OPEN:
            open_listed += 1
            listed_value += amt
            if prob is None:
                no_prob += 1
            else:
                weighted += amt * prob
                if in_period:
                    p_weighted += amt * prob
            if index < ps.early_count:
                early_n += 1
                early_value += amt
            if index >= ps.late_from:
                late_n += 1
                late_value += amt
                flags = LATE
        else:
            no_prob += 1
            note(DealIssue.ARCHIVED_STAGE if kind == ARCHIVED else DealIssue.UNLISTED_STAGE, did)
        if close != NONE and now_us <= close <= soon_cutoff:
            soon_n += 1
            soon_value += amt
        if entered_at != NONE:
            seconds = (now_us - entered_at) / 1_000_000
            if seconds < 0:  # entered "after now": a clock or import error, not negative time
                seconds = 0.0
            stage_seconds[key] = stage_seconds.get(key, 0.0) + seconds
            stage_days_count[key] = stage_days_count.get(key, 0) + 1
            if entered_at < slow_cutoff:
                refs = _refs(stage_slow, key)
                refs.amounts.append(amt)
                refs.ids.append(did)
        else:
            no_entry += 1
            note(DealIssue.NO_STAGE_ENTRY, did)
        owner_open[owner] = owner_open.get(owner, 0) + 1
        if activity != NONE and activity < stale_cutoff:
            flags |= STALE
            stale_n += 1
            refs = _refs(stage_stale, key)
            refs.amounts.append(amt)
            refs.ids.append(did)
            mine = owner_stale.get(owner)
            if mine is None:
                mine = owner_stale[owner] = DealRefs()
            mine.amounts.append(amt)
            mine.ids.append(did)
        if close != NONE and close < now_us:
            flags |= PAST
        if created != NONE and created < old_cutoff:
            flags |= OLD
        if flags & 7:
            risk_rows.append((did, slot, amount, sid, pid, owner, close, entered_at, activity))
            risk_amounts.append(amt)
            risk_flags.append(flags)
            ps.at_risk += 1
            if flags & LATE:
                late_risk += 1

    for ps in (*pstats.values(), unknown):
        _entered(ps, shapes)
    st.deals_analyzed = n
    st.archived_deals = archived
    st.open_deals = open_n
    st.open_value = open_value
    st.weighted_value = weighted
    st.open_without_probability = no_prob
    st.open_in_listed_stages = open_listed
    st.open_listed_value = listed_value
    st.early_deals, st.early_value = early_n, early_value
    st.late_deals, st.late_value, st.late_at_risk = late_n, late_value, late_risk
    st.closing_soon_deals, st.closing_soon_value = soon_n, soon_value
    st.stale_deals = stale_n
    st.won_deals, st.lost_deals, st.won_value, st.closed_total = won, lost, won_value, closed
    st.expansion_won_deals, st.expansion_won_value = exp_n, exp_value
    st.period_open_value, st.period_weighted_value, st.period_won_value = p_open, p_weighted, p_won
    st.cycle_days_total = cycle_seconds / _DAY
    st.cycle_count = cycle_n
    for key, seconds in stage_seconds.items():
        stage_seconds[key] = seconds / _DAY
    st.filled = {
        "amount": has_amount,
        "close_date": has_close,
        "owner": has_owner,
        "create_date": has_created,
        "last_activity": has_activity,
        "deal_type": has_type,
        "stage_entry": open_n - no_entry,
    }
