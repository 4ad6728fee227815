"""Redaction: remove what users typed, so an analysis can be shared.

UserALE logs can carry what people typed: ``change`` (and in some versions
``input``) events hold the field's value in ``details`` (``{"value":"hunter2"}``
on ``input#password``), ``keydown`` events hold every key pressed
(``{"key":"h","code":"KeyH",...}``), and pages submitted with GET forms carry
the form's values in their address (``catalog.html?u=erin&pw=...``), which
then reappears as the next page's referrer. Applications may echo typed text
into their own custom logs (a search box's query in ``filterApplied``).

:func:`redact` removes all of that. Its defaults are meant to be safe for
sharing: every typed value of every field is masked, not only passwords.

What it does, in order:

1. **typed values**: for events of the typed types (:data:`TYPED_TYPES`:
   change, input, keydown, keyup, keypress, paste, ...) on the chosen fields,
   the ``details`` keys holding typed text (:data:`TYPED_KEYS`: value, key,
   code, keyCode, charCode, which, data, text) are masked (``"***"``) or
   dropped. Fields: all of them (``fields=None``), only password-like ones
   (``fields="passwords"``), or password-like ones plus those matched by
   rules. A field is *password-like* when its target selector matches one of
   ``rules`` (default :data:`PASSWORD_RULES`: the selector contains
   ``pass``, ``pwd``, ``secret`` or ``token``, any case, which covers
   ``input#password`` and ``input[type=password]``), or when the frame has an
   ``attributes`` column (a schema mapping UserALE's ``attributes``) saying
   ``"type":"password"``. Password-like fields are always redacted.
2. **addresses** (``urls``): the query string and fragment values of
   ``page_url`` and ``page_referrer`` are masked (``?u=***&pw=``; empty values
   stay empty, keys stay) or the whole query string and fragment are
   stripped (``urls="strip"``).
3. **echoes** (``echoes``): every typed value (and address value) of at
   least ``min_echo`` characters that was removed is also masked wherever it
   reappears inside the text values of other events' ``details`` (and
   ``extra``) and in ``page_title``.

The history entry (:func:`distill.filters.history`) counts what was
redacted: events and values by type and by field, address changes, echoes,
and which fields were taken as password fields. It never holds the values.

Examples
--------
>>> import distill
>>> events = distill.datasets.load_sample()
>>> safe = redact(events)
>>> "hunter2" in distill.to_json(safe)
False
>>> step = distill.filters.history(safe)[-1]
>>> step["events_redacted"], step["password_fields"]
(517, ['input#password'])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_plus

import msgspec
import numpy as np
import pandas as pd

from distill import _select
from distill.frame import categories, require

__all__ = ["TYPED_TYPES", "TYPED_KEYS", "PASSWORD_RULES", "redact", "mask_url"]

#: Event types whose details can hold what was typed.
TYPED_TYPES: tuple[str, ...] = (
    "change",
    "input",
    "beforeinput",
    "textInput",
    "keydown",
    "keyup",
    "keypress",
    "paste",
    "compositionend",
)
#: ``details`` keys that hold typed text (or the key pressed).
TYPED_KEYS: tuple[str, ...] = ("value", "key", "code", "keyCode", "charCode", "which", "data", "text")
#: Keys whose removed values are also searched for elsewhere (``echoes``).
_ECHO_KEYS = ("value", "data", "text")
#: Rules that mark a field as password-like (matched against its target selector).
PASSWORD_RULES: tuple[str, ...] = (r"^.*(?i:pass|pwd|secret|token)",)

_MODES = ("mask", "drop")
_URL_MODES = (True, False, "mask", "strip")
_URL_COLUMNS = ("page_url", "page_referrer")
_ECHO_COLUMNS = ("details", "extra")
_json_decoder = msgspec.json.Decoder()


def mask_url(url: str, *, mode: str = "mask", mask: str = "***") -> tuple[str, list[str]]:
    """Mask (or strip) the values in a URL's query string and fragment.

    Parameters
    ----------
    url : str
        The address.
    mode : {"mask", "strip"}
        Replace each non-empty value by ``mask`` (keys kept), or drop the
        query string and fragment.
    mask : str
        The replacement text.

    Returns
    -------
    (str, list of str)
        The new address and the (decoded) values removed.

    Examples
    --------
    >>> mask_url("http://h/catalog.html?u=erin&pw=")
    ('http://h/catalog.html?u=***&pw=', ['erin'])
    >>> mask_url("http://h/a?x=1#top", mode="strip")
    ('http://h/a', ['1'])
    """
    base, hash_, frag = url.partition("#")
    path, q, query = base.partition("?")
    removed: list[str] = []

    def params(text: str) -> str:
        parts = []
        for part in text.split("&"):
            key, eq, value = part.partition("=")
            if eq:
                if value:
                    removed.append(unquote_plus(value))
                    value = mask
                parts.append(f"{key}={value}")
            elif part:
                removed.append(unquote_plus(part))
                parts.append(mask)
            else:
                parts.append(part)
        return "&".join(parts)

    if mode == "strip":
        if query:
            params(query)
        if frag and "=" in frag:
            params(frag)
        return path, removed
    new = path + (q + params(query) if q else "")
    if hash_:
        new += hash_ + (params(frag) if "=" in frag else frag)
    return new, removed


def _is_password_field(compiled: list[_select.Rule]) -> Any:
    def test(value: str) -> bool:
        return _select.match_rules(value, compiled)[0]

    return test


def _field_masks(
    events: pd.DataFrame, fields: Any, rules: Any, column: str
) -> tuple[np.ndarray, np.ndarray, list[str], Any]:
    """(selected, password_like) per row, the password-like field names, and a description of ``fields``."""
    n = len(events)
    pw_rules = _select.compile_rules(rules, name="redact: rules", labelled=False) if rules else []
    password = np.zeros(n, dtype=bool)
    names: list[str] = []
    if column in events.columns and pw_rules:
        hits, codes = _select.per_category(events[column], _is_password_field(pw_rules))
        hits = hits.astype(bool)
        password = np.where(codes >= 0, hits[np.clip(codes, 0, None)] if len(hits) else False, False)
    if "attributes" in events.columns:
        attr_hits, codes = _select.per_category(
            events["attributes"], lambda v: bool(re.search(r'"type"\s*:\s*"password"', v, re.IGNORECASE))
        )
        attr_hits = attr_hits.astype(bool)
        password |= np.where(codes >= 0, attr_hits[np.clip(codes, 0, None)] if len(attr_hits) else False, False)
    if column in events.columns and password.any():
        names = sorted({str(v) for v in events[column][password].dropna().unique()})
    if fields is None:
        return np.ones(n, dtype=bool), password, names, "all"
    if isinstance(fields, str) and fields == "passwords":
        return password.copy(), password, names, "passwords"
    if column not in events.columns:
        raise ValueError(f"redact: fields rules need the column {column!r}, which the frame does not have")
    compiled = _select.compile_rules(fields, name="redact: fields", labelled=False)
    hits, codes = _select.per_category(events[column], _is_password_field(compiled))
    hits = hits.astype(bool)
    chosen = np.where(codes >= 0, hits[np.clip(codes, 0, None)] if len(hits) else False, False)
    described = [
        r.pattern if isinstance(r, re.Pattern) else (r if isinstance(r, str) else "callable")
        for r in ([fields] if isinstance(fields, (str, re.Pattern)) or callable(fields) else list(fields))
    ]
    return chosen | password, password, names, described


def _redact_details(text: str, keys: Sequence[str], mode: str, mask: str) -> tuple[str, int, list[str]]:
    """(new text, number of keys redacted, removed text values for echo search)."""
    try:
        obj = _json_decoder.decode(text)
    except msgspec.DecodeError:
        return text, 0, []
    if not isinstance(obj, dict):
        return text, 0, []
    hit = [k for k in keys if k in obj]
    if not hit:
        return text, 0, []
    removed = [obj[k] for k in hit if k in _ECHO_KEYS and isinstance(obj[k], str)]
    for k in hit:
        if mode == "drop":
            del obj[k]
        else:
            obj[k] = mask
    return msgspec.json.encode(obj).decode("utf-8"), len(hit), removed


def _echo_json(text: str, pattern: re.Pattern[str], mask: str) -> str:
    try:
        obj = _json_decoder.decode(text)
    except msgspec.DecodeError:
        return pattern.sub(mask, text)
    changed = [False]

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            new = pattern.sub(mask, value)
            if new != value:
                changed[0] = True
            return new
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    new_obj = walk(obj)
    return msgspec.json.encode(new_obj).decode("utf-8") if changed[0] else text


def _replace_text(series: pd.Series, rows: np.ndarray, func: Any) -> tuple[pd.Series, np.ndarray]:
    """Apply ``func`` once per distinct value of ``series`` at ``rows``; return the new series and changed rows.

    The column is factorised once; the new column is a take from the distinct
    values (old and new), so the cost does not depend on how many rows change.
    """
    changed = np.zeros(len(series), dtype=bool)
    if not rows.any():
        return series, changed
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    sel = rows & (codes >= 0)
    used = np.flatnonzero(np.bincount(codes[sel], minlength=len(uniques))) if sel.any() else np.zeros(0, np.int64)
    old = [str(uniques[i]) for i in used.tolist()]
    new = [func(v) for v in old]
    differs = np.array([a != b for a, b in zip(old, new)], dtype=bool)
    if not differs.any():
        return series, changed
    slot = np.full(len(uniques), -1, dtype=np.int64)
    slot[used[differs]] = len(uniques) + np.arange(int(differs.sum()))
    remap = np.where(codes >= 0, slot[np.clip(codes, 0, None)], -1)
    hit = sel & (remap >= 0)
    final = np.where(hit, remap, codes)
    changed[hit] = True
    dictionary = [str(u) for u in uniques] + [v for v, d in zip(new, differs) if d]
    return pd.Series(_take_text(dictionary, final, series.dtype), index=series.index, name=series.name), changed


def _take_text(dictionary: list[str], codes: np.ndarray, dtype: Any) -> Any:
    """An array of ``dtype`` holding ``dictionary[code]`` (missing where code is -1)."""
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        taken = pa.array(dictionary, type=pa.large_string()).take(pa.array(codes, mask=codes < 0))
        return pd.array(taken, dtype=dtype)
    values = np.array([*dictionary, None], dtype=object)[np.where(codes < 0, len(dictionary), codes)]
    return pd.array(values, dtype=dtype)


def _replace_categories(series: pd.Series, func: Any) -> tuple[pd.Series, np.ndarray]:
    """Apply ``func`` once per category of a categorical (or distinct value otherwise)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return _replace_text(series, np.ones(len(series), dtype=bool), func)
    cats = [str(c) for c in series.cat.categories]
    new = [func(c) for c in cats]
    if new == cats:
        return series, np.zeros(len(series), dtype=bool)
    mapped = pd.Categorical(new)
    remap = mapped.codes.astype(np.int64)
    codes = series.cat.codes.to_numpy().astype(np.int64)
    new_codes = np.where(codes >= 0, remap[np.clip(codes, 0, None)] if len(remap) else -1, -1)
    diff_cat = np.array([a != b for a, b in zip(cats, new)], dtype=bool)
    changed = np.where(codes >= 0, diff_cat[np.clip(codes, 0, None)] if len(diff_cat) else False, False)
    out = pd.Categorical.from_codes(new_codes, categories=categories(mapped.categories))
    return pd.Series(out, index=series.index, name=series.name), changed


def redact(
    events: pd.DataFrame,
    *,
    fields: Any = None,
    mode: str = "mask",
    rules: Any = PASSWORD_RULES,
    types: str | Sequence[str] = TYPED_TYPES,
    keys: Sequence[str] = TYPED_KEYS,
    mask: str = "***",
    urls: bool | str = True,
    echoes: bool = True,
    min_echo: int = 4,
    column: str = "target",
) -> pd.DataFrame:
    """Mask or drop what users typed (values, keys, form values in addresses).

    See the module documentation for the three steps. The defaults are safe
    for sharing: every typed value is masked, addresses are masked, and echoes
    of typed values elsewhere are masked.

    Parameters
    ----------
    events : pandas.DataFrame
        An event frame.
    fields : None, "passwords", or rules
        Whose typed values to redact: None (default) every field; ``"passwords"``
        only password-like fields; or rules (a selector string matched exactly,
        a string starting with ``^`` or a compiled pattern searched, a
        callable ``f(target) -> bool``, or a list of these) naming fields to
        redact besides the password-like ones.
    mode : {"mask", "drop"}
        Replace typed values by ``mask``, or remove the keys from ``details``.
    rules : rules
        What makes a field password-like (default :data:`~distill.redact.PASSWORD_RULES`);
        ``()`` to rely on ``fields`` alone.
    types : str or sequence of str
        Event types that carry typed text (default :data:`~distill.redact.TYPED_TYPES`).
    keys : sequence of str
        ``details`` keys that hold typed text (default :data:`~distill.redact.TYPED_KEYS`).
    mask : str
        The replacement text (default ``"***"``).
    urls : bool or {"mask", "strip"}
        Mask the values in ``page_url``/``page_referrer`` query strings and
        fragments (True or ``"mask"``), strip query strings and fragments
        (``"strip"``), or leave addresses alone (False).
    echoes : bool
        Also mask removed values (of at least ``min_echo`` characters) where
        they reappear in other events' ``details``/``extra`` text values and
        in ``page_title``.
    min_echo : int
        Shortest value searched for as an echo.
    column : str
        The column naming the field (default ``"target"``).

    Returns
    -------
    pandas.DataFrame
        The same events (same rows, same order) with typed values removed.
        The history entry (:func:`distill.filters.history`) counts events and
        values redacted by type and field, address changes and echoes.

    Examples
    --------
    >>> import distill
    >>> events = distill.datasets.load_sample()
    >>> only = redact(events, fields="passwords", urls=False, echoes=False)
    >>> keys = only[only["type"] == "keydown"]
    >>> keys.loc[keys["target"] == "input#password", "details"].iloc[0]
    '{"key":"***","code":"***","ctrl":false,"alt":false,"shift":false,"meta":false}'
    >>> keys.loc[keys["target"] == "input#username", "details"].iloc[0]
    '{"key":"e","code":"KeyE","ctrl":false,"alt":false,"shift":false,"meta":false}'
    >>> redact(events, mode="drop")["details"][events["type"] == "change"].dropna().unique().tolist()
    ['{}']
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be 'mask' or 'drop'; got {mode!r}")
    if urls not in _URL_MODES:
        raise ValueError(f"urls must be True, False, 'mask' or 'strip'; got {urls!r}")
    if isinstance(min_echo, bool) or not isinstance(min_echo, int) or min_echo < 1:
        raise ValueError(f"min_echo must be a positive integer, got {min_echo!r}")
    if not isinstance(mask, str):
        raise TypeError(f"mask must be a string, got {mask!r}")
    require(events, [], what="redact")
    wanted_types = [types] if isinstance(types, str) else list(types)
    key_list = list(keys)
    n = len(events)
    out = events.copy(deep=False)
    selected, password, password_names, fields_desc = _field_masks(events, fields, rules, column)
    typed = _select._isin(events["type"], wanted_types) if "type" in events.columns else np.zeros(n, dtype=bool)
    rows = typed & selected
    removed_values: set[str] = set()
    hits_of: dict[str, int] = {}

    def redact_one(text: str) -> str:
        new, hits, removed = _redact_details(text, key_list, mode, mask)
        hits_of[text] = hits
        removed_values.update(removed)
        return new

    changed = np.zeros(n, dtype=bool)
    if "details" in events.columns and rows.any():
        out["details"], changed = _replace_text(events["details"], rows, redact_one)
    values_redacted = 0
    if changed.any():
        # values per changed event: each distinct text was handled once
        codes, uniques = pd.factorize(events["details"].to_numpy(dtype=object, na_value=None)[changed])
        per = np.array([hits_of[u] for u in uniques], dtype=np.int64)
        values_redacted = int(per[codes].sum())
    url_report: dict[str, int] = {}
    if urls and urls is not False:
        url_mode = "strip" if urls == "strip" else "mask"

        def url_one(text: str) -> str:
            new, removed = mask_url(text, mode=url_mode, mask=mask)
            removed_values.update(v for v in removed if v)
            return new

        for col in _URL_COLUMNS:
            if col in out.columns:
                out[col], ch = _replace_categories(out[col], url_one)
                url_report[col] = int(ch.sum())
    echo_events = 0
    echo_values = sorted({v for v in removed_values if len(v) >= min_echo and v != mask}, key=len, reverse=True)
    if echoes and echo_values:
        pattern = re.compile("|".join(re.escape(v) for v in echo_values))
        echoed = np.zeros(n, dtype=bool)
        for col in _ECHO_COLUMNS:
            if col in out.columns:
                out[col], ch = _replace_text(out[col], ~changed, lambda t: _echo_json(t, pattern, mask))
                echoed |= ch
        if "page_title" in out.columns:
            out["page_title"], ch = _replace_categories(out["page_title"], lambda t: pattern.sub(mask, t))
            echoed |= ch
        echo_events = int(echoed.sum())
    by_type: dict[str, int] = {}
    by_field: dict[str, int] = {}
    if changed.any():
        if "type" in events.columns:
            by_type = {str(k): int(v) for k, v in events["type"][changed].astype(object).value_counts().items()}
        if column in events.columns:
            fc = events[column][changed].astype(object).fillna("<missing>").value_counts()
            by_field = {str(k): int(v) for k, v in fc.items()}
    entry = {
        "step": "redact",
        "events_in": n,
        "events_out": n,
        "dropped": 0,
        "dropped_by_type": {},
        "mode": mode,
        "fields": fields_desc,
        "password_fields": password_names,
        "password_events": int((password & typed).sum()),
        "events_redacted": int(changed.sum()),
        "values_redacted": values_redacted,
        "by_type": by_type,
        "by_field": by_field,
        "urls": "strip" if urls == "strip" else ("mask" if urls else False),
        "url_events": url_report,
        "echoes": echoes,
        "echo_events": echo_events,
        "echo_values": len(echo_values) if echoes else 0,
    }
    return _select.record_step(out, events, entry)
