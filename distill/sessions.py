"""Sessions: cut an event frame into sessions, describe each one, follow browser tabs.

:func:`sessionize` gives every event a session id, computed by one or more
*modes* applied together:

``"logged"``
    the session id UserALE logged (``sessionId``, kept per browser tab in
    ``sessionStorage``);
``"gap"``
    a new session after ``gap`` of inactivity (per user, or per logged
    session when combined with ``"logged"``);
``"page"``
    a new session whenever the page (:func:`distill.frame.page_key`: the URL
    without query and fragment) changes;
``"tab"``
    one session per browser tab (:func:`tabs` attributes events to tabs).

``by=["logged", "gap"]`` splits each logged session at its gaps. The result is
a copy of the frame whose ``session`` column holds the computed id and whose
``logged_session`` column keeps the id UserALE logged.

Ids are readable and deterministic: the logged id (``"session_1796412510738"``)
or the user (``"alice"``) when ``"logged"`` is not a mode, then
``"@tab<id>"`` for ``"tab"``, then ``"#<n>"``, a 1-based counter in time order,
for ``"gap"`` and ``"page"``: ``"session_1796412510738#2"``,
``"alice#1"``, ``"alice@tab602195154#3"``. Missing values get explicit
placeholders, so no event is ever dropped: an event without a logged session
is in ``"<user>:(no session)"`` (per user), an event without a user in
``"(no user)"``, an event whose tab is unknown in ``"...@(no tab)"``.

:func:`session_table` describes each session in one row (user, start, end,
duration, events, pages, targets, active and idle time, entry and exit page,
first and last event, bounce); :func:`session_events` returns one session's
events.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> s = sessionize(events, by=["logged", "page"])
>>> s["session"].nunique(), s["logged_session"].nunique()
(60, 21)
>>> table = session_table(sessionize(events))
>>> len(table), int(table["events"].sum())
(21, 4863)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from distill.errors import DistillError, FrameError
from distill.frame import categories, page_key, require

__all__ = [
    "ACTION_TYPES",
    "MODES",
    "NO_SESSION",
    "NO_TAB",
    "NO_USER",
    "sessionize",
    "session_table",
    "session_events",
    "tabs",
]

#: The ways :func:`sessionize` can cut sessions.
MODES: tuple[str, ...] = ("logged", "gap", "page", "tab")
#: Id part for events without a logged session (``"alice:(no session)"``).
NO_SESSION = "(no session)"
#: Id part for events without a user (``"(no user)#1"``).
NO_USER = "(no user)"
#: Id part for events whose tab is unknown (``"alice@(no tab)"``).
NO_TAB = "(no tab)"
#: Raw event types counted as deliberate actions (``actions`` and ``bounce`` in
#: :func:`session_table`). Pointer movement, focus, blur, load, resize and
#: mousedown/mouseup (parts of a click) are not actions.
ACTION_TYPES: tuple[str, ...] = (
    "click",
    "dblclick",
    "contextmenu",
    "input",
    "change",
    "keydown",
    "submit",
    "reset",
    "drop",
    "wheel",
    "scroll",
    "paste",
    "cut",
    "copy",
)
_TAB_LOG_PREFIX = "tabs."


# -- small vectorised helpers ---------------------------------------------------------------------
def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and their labels as text, categories sorted."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = np.asarray(series.cat.categories.astype(str), dtype=object)
        return series.cat.codes.to_numpy().astype(np.int64), labels
    codes, uniques = pd.factorize(series, sort=True)
    return codes.astype(np.int64), np.asarray([str(u) for u in uniques], dtype=object)


def _time_ns(events: pd.DataFrame, column: str = "time") -> np.ndarray:
    col = events[column]
    if not (isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype)):
        raise FrameError(f"column {column!r} must hold datetimes (datetime64[ns, UTC]), it has dtype {col.dtype}")
    ns = col.to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = ns == np.iinfo(np.int64).min
    if nat.any():
        where = int(np.flatnonzero(nat)[0])
        ident = events["event_id"].iloc[where] if "event_id" in events.columns else events.index[where]
        raise FrameError(f"{int(nat.sum())} event(s) have no {column!r} (first: {ident!r}); sessions need times")
    return ns


def _timedelta_ns(value: Any, name: str) -> int:
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name}={value!r} is not a duration such as '30min' or '5s' ({err})") from None
    if pd.isna(td) or td.value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive duration")
    return int(td.value)


def _small(codes: np.ndarray) -> np.ndarray:
    """The codes in the narrowest unsigned dtype (numpy's stable sort is a radix sort up to 16 bits)."""
    top = int(codes.max()) if len(codes) else 0
    if 0 <= top < 2**16 and (len(codes) == 0 or codes.min() >= 0):
        return codes.astype(np.uint16 if top >= 2**8 else np.uint8)
    return codes


def _group_order(codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row order sorted by (group, time), keeping the frame's order among ties."""
    if len(t) > 1 and (np.diff(t) < 0).any():
        return np.lexsort((np.arange(len(t)), t, codes))
    return np.argsort(_small(codes), kind="stable")


def _compact(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes 0..k-1 keeping their order; also return which of ``size`` codes were used."""
    used = np.flatnonzero(np.bincount(codes, minlength=size))
    remap = np.full(size, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return remap[codes], used


def _pair_index(g: np.ndarray, v: np.ndarray, ngroups: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct (group, value >= 0) pairs as keys ``g * width + v`` with their counts, sorted."""
    ok = v >= 0
    width = int(v.max()) + 1 if ok.any() else 1
    keys = g[ok] * width + v[ok]
    if ngroups * width <= max(4 * len(keys), 1 << 22):
        counts = np.bincount(keys, minlength=ngroups * width)
        pairs = np.flatnonzero(counts)
        return pairs, counts[pairs], width
    # sparse: collapse runs of equal pairs first (rows sorted by group make long runs), then sort the runs
    change = np.ones(len(keys), dtype=bool)
    change[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(change)
    pairs, inverse = np.unique(keys[starts], return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), weights=np.diff(np.r_[starts, len(keys)]), minlength=len(pairs))
    return pairs, counts.astype(np.int64), width


def _starts(sorted_codes: np.ndarray) -> np.ndarray:
    """True where a new group begins in codes sorted by group."""
    new = np.ones(len(sorted_codes), dtype=bool)
    if len(sorted_codes) > 1:
        new[1:] = sorted_codes[1:] != sorted_codes[:-1]
    return new


def _fill_within(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Fill -1 entries from the previous, then the next, valid entry of the same group."""
    n = len(values)
    if n == 0:
        return values
    pos = np.arange(n)
    idx = np.maximum.accumulate(np.where((values >= 0) | group_start, pos, 0))
    filled = values[idx]
    group_end = np.r_[group_start[1:], True]
    rev = filled[::-1]
    ridx = np.maximum.accumulate(np.where((rev >= 0) | group_end[::-1], pos, 0))
    return rev[ridx][::-1]


def _logged_keys(logged: pd.Series, user: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Group codes and labels for logged sessions; missing ids become one group per user."""
    s_codes, s_labels = _codes(logged)
    u_codes, u_labels = _codes(user)
    codes = s_codes.copy()
    null = codes < 0
    if null.any():
        u = u_codes[null]
        codes[null] = len(s_labels) + np.where(u >= 0, u, len(u_labels))
    extra = [f"{u}:{NO_SESSION}" for u in u_labels] + [f"{NO_USER}:{NO_SESSION}"]
    return codes, np.concatenate([s_labels, np.asarray(extra, dtype=object)])


def _user_keys(user: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    u_codes, u_labels = _codes(user)
    codes = np.where(u_codes >= 0, u_codes, len(u_labels))
    return codes, np.append(u_labels, NO_USER).astype(object)


def _pair_keys(
    a_codes: np.ndarray, a_labels: np.ndarray, b_codes: np.ndarray, b_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of (a, b) pairs, compacted, with labels ``a@tab<b>`` (``a@(no tab)`` for missing b)."""
    nb = len(b_labels) + 1
    b = np.where(b_codes >= 0, b_codes, len(b_labels))
    pairs, inverse = np.unique(a_codes * nb + b, return_inverse=True)
    b_text = np.append(np.asarray(["tab" + str(x) for x in b_labels], dtype=object), NO_TAB).astype(object)
    labels = pd.Series(a_labels[pairs // nb], dtype=object) + "@" + pd.Series(b_text[pairs % nb], dtype=object)
    return inverse.reshape(-1).astype(np.int64), labels.to_numpy(dtype=object)


def _modes(by: str | Sequence[str]) -> list[str]:
    modes = [by] if isinstance(by, str) else list(by)
    if not modes:
        raise ValueError(f"by must name at least one of {', '.join(MODES)}")
    for m in modes:
        if m not in MODES:
            raise ValueError(f"unknown sessionize mode {m!r}; choose from {', '.join(MODES)} (or a list of them)")
    return modes


# -- sessionize -----------------------------------------------------------------------------------
def sessionize(
    events: pd.DataFrame,
    by: str | Sequence[str] = "logged",
    *,
    gap: Any = "30min",
    user: str = "user",
    session: str = "session",
    tab: str = "tab",
    page: str = "page_url",
) -> pd.DataFrame:
    """Cut events into sessions.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame (or a frame already sessionised: its ``logged_session``
        column is then used as the logged id, so sessionising again starts from
        what UserALE logged).
    by : str or list of str
        ``"logged"``, ``"gap"``, ``"page"``, ``"tab"`` or a list combining
        them (see the module docstring). Without ``"logged"``, the groups that
        ``"gap"``, ``"page"`` and ``"tab"`` split are the users.
    gap : str or timedelta
        For ``"gap"``: a session ends when the next event of its group comes
        more than ``gap`` later (event times; interval logs count at their
        start).
    user, session, tab, page : str
        Columns holding the user, the logged session id, the tab id and the
        page address.

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` with the same columns, ``session`` replaced by the
        computed id (categorical, sorted categories) and ``logged_session``
        added after it (unless already present). Every event has a session:
        missing users, logged sessions and tabs get the placeholders
        :data:`~distill.sessions.NO_USER`, :data:`~distill.sessions.NO_SESSION`
        and :data:`~distill.sessions.NO_TAB` in their ids.

    Raises
    ------
    ValueError
        An unknown mode or a non-positive ``gap``.
    FrameError
        A needed column is missing, or ``"tab"`` is asked for where the frame
        holds no tab information.

    Notes
    -----
    Vectorised: one sort by (group, time), differences and a cumulative sum;
    ids are built once per session, not per event. With ``"page"``, events
    without a page (extension logs, some custom logs) stay in the page
    session of the event before them (or after them, at the start of a
    group), so they never start a session of their own.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> s = sessionize(events, by=["logged", "gap"], gap="10s")
    >>> sorted(s["session"].cat.categories)[:3]
    ['session_1796412510738#1', 'session_1796412510799#1', 'session_1796412510799#2']
    >>> sessionize(events, by="gap")["session"].nunique()
    8
    """
    modes = _modes(by)
    logged_col = "logged_session" if "logged_session" in events.columns else session
    need = ["time", user, logged_col]
    if "page" in modes:
        need.append(page)
    require(events, need, what="sessionize")
    gap_ns = _timedelta_ns(gap, "gap") if "gap" in modes else 0
    t = _time_ns(events)
    n = len(events)

    if "logged" in modes:
        codes, labels = _logged_keys(events[logged_col], events[user])
    else:
        codes, labels = _user_keys(events[user])
    if "tab" in modes:
        tab_col = tabs(events, tab=tab, session=logged_col, user=user, page=page)["tab"]
        if tab_col.isna().all() and n:
            raise FrameError(
                "sessionize(by='tab') needs tab information: a 'tab' column with values or browser-extension "
                "tabs.* logs; this frame has neither"
            )
        t_codes, t_labels = _codes(tab_col)
        codes, labels = _pair_keys(codes, labels, t_codes, t_labels)

    order = _group_order(codes, t)
    sc = codes[order]
    new = _starts(sc)
    group_new = new.copy()
    if "gap" in modes and n > 1:
        new[1:] |= np.diff(t[order]) > gap_ns
    split = "gap" in modes or "page" in modes
    if "page" in modes and n > 1:
        p_codes, _ = _codes(page_key(events, column=page))
        pc = _fill_within(p_codes[order], group_new)
        new[1:] |= pc[1:] != pc[:-1]
    run = np.cumsum(new) - 1
    run_group = sc[new]
    if split:
        first = np.flatnonzero(group_new[new])
        number = np.arange(len(run_group)) - np.repeat(first, np.diff(np.r_[first, len(run_group)])) + 1
        run_labels = (pd.Series(labels[run_group], dtype=object) + "#" + pd.Series(number).astype(str)).to_numpy(
            dtype=object
        )
    else:
        run_labels = labels[run_group]
    cats, run_code = np.unique(run_labels.astype(str), return_inverse=True)
    if len(cats) < len(run_labels):
        dup = pd.Series(run_labels).value_counts().index[0]
        raise DistillError(f"two different sessions would get the same id {dup!r}; rename the user or session first")
    ev_codes = np.empty(n, dtype=np.int64)
    ev_codes[order] = run_code.reshape(-1)[run]

    out = events.copy(deep=False)  # new columns replace, never write into, the shared ones
    if "logged_session" not in out.columns:
        out.insert(out.columns.get_loc(session) + 1, "logged_session", events[session])
    out[session] = pd.Categorical.from_codes(ev_codes, categories=categories(cats))
    meta = dict(out.attrs.get("distill_meta") or {})
    meta["sessions"] = {"by": modes, **({"gap_seconds": gap_ns / 1e9} if "gap" in modes else {})}
    out.attrs["distill_meta"] = meta
    return out


# -- session table --------------------------------------------------------------------------------
def _per_group_mode(g: np.ndarray, v: np.ndarray, ngroups: int) -> np.ndarray:
    """Most frequent non-negative value per group (ties: smallest value); -1 where none."""
    out = np.full(ngroups, -1, dtype=np.int64)
    pairs, counts, width = _pair_index(g, v, ngroups)
    if not len(pairs):
        return out
    pg, pv = pairs // width, pairs % width
    order = np.lexsort((pv, -counts, pg))
    first = _starts(pg[order])
    out[pg[order][first]] = pv[order][first]
    return out


def _per_group_distinct(g: np.ndarray, v: np.ndarray, ngroups: int) -> np.ndarray:
    pairs, _, width = _pair_index(g, v, ngroups)
    return np.bincount(pairs // width, minlength=ngroups).astype(np.int64)


def _cat(codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
    cats = categories(labels)
    if len(cats) and not cats.is_monotonic_increasing:
        order = np.argsort(np.asarray(labels, dtype=str), kind="stable")
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes = np.where(codes >= 0, remap[np.clip(codes, 0, None)], -1)
        cats = categories(np.asarray(labels, dtype=object)[order])
    return pd.Categorical.from_codes(codes, categories=cats)


def session_table(
    events: pd.DataFrame,
    *,
    session: str = "session",
    user: str = "user",
    idle: Any = "30s",
    bounce_actions: int = 1,
) -> pd.DataFrame:
    """One row per session: who, when, how long, how much, where, how it began and ended.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame, sessionised or not (``session`` then holds the logged
        ids; events without one are grouped per user under
        ``"<user>:(no session)"``, as :func:`sessionize` does).
    session, user : str
        Columns holding the session id and the user.
    idle : str or timedelta
        A gap between consecutive events of a session longer than ``idle``
        counts, whole, as idle time; shorter gaps are active time.
    bounce_actions : int
        A session is a bounce when it saw at most one page and made at most
        this many actions.

    Returns
    -------
    pandas.DataFrame
        Index ``session`` (sorted ids), ``attrs["distill_kind"] == "sessions"``,
        columns:

        - ``user``: the session's most frequent user (ties: first by name);
          ``users``: how many distinct users it holds;
        - ``start``, ``end``: first and last event time; ``duration`` = end -
          start;
        - ``events``: number of events; ``pages``: distinct pages
          (:func:`~distill.frame.page_key`); ``targets``: distinct targets;
        - ``active_time``, ``idle_time``: sums of the gaps between consecutive
          events up to / longer than ``idle`` (``active_time + idle_time ==
          duration``); ``idle_share`` = idle / duration (0 for a zero
          duration);
        - ``actions``: raw events whose type is in :data:`~distill.sessions.ACTION_TYPES`
          (interval and custom logs repeat raw ones and are not counted);
        - ``bounce``: ``pages <= 1 and actions <= bounce_actions``;
        - ``entry_page``, ``exit_page``: page of the first and last event that
          has one;
        - ``first_type``, ``first_target``, ``last_type``, ``last_target``:
          the first and last event (time order, ties by ``event_id``);
        - ``logged_session``: the logged id (the most frequent one when a
          computed session spans several; missing for placeholder sessions).

    Examples
    --------
    >>> import distill
    >>> table = session_table(distill.datasets.load_sample())
    >>> row = table.loc["session_1796412510818"]
    >>> row["user"], int(row["events"]), int(row["pages"]), row["entry_page"]
    ('dave', 119, 2, 'http://127.0.0.1:8765/catalog.html')
    >>> bool((table["active_time"] + table["idle_time"] == table["duration"]).all())
    True
    """
    require(events, ["time", session, user, "type", "target", "page_url"], what="session_table")
    idle_ns = _timedelta_ns(idle, "idle")
    t = _time_ns(events)
    n = len(events)
    codes, labels = _logged_keys(events[session], events[user])
    codes, used = _compact(codes, len(labels))
    labels = labels[used]
    ng = len(labels)

    order = _group_order(codes, t)
    sc = codes[order]
    ts = t[order]
    new = _starts(sc)
    firsts = np.flatnonzero(new)
    lasts = np.r_[firsts[1:] - 1, n - 1] if n else firsts
    count = np.diff(np.r_[firsts, n]).astype(np.int64)
    start = ts[firsts]
    end = ts[lasts]
    dt = np.zeros(n, dtype=np.int64)
    if n > 1:
        dt[1:] = np.diff(ts)
    dt[new] = 0
    idle_part = np.where(dt > idle_ns, dt, 0)
    idle_sum = np.add.reduceat(idle_part, firsts) if n else np.zeros(0, dtype=np.int64)
    duration = end - start
    active = duration - idle_sum

    u_codes, u_labels = _codes(events[user])
    p_codes, p_labels = _codes(page_key(events))
    tg_codes, tg_labels = _codes(events["target"])
    ty_codes, ty_labels = _codes(events["type"])
    is_action = np.isin(ty_labels, ACTION_TYPES)[np.clip(ty_codes, 0, None)] & (ty_codes >= 0)
    if "log_type" in events.columns:
        lt_codes, lt_labels = _codes(events["log_type"])
        raw = np.append(lt_labels == "raw", True)  # missing log type: counted as raw
        is_action &= raw[lt_codes]
    actions = np.bincount(codes, weights=is_action, minlength=ng).astype(np.int64)
    pages = _per_group_distinct(sc, p_codes[order], ng)

    ps = p_codes[order]
    has_page = np.flatnonzero(ps >= 0)
    entry = np.full(ng, -1, dtype=np.int64)
    exit_ = np.full(ng, -1, dtype=np.int64)
    if len(has_page):
        g_with = sc[has_page]
        first_pos = has_page[_starts(g_with)]
        last_pos = has_page[np.r_[g_with[1:] != g_with[:-1], True]]
        entry[sc[first_pos]] = ps[first_pos]
        exit_[sc[last_pos]] = ps[last_pos]

    if "logged_session" in events.columns:
        l_codes, l_labels = _codes(events["logged_session"])
        logged = _cat(_per_group_mode(sc, l_codes[order], ng), l_labels)
    else:
        _, s_labels = _codes(events[session])
        real = used < len(s_labels)
        logged = _cat(np.where(real, used, -1), s_labels)

    first_rows = order[firsts]
    last_rows = order[lasts]
    span = pd.to_timedelta(duration, unit="ns")
    idle_td = pd.to_timedelta(idle_sum, unit="ns")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(duration > 0, idle_sum / np.where(duration > 0, duration, 1), 0.0)
    table = pd.DataFrame(
        {
            "user": _cat(_per_group_mode(sc, u_codes[order], ng), u_labels),
            "users": _per_group_distinct(sc, u_codes[order], ng),
            "start": pd.to_datetime(start, unit="ns", utc=True),
            "end": pd.to_datetime(end, unit="ns", utc=True),
            "duration": span,
            "events": count,
            "pages": pages,
            "targets": _per_group_distinct(sc, tg_codes[order], ng),
            "active_time": pd.to_timedelta(active, unit="ns"),
            "idle_time": idle_td,
            "idle_share": share.astype(float),
            "actions": actions,
            "bounce": (pages <= 1) & (actions <= bounce_actions),
            "entry_page": _cat(entry, p_labels),
            "exit_page": _cat(exit_, p_labels),
            "first_type": _cat(ty_codes[first_rows], ty_labels),
            "first_target": _cat(tg_codes[first_rows], tg_labels),
            "last_type": _cat(ty_codes[last_rows], ty_labels),
            "last_target": _cat(tg_codes[last_rows], tg_labels),
            "logged_session": logged,
        },
        index=pd.Index(np.asarray(labels, dtype=object), name="session", dtype=categories([]).dtype),
    )
    table = table.sort_index(kind="stable")
    table.attrs["distill_kind"] = "sessions"
    table.attrs["distill_meta"] = {"idle_seconds": idle_ns / 1e9, "bounce_actions": int(bounce_actions)}
    return table


def session_events(events: pd.DataFrame, session_id: Any, *, session: str = "session") -> pd.DataFrame:
    """The events of one session, as an event frame (time order, fresh RangeIndex).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame (sessionised or not).
    session_id : str
        The session's id in column ``session``.
    session : str
        Column holding the session id.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``events`` is not changed.

    Raises
    ------
    ValueError
        If no event has that id (naming it and some ids that exist).

    Examples
    --------
    >>> import distill
    >>> len(session_events(distill.datasets.load_sample(), "session_1796412510818"))
    119
    """
    require(events, [session], what="session_events")
    col = events[session]
    keep = (col == session_id).to_numpy(dtype=bool, na_value=False)
    if not keep.any():
        known = pd.unique(col.dropna().astype(str))
        shown = ", ".join(repr(k) for k in sorted(known)[:5])
        more = f" (and {len(known) - 5} more)" if len(known) > 5 else ""
        raise ValueError(
            f"no session {session_id!r} in column {session!r}; {len(known)} session(s) exist: {shown}{more}"
        )
    out = events.loc[keep].reset_index(drop=True)
    out.attrs = dict(events.attrs)
    return out


# -- tabs -----------------------------------------------------------------------------------------
_RE_ID = r'(?:^\{|,)"id":(-?\d+)'
_RE_URL = r'(?:^\{|,)"url":"((?:[^"\\]|\\.)*)"'
_RE_ACTIVE = r'(?:^\{|,)"active":(true|false)'


def _json_text(values: pd.Series) -> pd.Series:
    """Unescape JSON string bodies, once per distinct value."""
    import json

    cat = values.astype("category")
    decoded = [json.loads('"' + str(c) + '"') for c in cat.cat.categories]
    return pd.Series(
        pd.Categorical.from_codes(cat.cat.codes, categories=pd.Index(decoded).unique()), index=values.index
    )


def tabs(
    events: pd.DataFrame,
    *,
    tab: str = "tab",
    session: str = "session",
    user: str = "user",
    context: str = "browser_session",
    page: str = "page_url",
) -> pd.DataFrame:
    """Attribute events to browser tabs, where the logs allow it.

    The UserALE browser extension logs ``tabs.onActivated``,
    ``tabs.onUpdated``, ``tabs.onZoomChange``, ... (custom logs, from its
    background page) whose ``details`` hold the Chrome tab (``id``, ``url``,
    ``active``), some with a top-level ``tabId`` (the ``tab`` column). Page
    events themselves carry no tab id. This function fills the ``tab`` column:

    1. ``"logged"``: the event carries a tab id (``tab`` column, or the tab
       object in the details of a ``tabs.*`` log);
    2. ``"active"``: otherwise, the tab that was active (last ``tabs.*`` log
       with ``active: true``, of the same user and ``browser_session``) when
       the event happened, *if* that tab showed the event's page
       (:func:`~distill.frame.page_key` of both URLs agree);
    3. ``"session"``: otherwise, the tab most of the logged session's other
       attributed events were given (UserALE keeps its session id per tab in
       ``sessionStorage``, so a logged session lives in one tab).

    What it cannot infer (left missing, or approximate):

    - events of a logged session none of whose events matched an active tab,
      for example pages seen before the extension's first tab log, or the
      extension's own pages (they never appear as a tab's URL);
    - the background page's own events other than ``tabs.*`` logs;
    - with several browser windows, which window's active tab an event
      belongs to: the latest activation in any window wins, and rule 3 then
      repairs what it can;
    - a session copied into a new tab (browsers duplicate ``sessionStorage``
      when a page opens a tab): all its unmatched events get its majority tab.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    tab, session, user, context, page : str
        Columns holding the tab id (optional), the logged session, the user,
        the browser session (optional; narrows the active-tab timeline) and
        the page address.

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` with ``tab`` (categorical tab ids, missing where
        unknown) and ``tab_source`` (``"logged"``, ``"active"``,
        ``"session"`` or missing) after it.

    Examples
    --------
    >>> import distill
    >>> sample = distill.datasets.load_sample()  # a web page, no extension logs
    >>> int(tabs(sample)["tab"].notna().sum())
    0
    """
    require(events, ["time", "type", "details", session, user, page], what="tabs")
    n = len(events)
    t = _time_ns(events)
    ty_codes, ty_labels = _codes(events["type"])
    tab_types = np.array([str(x).startswith(_TAB_LOG_PREFIX) for x in ty_labels], dtype=bool)
    is_tablog = (ty_codes >= 0) & np.append(tab_types, False)[ty_codes]

    tab_val = np.full(n, None, dtype=object)
    if tab in events.columns:
        have = events[tab].notna().to_numpy()
        tab_val[have] = events[tab][have].astype(str).to_numpy(dtype=object)
    source = np.full(n, None, dtype=object)
    source[~pd.isna(tab_val)] = "logged"

    rows = np.flatnonzero(is_tablog)
    url_of = pd.Series(dtype=object)
    active_rows = np.zeros(0, dtype=np.int64)
    if len(rows):
        det = events["details"].iloc[rows].astype(object).astype(str)
        ids = det.str.extract(_RE_ID, expand=False)
        missing = pd.isna(tab_val[rows]) & ids.notna().to_numpy()
        tab_val[rows[missing]] = ids.to_numpy(dtype=object)[missing]
        source[rows[missing]] = "logged"
        urls = det.str.extract(_RE_URL, expand=False)
        active = det.str.extract(_RE_ACTIVE, expand=False).to_numpy(dtype=object) == "true"
        ok = active & urls.notna().to_numpy() & ~pd.isna(tab_val[rows])
        active_rows = rows[ok]
        url_of = _json_text(urls[ok]).astype(object)

    unknown = pd.isna(tab_val) & ~is_tablog & events[page].notna().to_numpy()
    if len(active_rows) and unknown.any():
        ctx_cols = [user] + ([context] if context in events.columns else [])
        ctx = events[ctx_cols].astype(object).fillna("\0").groupby(ctx_cols, sort=True).ngroup().to_numpy()
        timeline = pd.DataFrame(
            {"t": t[active_rows], "ctx": ctx[active_rows], "tab": tab_val[active_rows], "url": url_of.to_numpy()}
        )
        timeline["page"] = page_key(timeline, column="url").astype(object).to_numpy()
        cand = np.flatnonzero(unknown)
        left = pd.DataFrame({"t": t[cand], "ctx": ctx[cand], "row": cand})
        left["page"] = page_key(events.iloc[cand], column=page).astype(object).to_numpy()
        left = left.sort_values("t", kind="stable")
        timeline = timeline.sort_values("t", kind="stable")
        hit = pd.merge_asof(left, timeline, on="t", by="ctx", direction="backward", suffixes=("", "_tab"))
        match = hit["tab"].notna() & (hit["page"] == hit["page_tab"])
        rows_m = hit.loc[match, "row"].to_numpy()
        tab_val[rows_m] = hit.loc[match, "tab"].to_numpy(dtype=object)
        source[rows_m] = "active"

    s_codes, _ = _codes(events[session])
    evidence = ~pd.isna(tab_val) & ~is_tablog & (s_codes >= 0)
    if evidence.any():
        t_codes, t_labels = _codes(pd.Series(tab_val))
        mode = _per_group_mode(s_codes[evidence], t_codes[evidence], int(s_codes.max()) + 1)
        fill = pd.isna(tab_val) & ~is_tablog & (s_codes >= 0)
        fill &= mode[np.clip(s_codes, 0, None)] >= 0
        tab_val[fill] = t_labels[mode[s_codes[fill]]]
        source[fill] = "session"

    out = events.copy(deep=False)
    known = pd.isna(tab_val)
    tab_cat = pd.Categorical(tab_val, categories=categories(np.sort(pd.unique(tab_val[~known]).astype(str))))
    src_cat = pd.Categorical(source, categories=categories(["active", "logged", "session"]))
    if tab in out.columns:
        out[tab] = tab_cat
        if "tab_source" in out.columns:
            out["tab_source"] = src_cat
        else:
            out.insert(out.columns.get_loc(tab) + 1, "tab_source", src_cat)
    else:
        out[tab] = tab_cat
        out["tab_source"] = src_cat
    return out
