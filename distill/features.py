"""Primitive features: node keys, DOM roll-up, counts, within/between-user statistics.

The first step after sessions in the pipeline ``RAW DATA > QUERY > FILTER >
TRANSFORM > PRIMITIVE FEATURES > MODELS > DERIVED FEATURES``.

*Node keys* say what one step of a path is -- the element (``target``), the
page, the event type, ``"click input#q"`` (``type_target``), an ancestor
element (``path`` rolled up to a ``depth``) or any column. They are shared by
:mod:`distill.graphs`, :mod:`distill.paths` and everything built on them.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> node_key(events, "type_target").iloc[10]
'mouseover input#search'
>>> rollup(events, 4).value_counts().head(3).to_dict()
{'div#products': 1201, 'form#checkout-form': 1120, 'div#filters': 962}
>>> table = counts(events, "1min")
>>> int(table["total"].sum()) == len(events)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from distill.errors import DistillError
from distill.frame import categories, page_key, require

__all__ = [
    "NODE_KEYS",
    "node_key",
    "rollup",
    "counts",
    "within_users",
    "between_users",
    "interaction_probability",
    "session_features",
]

#: Node key specs with a meaning of their own; any other string names a column.
NODE_KEYS: tuple[str, ...] = ("target", "page", "type", "type_target", "path")

_STATS = ("count", "mean", "median", "mode", "variance", "min", "max", "range")


# -- node keys ---------------------------------------------------------------------------
def _codes_of(series: pd.Series, *, what: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and labels of any column, categorical or not."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), pd.Index(series.cat.categories)
    try:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    except TypeError as err:
        raise TypeError(f"{what}: values of column {series.name!r} cannot be used as keys ({err})") from None
    return np.asarray(codes), pd.Index(uniques)


def _factorize_paths(values: np.ndarray, column: str) -> tuple[np.ndarray, list[tuple[str, ...] | None]]:
    """Codes of distinct paths (shared tuples hash once per distinct value), -1 for none."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    out: list[tuple[str, ...] | None] = []
    for u in uniques:
        if isinstance(u, (tuple, list)):
            out.append(tuple(str(e) for e in u) if len(u) else None)
        else:
            raise TypeError(
                f"rollup: column {column!r} must hold tuples of selectors (target first), found {type(u).__name__} {u!r}"
            )
    return np.asarray(codes), out


def _recode(codes: np.ndarray, labels: list[Any]) -> tuple[np.ndarray, pd.Index]:
    """Map per-distinct-value labels (None = missing) through ``codes`` to sorted categories."""
    lab = pd.Series(labels, dtype=object)
    sub_codes, cats = pd.factorize(lab, sort=True, use_na_sentinel=True)
    table = np.append(np.asarray(sub_codes, dtype=np.int64), -1)  # code -1 -> last entry -> -1
    return table[codes], categories(cats)


def _rollup_codes(events: pd.DataFrame, depth: int, column: str, label: str) -> tuple[np.ndarray, pd.Index]:
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise ValueError(f"rollup: depth must be an integer >= 0 (levels below the root of path), got {depth!r}")
    if label not in ("element", "chain"):
        raise ValueError(f"rollup: label must be 'element' or 'chain', got {label!r}")
    require(events, [column], what="rollup")
    codes, uniques = _factorize_paths(events[column].to_numpy(dtype=object), column)
    labels: list[str | None] = []
    for p in uniques:
        if p is None:
            labels.append(None)
            continue
        at = max(len(p) - 1 - int(depth), 0)  # an element shallower than depth stands for itself
        labels.append(p[at] if label == "element" else " > ".join(reversed(p[at:])))
    return _recode(codes, labels)


def rollup(events: pd.DataFrame, depth: int, *, column: str = "path", label: str = "element") -> pd.Series:
    """DOM roll-up: the ancestor element of each event at ``depth`` levels below the root of its path.

    UserALE's ``path`` lists the DOM ancestors target first, so its root is
    the last entry (``Window``, then ``#document``, ``html``, ``body``, ...).
    ``depth=0`` is the root, ``depth=3`` usually ``body``; an event whose
    element is shallower than ``depth`` stands for itself. Aggregating by the
    result groups every event inside an element (a form, a panel) together.
    Computed once per distinct path, then mapped through codes.

    Parameters
    ----------
    events : pandas.DataFrame
        Frame with a path column (tuples of selectors, target first).
    depth : int
        Levels below the root, 0 or more.
    column : str
        The path column.
    label : {"element", "chain"}
        ``element``: the ancestor's selector (``"div#filters"``; elements with
        the same selector in different places share it). ``chain``: the
        selectors from the root down to the ancestor joined by ``" > "``,
        which keeps such elements apart.

    Returns
    -------
    pandas.Series
        Categorical (sorted categories), aligned with ``events``, named
        ``"rollup"``; missing where the event has no path.

    Raises
    ------
    ValueError
        A negative or non-integer depth, an unknown label.
    TypeError
        Path values that are not tuples.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> events["path"].iloc[10]
    ('input#search', 'div#filters', 'body', 'html', '#document', 'Window')
    >>> rollup(events, 4).iloc[10], rollup(events, 3).iloc[10], rollup(events, 9).iloc[10]
    ('div#filters', 'body', 'input#search')
    >>> rollup(events, 4, label="chain").iloc[10]
    'Window > #document > html > body > div#filters'
    """
    codes, cats = _rollup_codes(events, depth, column, label)
    return pd.Series(pd.Categorical.from_codes(codes, categories=cats), index=events.index, name="rollup")


def _type_target_codes(events: pd.DataFrame, column: str | None) -> tuple[np.ndarray, pd.Index]:
    target_col = column or "target"
    require(events, ["type", target_col], what="node_key(by='type_target')")
    t_codes, t_labels = _codes_of(events["type"], what="node_key")
    g_codes, g_labels = _codes_of(events[target_col], what="node_key")
    width = len(g_labels) + 1
    size = len(t_labels) * width
    dt = np.int32 if size < np.iinfo(np.int32).max else np.int64
    combined = t_codes.astype(dt) * dt(width)
    combined += g_codes
    combined += 1
    has_type = t_codes >= 0
    if size <= (1 << 24):  # dense: which (type, target) pairs occur, by counting
        seen = np.bincount(combined[has_type], minlength=size) > 0 if len(combined) else np.zeros(size, bool)
        uniques = np.flatnonzero(seen)
        table = np.full(size + 1, -1, dtype=np.int64)
        table[uniques] = np.arange(len(uniques))
        codes = table[np.where(has_type, combined, size)]
    else:
        fact, uniq = pd.factorize(np.where(has_type, combined, -1))
        codes, uniques = np.asarray(fact), np.asarray(uniq)
    t_str = [str(v) for v in t_labels]
    g_str = [str(v) for v in g_labels]
    labels: list[str | None] = []
    for u in np.asarray(uniques).tolist():
        if u < 0:
            labels.append(None)  # no type: no node
            continue
        t, g = divmod(u, width)
        labels.append(t_str[t] if g == 0 else f"{t_str[t]} {g_str[g - 1]}")
    return _recode(np.asarray(codes), labels)


def _spec(by: Any, depth: int | None) -> tuple[Any, int | None]:
    """``("path", d)`` as ``("path", d)`` spelled ``by="path", depth=d``."""
    if isinstance(by, tuple) and len(by) == 2 and by[0] == "path":
        if depth is not None and depth != by[1]:
            raise ValueError(f"node_key: by={by!r} and depth={depth!r} disagree")
        return "path", by[1]
    return by, depth


def _node_codes(
    events: pd.DataFrame, by: Any = "target", depth: int | None = None, column: str | None = None
) -> tuple[np.ndarray, pd.Index, str]:
    """Integer node codes (-1 = no node), their labels, and a name for the spec."""
    if isinstance(by, pd.Series):
        if len(by) != len(events) or not by.index.equals(events.index):
            raise ValueError("node_key: a Series given as `by` must be aligned with the events (same index)")
        codes, labels = _codes_of(by, what="node_key")
        return codes, labels, str(by.name or "node")
    by, depth = _spec(by, depth)
    if not isinstance(by, str):
        raise TypeError(f"node_key: by must be a node key name {NODE_KEYS}, a column name or a Series, got {by!r}")
    if depth is not None and by != "path":
        raise ValueError(f"node_key: depth is for by='path' (DOM roll-up), not by={by!r}")
    if by == "path":
        if depth is None:
            raise ValueError("node_key: by='path' needs depth=<levels below the root> (DOM roll-up)")
        codes, labels = _rollup_codes(events, depth, column or "path", "element")
        return codes, labels, f"path@{depth}"
    if by == "page":
        page = page_key(events, column=column or "page_url")
        return page.cat.codes.to_numpy(), pd.Index(page.cat.categories), "page"
    if by == "type_target":
        codes, labels = _type_target_codes(events, column)
        return codes, labels, "type_target"
    name = column if (by in ("target", "type") and column) else by
    require(events, [name], what=f"node_key(by={by!r})")
    codes, labels = _codes_of(events[name], what="node_key")
    return codes, labels, by


def node_key(
    events: pd.DataFrame, by: Any = "target", *, depth: int | None = None, column: str | None = None
) -> pd.Series:
    """What one node (step) of a path is, for every event.

    Shared by click-path graphs, funnels, path analysis and the panels, so
    they all agree on what a node is.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    by : str or pandas.Series
        ``"target"`` (the element's selector), ``"page"`` (the page URL without
        query string, :func:`distill.frame.page_key`), ``"type"``,
        ``"type_target"`` (``"click input#q"``; events without a target are
        their type alone, e.g. ``"load"``), ``"path"`` with ``depth`` (the
        ancestor element at that depth, :func:`rollup`), any other column
        name, or a Series aligned with ``events``. ``("path", depth)`` is
        the same as ``by="path", depth=depth`` (handy where ``depth`` means
        something else, as in :func:`distill.paths.flows`).
    depth : int, optional
        Roll-up depth for ``by="path"``.
    column : str, optional
        The source column where it is not the canonical one (``page_url`` for
        ``page``, ``path`` for ``path``, ``target`` for ``target`` and
        ``type_target``, ``type`` for ``type``).

    Returns
    -------
    pandas.Series
        Categorical, aligned with ``events``, named ``"node"``; missing where an
        event has no node (no target, no path, ...). Computed on categories or
        distinct paths, then mapped through codes.

    Raises
    ------
    FrameError
        A column the spec needs is missing.
    ValueError
        ``by="path"`` without ``depth``, ``depth`` with another spec.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> node_key(events, "page").iloc[0]
    'http://127.0.0.1:8765/index.html'
    >>> node_key(events, "type_target").iloc[0], node_key(events, "type_target").iloc[10]
    ('load', 'mouseover input#search')
    >>> node_key(events, "path", depth=3).iloc[10], node_key(events, ("path", 4)).iloc[10]
    ('body', 'div#filters')
    """
    codes, labels, _ = _node_codes(events, by, depth, column)
    cat = pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=labels)
    return pd.Series(cat, index=events.index, name="node")


# -- counts and statistics -------------------------------------------------------------------
def _every(every: Any, what: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(every)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what}: every must be a time span such as '1min' or '30s', got {every!r} ({err})") from None
    if pd.isna(step) or step <= pd.Timedelta(0):
        raise ValueError(f"{what}: every must be a positive time span, got {every!r}")
    return step


def counts(
    events: pd.DataFrame,
    every: Any = "1min",
    *,
    by: str = "user",
    column: str | None = "type",
    fill: bool = False,
) -> pd.DataFrame:
    """Events per user (or other group) per time bin, one column per value of ``column``.

    The within-user view of activity: each user's counts over time. Bins are
    absolute (``time`` floored to ``every``, UTC).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    every : str or timedelta
        Bin width (``"1min"``, ``"30s"``, ``pd.Timedelta(...)``).
    by : str
        Group column. Events whose group is missing form a group of their own
        (missing label), so every event is counted.
    column : str or None
        Column whose values become count columns (``type`` by default); None
        for ``total`` only.
    fill : bool
        Also give the empty bins between each group's first and last bin (zero
        counts); by default only bins with events.

    Returns
    -------
    pandas.DataFrame
        Index ``(by, "time")`` (bin start), one int column per observed value
        of ``column`` and ``total`` (all events in the bin, including those
        with no value in ``column``). ``attrs["distill_kind"] == "features"``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> table = counts(events, "1min")
    >>> table.loc[("alice", "2026-12-04 19:29:00+00:00"), ["click", "blur", "total"]].tolist()
    [26, 24, 331]
    >>> int(table["total"].sum())
    4863
    """
    step = _every(every, "counts")
    require(events, ["time", by] + ([column] if column else []), what="counts")
    bins = events["time"].dt.floor(step)
    group = events[by]
    frame = pd.DataFrame({by: group.to_numpy(), "time": bins.to_numpy()}, index=events.index)
    frame[by] = group.values  # keep categorical dtype
    total = frame.groupby([by, "time"], observed=True, dropna=False, sort=True).size().rename("total")
    missing = 0
    if column:
        frame["_value"] = events[column].values
        missing = int(frame["_value"].isna().sum())
        wide = (
            frame.dropna(subset=["_value"])
            .groupby([by, "time", "_value"], observed=True, dropna=False, sort=True)
            .size()
            .unstack("_value", fill_value=0)
        )
        wide.columns = pd.Index([str(c) for c in wide.columns], name=None)
        out = wide.reindex(total.index, fill_value=0)
        out["total"] = total
    else:
        out = total.to_frame()
    out = out.astype(np.int64)
    if fill and len(out):
        pieces = []
        for key, part in out.groupby(level=0, observed=True, dropna=False, sort=False):
            times = part.index.get_level_values(1)
            full = pd.date_range(times.min(), times.max(), freq=step)
            idx = pd.MultiIndex.from_arrays([pd.Index([key] * len(full)), full])
            pieces.append(part.droplevel(0).reindex(full, fill_value=0).set_axis(idx))
        out = pd.concat(pieces)
        level0 = out.index.get_level_values(0)
        if isinstance(group.dtype, pd.CategoricalDtype):
            level0 = pd.CategoricalIndex(level0, categories=group.cat.categories)
        out.index = pd.MultiIndex.from_arrays([level0, out.index.get_level_values(1)], names=[by, "time"])
        out = out.sort_index()
    out.index = out.index.set_names([by, "time"])
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {
        "every_seconds": step.total_seconds(),
        "by": by,
        "column": column,
        "fill": fill,
        "events": len(events),
        "without_value": missing,
    }
    return out


def _mode(values: pd.Series) -> Any:
    m = values.dropna().mode()
    return m.iloc[0] if len(m) else np.nan


def _describe(frame: pd.DataFrame) -> pd.DataFrame:
    """count/mean/median/mode/variance/min/max/range of every column (rows: columns of ``frame``)."""
    num = frame.astype(float)
    out = pd.DataFrame(
        {
            "count": num.count(),
            "mean": num.mean(),
            "median": num.median(),
            "mode": pd.Series({c: _mode(num[c]) for c in num.columns}, dtype=float),
            "variance": num.var(ddof=1),
            "min": num.min(),
            "max": num.max(),
        },
        index=pd.Index([str(c) for c in num.columns], name="feature"),
    )
    out["range"] = out["max"] - out["min"]
    out["count"] = out["count"].astype(np.int64)
    return out


def _as_counts(data: pd.DataFrame, by: str, every: Any, column: str | None, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what}: expected a counts table or an event frame, got {type(data).__name__}")
    if isinstance(data.index, pd.MultiIndex) and by in data.index.names:
        return data
    return counts(data, every, by=by, column=column)


def within_users(
    data: pd.DataFrame, *, by: str = "user", every: Any = "1min", column: str | None = "type"
) -> pd.DataFrame:
    """Per-user statistics of each feature over that user's time bins.

    Parameters
    ----------
    data : pandas.DataFrame
        A :func:`counts` table (index ``(by, time)``), or an event frame (then
        ``counts(data, every, by=by, column=column)`` is used).
    by, every, column
        See :func:`counts`.

    Returns
    -------
    pandas.DataFrame
        Index ``(by, "feature")``; columns ``count`` (bins), ``mean``,
        ``median``, ``mode`` (smallest of tied modes), ``variance`` (sample,
        NaN for one bin), ``min``, ``max``, ``range``. Kind ``features``.

    Examples
    --------
    >>> import distill
    >>> stats = within_users(distill.datasets.load_sample())
    >>> stats.loc[("alice", "total"), ["count", "min", "max"]].tolist()
    [3.0, 117.0, 331.0]
    """
    table = _as_counts(data, by, every, column, "within_users")
    parts = {}
    for key, part in table.groupby(level=by, observed=True, dropna=False, sort=True):
        parts[key] = _describe(part.reset_index(drop=True))
    if parts:
        out = pd.concat(parts, names=[by, "feature"])
    else:
        out = pd.DataFrame(
            columns=list(_STATS), index=pd.MultiIndex.from_arrays([[], []], names=[by, "feature"]), dtype=float
        )
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {"by": by, "statistic": "within", **table.attrs.get("distill_meta", {})}
    return out


def between_users(
    data: pd.DataFrame,
    *,
    by: str = "user",
    agg: str = "sum",
    every: Any = "1min",
    column: str | None = "type",
) -> pd.DataFrame:
    """Between-user statistics of each feature: how users differ from one another.

    Each user's bins are first reduced to one value per feature (``agg``), then
    the statistics are taken across users.

    Parameters
    ----------
    data : pandas.DataFrame
        A :func:`counts` table (index ``(by, time)``) or an event frame.
    by : str
        The user (group) level.
    agg : {"sum", "mean", "median", "max"}
        One value per user and feature: total over the bins (default), or the
        mean/median/max per bin.
    every, column
        For an event frame, see :func:`counts`.

    Returns
    -------
    pandas.DataFrame
        Index ``feature`` (a column of the counts table); columns ``count``
        (users), ``mean``, ``median``, ``mode``, ``variance`` (sample), ``min``,
        ``max``, ``range``. Kind ``features``.

    Examples
    --------
    >>> import distill
    >>> stats = between_users(distill.datasets.load_sample())
    >>> stats.loc["total", ["count", "min", "max", "range"]].tolist()
    [8.0, 345.0, 815.0, 470.0]
    """
    if agg not in ("sum", "mean", "median", "max"):
        raise ValueError(f"between_users: agg must be 'sum', 'mean', 'median' or 'max', got {agg!r}")
    table = _as_counts(data, by, every, column, "between_users")
    per_user = table.groupby(level=by, observed=True, dropna=False, sort=True).agg(agg)
    out = _describe(per_user)
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {
        "by": by,
        "agg": agg,
        "statistic": "between",
        "groups": len(per_user),
        **table.attrs.get("distill_meta", {}),
    }
    return out


def interaction_probability(
    events: pd.DataFrame,
    by: Any = "target",
    *,
    per: str | None = "user",
    depth: int | None = None,
    column: str | None = None,
) -> pd.DataFrame:
    """How likely each user (or group) is to interact with each node: its share of their events.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    by : str or Series
        Node key spec (:func:`node_key`): ``"target"``, ``"page"``, ``"path"``
        with ``depth``, ...
    per : str or None
        Group column (``user`` by default; events with a missing group form a
        group of their own); None for one distribution over all events.
    depth, column
        See :func:`node_key`.

    Returns
    -------
    pandas.DataFrame
        Columns ``per`` (if given), ``node``, ``count``, ``probability``
        (``count`` over the group's events that have a node; sums to 1 in
        each group), sorted by group, then probability (highest first), then
        node. Events without a node are left out and counted in
        ``attrs["distill_meta"]["without_node"]``. Kind ``features``.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> p = interaction_probability(events, "page")
    >>> top = p[p["user"] == "alice"].iloc[0]
    >>> top["node"], int(top["count"])
    ('http://127.0.0.1:8765/catalog.html', 586)
    >>> float(p.groupby("user", observed=True)["probability"].sum().min().round(12))
    1.0
    """
    codes, labels, name = _node_codes(events, by, depth, column)
    if per is not None:
        require(events, [per], what="interaction_probability")
        g_codes, g_labels = _codes_of(events[per], what="interaction_probability")
    else:
        g_codes, g_labels = np.zeros(len(events), dtype=np.int64), pd.Index([None])
    has = codes >= 0
    k = len(labels)
    g = np.where(g_codes[has] >= 0, g_codes[has], len(g_labels)).astype(np.int64)  # missing group last
    pair = g * k + codes[has].astype(np.int64)
    uniq, cnt = np.unique(pair, return_counts=True)
    gu, nu = np.divmod(uniq, k) if k else (uniq, uniq)
    totals = np.bincount(gu, weights=cnt, minlength=len(g_labels) + 1)
    out = pd.DataFrame(
        {"node": pd.Categorical.from_codes(nu, categories=labels), "count": cnt.astype(np.int64)},
    )
    out["probability"] = cnt / totals[gu] if len(cnt) else np.array([], dtype=float)
    if per is not None:
        gl = pd.Categorical.from_codes(np.where(gu < len(g_labels), gu, -1), categories=categories(g_labels))
        out.insert(0, per, gl)
        order = np.lexsort((nu, -out["probability"].to_numpy(), gu))
    else:
        order = np.lexsort((nu, -out["probability"].to_numpy()))
    out = out.take(order).reset_index(drop=True)
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {
        "by": name,
        "per": per,
        "events": len(events),
        "without_node": int((~has).sum()),
    }
    return out


def _session_keys(events: pd.DataFrame, session: str, user: str) -> tuple[np.ndarray, list[str]]:
    """Session codes and labels as :func:`distill.sessions.session_table` names them.

    Events without a session are grouped per user under ``"<user>:(no session)"``.
    """
    from distill.sessions import NO_SESSION, NO_USER

    s_codes, s_labels = _codes_of(events[session], what="session_features")
    labels = [str(v) for v in s_labels]
    codes = s_codes.astype(np.int64)
    null = codes < 0
    if null.any():
        u_codes, u_labels = _codes_of(events[user], what="session_features")
        u = u_codes[null]
        codes[null] = len(labels) + np.where(u >= 0, u, len(u_labels))
        labels += [f"{v}:{NO_SESSION}" for v in u_labels] + [f"{NO_USER}:{NO_SESSION}"]
    return codes, labels


def session_features(
    events: pd.DataFrame,
    *,
    session: str = "session",
    user: str = "user",
    idle: Any = "30s",
    bounce_actions: int = 1,
) -> pd.DataFrame:
    """Per-session features: the session table plus activity mix, dwell and rate.

    Built on :func:`distill.sessions.session_table` (user, start, end,
    duration, events, pages, targets, active and idle time, idle share,
    actions, bounce, entry/exit page, first/last event), with these columns
    added:

    - ``types``: distinct event types;
    - ``clicks``, ``form_inputs`` (``input`` and ``change``), ``keys``
      (``keydown``): raw events of those types (interval and custom logs
      repeat raw ones and are not counted);
    - ``dwell``: total time of the session's UserALE interval logs
      (``end_time - time``; intervals with a negative duration, a known
      UserALE defect, count as zero and are counted in
      ``attrs["distill_meta"]["negative_intervals"]``);
    - ``rate``: events per minute of duration (NaN for a zero duration).

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame, sessionised or not (events without a session are
        grouped per user, as the session table does).
    session, user : str
        Columns holding the session id and the user.
    idle, bounce_actions
        Passed to :func:`distill.sessions.session_table`.

    Returns
    -------
    pandas.DataFrame
        Index ``session``; kind ``features``.

    Examples
    --------
    >>> import distill
    >>> f = session_features(distill.datasets.load_sample())
    >>> row = f.loc["session_1796412510818"]
    >>> int(row["events"]), int(row["types"]), int(row["clicks"]), round(row["dwell"].total_seconds(), 1)
    (119, 11, 5, 6.6)
    """
    from distill.sessions import session_table

    require(events, ["time", "type", session, user], what="session_features")
    table = session_table(events, session=session, user=user, idle=idle, bounce_actions=bounce_actions)
    codes, labels = _session_keys(events, session, user)
    ng = len(labels)
    t_codes, t_labels = _codes_of(events["type"], what="session_features")
    raw = np.ones(len(events), dtype=bool)
    if "log_type" in events.columns:
        lt = events["log_type"]
        raw = (lt.isna() | (lt.astype(object) == "raw")).to_numpy(dtype=bool)

    def _typed(*names: str) -> np.ndarray:
        want = np.isin(np.asarray(t_labels, dtype=object), list(names))
        hit = np.append(want, False)[t_codes] & raw
        return np.bincount(codes, weights=hit, minlength=ng).astype(np.int64)

    types = np.zeros(ng, dtype=np.int64)
    ok = t_codes >= 0
    if ok.any():
        pairs = np.unique(codes[ok] * (len(t_labels) + 1) + t_codes[ok])
        types = np.bincount(pairs // (len(t_labels) + 1), minlength=ng).astype(np.int64)
    negative = 0
    dwell_ns: np.ndarray = np.zeros(ng)
    if "end_time" in events.columns:
        end = events["end_time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        start = events["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        has = end != np.iinfo(np.int64).min
        span = np.where(has, end - start, 0)
        negative = int((span < 0).sum())
        dwell_ns = np.bincount(codes, weights=np.maximum(span, 0), minlength=ng)
    mine = pd.DataFrame(
        {
            "types": types,
            "clicks": _typed("click"),
            "form_inputs": _typed("input", "change"),
            "keys": _typed("keydown"),
            "dwell": pd.to_timedelta(np.round(dwell_ns).astype(np.int64), unit="ns"),
        },
        index=pd.Index(labels, name="session", dtype=table.index.dtype),
    )
    missing = table.index.difference(mine.index)
    if len(missing):  # pragma: no cover - guards the contract with distill.sessions
        raise DistillError(f"session_features: session_table has sessions not found in the events: {list(missing[:3])}")
    out = table.join(mine, how="left")
    minutes = out["duration"].dt.total_seconds() / 60.0
    out["rate"] = (out["events"] / minutes.where(minutes > 0)).astype(float)
    out.attrs["distill_kind"] = "features"
    out.attrs["distill_meta"] = {
        **table.attrs.get("distill_meta", {}),
        "session": session,
        "events": len(events),
        "negative_intervals": negative,
    }
    return out
