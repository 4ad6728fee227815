"""The file reader's fast paths give exactly what the plain paths give.

Worker processes (``read_files(workers=...)``), Arrow-based categoricals, JSON
text normalisation and the tie-breaking sort are checked against simple,
loop-based equivalents written here.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import distill
from distill.datasets import sample_path, write_scaled_ndjson
from distill.frame import categories, sort_order
from distill.report import report_of
from distill.sources import _build
from distill.sources.files import read_files


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for col in a.columns:
        if isinstance(a[col].dtype, pd.CategoricalDtype):
            assert a[col].cat.categories.tolist() == b[col].cat.categories.tolist(), col
    ra, rb = report_of(a), report_of(b)
    assert ra is not None and rb is not None
    assert ra.to_dict(max_issues=None) == rb.to_dict(max_issues=None)
    assert list(ra.issues) == list(rb.issues)


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real logs with bad lines between them (malformed, wrong types, blank, not UTF-8)."""
    lines = gzip.decompress(sample_path().read_bytes()).split(b"\n")[:2500]
    bad = [
        b"not json",
        b"[1,2]",
        b"",
        b'{"clientTime":"abc","type":"click"}',
        b'{"clientTime":1796412511065,"type":"click","location":{"x":"12","y":null}}',
        b'{"clientTime":1796412511065,"type":"click","path":["a",1]}',
        b'{"clientTime":1796412511065,"type":null}',
        b'{"clientTime":1796412511065,"type":"click","location":null}',
        b'{"clientTime":1796412511065,"type":"click","details":{"v": "a b"}}',
        b'{"clientTime":1796412511065,"type":"click","scrnRes":{"width":99999999999}}',
        b'\xff{"bad":1}',
    ]
    for k, line in enumerate(bad):
        lines.insert(150 + 211 * k, line)
    path = tmp_path_factory.mktemp("corrupt") / "corrupt.ndjson"
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize("block_size", [1 << 14, 1 << 16, 1 << 24])
def test_workers_give_the_same_frame_and_report(corrupt: Path, block_size: int) -> None:
    with pytest.warns(distill.DistillDataWarning):
        serial = read_files(corrupt, workers=1, block_size=block_size)
    with pytest.warns(distill.DistillDataWarning):
        parallel = read_files(corrupt, workers=2, block_size=block_size)
    _same(serial, parallel)
    assert report_of(serial).rejected > 0


def test_workers_on_generated_logs(tmp_path: Path) -> None:
    path = write_scaled_ndjson(tmp_path / "big.ndjson", 30_000, seed=2)
    one = read_files(path, workers=1, block_size=1 << 20)
    two = read_files(path, workers=2, block_size=1 << 20)
    _same(one, two)
    assert len(one) == 30_000


def test_paths_are_shared_across_blocks(tmp_path: Path) -> None:
    path = write_scaled_ndjson(tmp_path / "p.ndjson", 20_000)
    for workers in (1, 2):
        frame = read_files(path, workers=workers, block_size=1 << 16)
        paths = [p for p in frame["path"] if p is not None]
        assert len({id(p) for p in paths}) == len(set(paths))


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_workers(workers: object) -> None:
    with pytest.raises(ValueError, match="workers"):
        read_files(sample_path(), workers=workers)  # type: ignore[arg-type]


# -- the vectorised helpers against loop-based versions ----------------------------------
_texts = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["a", "b", "é", "Z", "a b", "", "日本"]))


@given(st.lists(_texts, max_size=40))
def test_categorical_matches_factorize(values: list[str | None]) -> None:
    got = _build._categorical(list(values))
    codes, uniques = pd.factorize(np.array(values, dtype=object), sort=True)
    want = pd.Categorical.from_codes(codes, categories=categories(uniques))
    assert got.categories.tolist() == want.categories.tolist()
    assert got.codes.tolist() == want.codes.tolist()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


def _json_text_by_loop(values: list[msgspec.Raw | None]) -> list[str | None]:
    out: list[str | None] = []
    for raw in values:
        data = None if raw is None else bytes(raw)
        if data is None or data == b"null":
            out.append(None)
        elif any(w in data for w in (b" ", b"\n", b"\t", b"\r")):
            out.append(msgspec.json.encode(msgspec.json.decode(data)).decode())
        else:
            out.append(data.decode())
    return out


@given(st.lists(st.tuples(_json, st.booleans(), st.booleans()), max_size=20))
def test_json_text_matches_loop(items: list[tuple[object, bool, bool]]) -> None:
    values: list[msgspec.Raw | None] = []
    for value, spaced, missing in items:
        if missing:
            values.append(None)
            continue
        text = msgspec.json.encode(value)
        if spaced:
            text = msgspec.json.format(text, indent=1)
        values.append(msgspec.Raw(text))
    got = _build._json_text(values)
    assert [None if v is pd.NA else v for v in got] == _json_text_by_loop(values)


@given(st.lists(st.tuples(st.integers(0, 5), st.text(min_size=1, max_size=4)), max_size=60))
def test_sort_order_same_for_arrow_and_python_ids(rows: list[tuple[int, str]]) -> None:
    t = np.array([r[0] for r in rows], dtype=np.int64)
    ids = pd.Series(pd.array([r[1] for r in rows], dtype=pd.StringDtype("pyarrow")))
    """Arrow-held ids are tie-sorted by Arrow; the order must be the one Python strings give."""
    assert sort_order(t, ids).tolist() == sort_order(t, ids.to_numpy(dtype=object)).tolist()
