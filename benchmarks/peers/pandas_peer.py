"""Each task in plain pandas, written the way an analyst would write it in a notebook.

No tricks an analyst would not use: ``read_json(lines=True)``, ``sort_values``,
``groupby(...).shift``, ``value_counts``, ``agg``, ``merge``. The data comes
from the harness's Parquet file (categoricals, as prepared data usually is),
and each task starts from that DataFrame, as Distill's start from its frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

GAP = pd.Timedelta("30min")
IDLE = pd.Timedelta("30s")
FUNNEL_PAGES = (
    "http://127.0.0.1:8765/index.html",
    "http://127.0.0.1:8765/catalog.html",
    "http://127.0.0.1:8765/checkout.html",
)


def available() -> str | None:
    return None


def version() -> str:
    return pd.__version__


def _load(args: dict[str, Any], columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(args["parquet"], columns=columns)


# -- read -------------------------------------------------------------------------------
def read(path: str) -> pd.DataFrame:
    df = pd.read_json(path, lines=True)
    df["time"] = pd.to_datetime(df["clientTime"].fillna(df["startTime"]), unit="ms", utc=True)
    df["end_time"] = pd.to_datetime(df["endTime"], unit="ms", utc=True)
    return df.sort_values("time").reset_index(drop=True)


# -- query ------------------------------------------------------------------------------
def query(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["type"].isin(["click", "input", "change"]) & df["page_url"].str.contains("catalog", na=False)]


# -- sessions and graph -------------------------------------------------------------------
def sessionize(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["user", "time"])
    new = df["user"].ne(df["user"].shift()) | df["time"].diff().gt(GAP)
    df["session_id"] = new.cumsum()
    return df


def graph(df: pd.DataFrame, session: str = "gap_session") -> pd.DataFrame:
    d = df.dropna(subset=["target"]).sort_values([session, "time"])
    d["next"] = d.groupby(session, observed=True)["target"].shift(-1)
    edges = d.dropna(subset=["next"]).groupby(["target", "next"], observed=True).size().rename("count").reset_index()
    edges = edges[edges["count"] > 0]
    edges["probability"] = edges["count"] / edges.groupby("target", observed=True)["count"].transform("sum")
    return edges


def session_graph(df: pd.DataFrame) -> pd.DataFrame:
    return graph(sessionize(df), session="session_id")


# -- features ---------------------------------------------------------------------------
def features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["session", "time"])
    df["page"] = df["page_url"].str.replace(r"\?.*$", "", regex=True)
    raw = df["log_type"] == "raw"
    df["click"] = raw & (df["type"] == "click")
    df["form_input"] = raw & df["type"].isin(["input", "change"])
    df["key"] = raw & (df["type"] == "keydown")
    df["dwell"] = (df["end_time"] - df["time"]).dt.total_seconds().clip(lower=0)
    gaps = df.groupby("session", observed=True)["time"].diff()
    df["idle"] = gaps.where(gaps > IDLE).dt.total_seconds()
    out = df.groupby("session", observed=True).agg(
        user=("user", "first"),
        start=("time", "min"),
        end=("time", "max"),
        events=("time", "size"),
        pages=("page", "nunique"),
        targets=("target", "nunique"),
        types=("type", "nunique"),
        clicks=("click", "sum"),
        form_inputs=("form_input", "sum"),
        keys=("key", "sum"),
        dwell=("dwell", "sum"),
        idle=("idle", "sum"),
        entry_page=("page", "first"),
        exit_page=("page", "last"),
        first_event=("type", "first"),
        last_event=("type", "last"),
    )
    out["duration"] = (out["end"] - out["start"]).dt.total_seconds()
    out["active"] = out["duration"] - out["idle"]
    out["rate"] = out["events"] / (out["duration"] / 60).replace(0, np.nan)
    return out


# -- funnel -----------------------------------------------------------------------------
def funnel(df: pd.DataFrame) -> list[int]:
    page = df["page_url"].str.replace(r"\?.*$", "", regex=True)
    reached = df.loc[page == FUNNEL_PAGES[0]].groupby("session", observed=True)["time"].min().rename("t")
    counts = [len(reached)]
    for step in FUNNEL_PAGES[1:]:
        later = df.loc[page == step, ["session", "time"]].merge(reached.reset_index(), on="session")
        later = later[later["time"] > later["t"]]
        reached = later.groupby("session", observed=True)["time"].min().rename("t")
        counts.append(len(reached))
    return counts


# -- export -----------------------------------------------------------------------------
def export(df: pd.DataFrame) -> str:
    return df.to_json(orient="records", date_format="iso", date_unit="ns")


_FRAME = ["event_id", "time", "end_time", "user", "session", "type", "log_type", "target", "path", "page_url"]
_FRAME += ["page_title", "x", "y", "details"]

STAGES = {
    "read": (lambda a: a["ndjson"], read, lambda f: {"rows": len(f)}, ""),
    "query": (
        lambda a: _load(a, ["time", "user", "session", "type", "page_url"]),
        query,
        lambda f: {"rows": len(f)},
        "",
    ),
    "sessionize": (
        lambda a: _load(a, ["time", "user", "type", "target"]),
        sessionize,
        lambda f: {"rows": len(f), "sessions": int(f["session_id"].nunique())},
        "",
    ),
    "graph": (
        lambda a: _load(a, ["time", "user", "gap_session", "target"]),
        graph,
        lambda e: {"edges": len(e), "transitions": int(e["count"].sum())},
        "sessions given",
    ),
    "session_graph": (
        lambda a: _load(a, ["time", "user", "target"]),
        session_graph,
        lambda e: {"edges": len(e), "transitions": int(e["count"].sum())},
        "",
    ),
    "features": (
        lambda a: _load(a, ["time", "end_time", "user", "session", "type", "log_type", "target", "page_url"]),
        features,
        lambda f: {"rows": len(f)},
        "",
    ),
    "funnel": (lambda a: _load(a, ["time", "session", "page_url"]), funnel, lambda c: {"entered": c}, ""),
    "export": (lambda a: _load(a, _FRAME), export, lambda t: {"chars": len(t)}, ""),
}
