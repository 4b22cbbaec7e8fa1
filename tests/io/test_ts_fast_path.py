"""The byte-wise parse of ``YYYY-MM-DDTHH:MM:SSZ`` gives what the general parser gives."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cibg_ds.io import read_pings
from cibg_ds.io.pings import _iso_utc_ns, _parse_text_ts, _parse_ts

TRICKY = [
    "2026-11-02T04:02:00Z",
    "2026-11-02T04:02:00+01:00",
    "2026-11-02T04:02:00+0100",
    "2026-11-02T04:02:00+01",
    "2026-11-02T04:02:00-05:30",
    "2026-11-02T04:02:00.5Z",
    "2026-11-02T04:02:00.123456789Z",
    "2026-11-02T04:02:00,5Z",
    "2026-11-02 04:02:00Z",
    "2026-11-02t04:02:00z",
    "2026-11-02T04:02:00z",
    " 2026-11-02T04:02:00Z",
    "2026-11-02T04:02:00Z ",
    "\t2026-11-02T04:02:00Z\n",
    "",
    "   ",
    None,
    "garbage",
    "yesterday",
    "n/a",
    "2026-13-02T04:02:00Z",
    "2026-00-02T04:02:00Z",
    "2026-11-00T04:02:00Z",
    "2026-02-29T04:02:00Z",
    "2024-02-29T04:02:00Z",
    "2026-02-30T04:02:00Z",
    "2026-04-31T04:02:00Z",
    "2026-12-31T23:59:59Z",
    "2026-11-02T24:00:00Z",
    "2026-11-02T23:60:00Z",
    "2026-11-02T23:59:60Z",
    "0000-01-01T00:00:00Z",
    "1677-01-01T00:00:00Z",
    "1677-09-22T00:00:00Z",
    "1699-12-31T23:59:59Z",
    "1700-03-01T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2200-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2262-04-11T23:47:16Z",
    "2263-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-1a-02T04:02:00Z",
    "2026-11-02T04:0:00ZZ",
    "2026/11/02T04:02:00Z",
    "2026-11-02T04:02:00Zx",
    "x2026-11-02T04:02:00Z",
    "2026-11-02T04:02Z",
    "2026-11-02T4:02:00Z",
    "+2026-11-02T04:02:0Z",
    "-026-11-02T04:02:00Z",
    "2026-11-02",
    "02/11/2026 05:02",
    "2026-11-02T04:02:00",
    "2026-10-25T02:30:00",  # repeated hour in Brussels
    "2026-03-29T02:30:00",  # skipped hour in Brussels
    "２０２６-11-02T04:02:00Z",  # full-width digits
    "2026-11-02T04:02:00Ｚ",
    "2026-11-02T04:02:00\u221201:00",
    "2026-11-02T04:02:0\u00e9Z",
    "1700000000",
    "1700000000000",
]
ZONES = [None, "UTC", "Europe/Brussels"]


def _series(values, kind):
    if kind == "object":
        return pd.Series(values, dtype=object)
    if kind == "string":
        return pd.Series(values, dtype="string")
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(values, pa.string())])))


def _both(values, zone):
    """The result (or error message) of the fast path and of the general parser alone."""
    out = []
    for parse in (_parse_ts, _parse_text_ts):
        try:
            out.append(parse(values, zone))
        except Exception as exc:  # out-of-range years fail both today
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def _assert_same(values, zone):
    fast, slow = _both(values, zone)
    if isinstance(slow, str):
        assert fast == slow
    else:
        assert not isinstance(fast, str), fast
        assert fast.dtype == slow.dtype
        pd.testing.assert_series_equal(fast, slow)


@pytest.mark.parametrize("kind", ["object", "string", "arrow"])
@pytest.mark.parametrize("zone", ZONES)
def test_each_tricky_value_parses_as_the_general_parser_does(kind, zone):
    # each value beside a time of the fast spelling, and alone
    for value in TRICKY:
        _assert_same(_series(["2026-11-02T04:02:00Z", value], kind), zone)
        _assert_same(_series([value, None], kind), zone)


@pytest.mark.parametrize("kind", ["object", "string", "arrow"])
@pytest.mark.parametrize("zone", ZONES)
def test_the_whole_tricky_list_parses_as_the_general_parser_does(kind, zone):
    safe = [v for v in TRICKY if v not in ("2026-10-25T02:30:00", "2026-03-29T02:30:00")]
    _assert_same(_series(safe, kind), zone)
    _assert_same(_series(TRICKY, kind), zone)  # refused in Brussels: the same message


def test_only_the_exact_spelling_of_a_valid_time_takes_the_fast_path():
    _, ok = _iso_utc_ns(pd.Series(TRICKY, dtype=object))
    fast = {v for v, k in zip(TRICKY, ok, strict=True) if k}
    assert fast == {
        "2026-11-02T04:02:00Z", "2024-02-29T04:02:00Z", "2026-12-31T23:59:59Z",
        "1700-03-01T00:00:00Z", "2000-02-29T00:00:00Z", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z", "2200-12-31T23:59:59Z",
    }  # fmt: skip
    assert _iso_utc_ns(pd.Series([b"2026-11-02T04:02:00Z", 3], dtype=object)) is None
    assert _iso_utc_ns(pd.Series([1.5, 2.5])) is None


@pytest.mark.parametrize("zone", ZONES)
def test_random_times_and_their_mutations_agree_with_the_general_parser(zone):
    rng = np.random.default_rng(7)
    seconds = rng.integers(-(2**31), 2**33, 3000)
    good = pd.Series(pd.to_datetime(seconds, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"))
    chars = np.array([list(v) for v in good])
    bad = rng.random(chars.shape) < 0.01  # about one character in five rows replaced
    chars[bad] = rng.choice(list("0123456789:-TZ+ .x"), int(bad.sum()))
    mutated = ["".join(c) for c in chars]
    values = pd.Series(list(good) + mutated, dtype=object)
    _assert_same(values, zone)
    _assert_same(values.astype("string"), zone)
    ns, ok = _iso_utc_ns(good)
    years = pd.to_datetime(seconds, unit="s").year.to_numpy()
    assert (ok == (years <= 2200)).all()
    assert (ns[ok] == seconds[ok] * 1_000_000_000).all()


def test_arrow_offsets_nulls_and_sliced_chunks():
    array = pa.array(["junk", "2026-11-02T04:02:00Z", None, "2026-11-02T04:02:01Z"] * 3)
    chunked = pa.chunked_array([array.slice(1, 5), array.slice(7)])
    values = pd.Series(pd.arrays.ArrowStringArray(chunked))
    for zone in ZONES:
        _assert_same(values, zone)
    _, ok = _iso_utc_ns(values)
    assert ok.tolist() == [True, False, True, False, True, True, False, True, False, True]


def test_read_pings_keeps_the_raw_text_of_times_that_do_not_parse(tmp_path):
    ts = ["2026-11-02T04:02:00Z", "yesterday", "2026-11-02T05:02:00", "2026-11-02T04:03:00Z"]
    table = pa.table({"obu_id": ["a"] * 4, "ts": ts, "lat": [50.8] * 4, "lon": [4.3] * 4})
    pq.write_table(table, tmp_path / "p.parquet")
    got = read_pings(tmp_path / "p.parquet", keep_raw=True).compute()
    expected = pd.to_datetime(
        ["2026-11-02T04:02:00Z", None, None, "2026-11-02T04:03:00Z"], utc=True
    ).as_unit("ns")
    assert got["ts"].tolist() == list(expected)
    raw = [pd.NA, '{"ts":"yesterday"}', '{"ts":"2026-11-02T05:02:00"}', pd.NA]
    assert got["_raw_values"].tolist() == raw
    local = read_pings(tmp_path / "p.parquet", assume_tz="Europe/Brussels").compute()
    assert local["ts"].iloc[2] == pd.Timestamp("2026-11-02T04:02:00Z")
