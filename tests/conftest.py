"""Shared fixtures: real UserALE data (tests/data and the bundled sample)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

import distill

DATA = Path(__file__).parent / "data"
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"

settings.register_profile(
    "distill", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "distill"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of real UserALE fixture files."""
    return DATA


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave things for people to look at (screenshots, reports)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def _sample_frame() -> pd.DataFrame:
    return distill.datasets.load_sample()


@pytest.fixture
def sample(_sample_frame: pd.DataFrame) -> pd.DataFrame:
    """The 4,863 ShopDemo events (a copy per test, so mutation by a test cannot leak)."""
    return _sample_frame.copy()


@pytest.fixture(scope="session")
def sample_ndjson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ShopDemo logs as plain (not gzipped) NDJSON, exactly as UserALE sent them."""
    import gzip

    path = tmp_path_factory.mktemp("sample") / "shopdemo-4863.ndjson"
    path.write_bytes(gzip.decompress(distill.datasets.sample_path().read_bytes()))
    return path
