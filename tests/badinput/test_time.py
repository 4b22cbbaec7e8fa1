"""Times without an offset, epoch numbers, foreign formats and the DST nights."""

from __future__ import annotations

import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import read_pings
from cibg_ds.mobility.grid import time_bins
from tests.badinput.conftest import write_pings_csv

NAIVE = ["2026-11-02T05:02:00", "2026-11-02T05:02:30", "2026-11-02T05:03:00"]
DAYFIRST = ["02/11/2026 05:02", "02/11/2026 05:03", "02/11/2026 05:04"]
EPOCH_MS = ["1793595720000", "1793595750000", "1793595780000"]
EPOCH_S = ["1793595720", "1793595750", "1793595780"]


@pytest.mark.parametrize(
    "times, message",
    [
        (NAIVE, "no time carries a UTC offset"),
        (DAYFIRST, "no time carries a UTC offset"),
        (EPOCH_MS, "holds numbers such as '1793595720000'"),
        (EPOCH_S, "epoch seconds or milliseconds"),
    ],
    ids=["naive-iso", "day-first", "epoch-ms", "epoch-s"],
)
def test_times_without_an_offset_are_a_clear_error(tmp_path, times, message):
    path = write_pings_csv(tmp_path / "feed.csv", times)
    with pytest.raises(InputError, match=message) as caught:
        read_pings(path).compute()
    assert "Traceback" not in str(caught.value) and "ts" in str(caught.value)


@pytest.mark.parametrize("times", [NAIVE, DAYFIRST], ids=["naive-iso", "day-first"])
def test_assume_tz_places_wall_clock_times(tmp_path, times):
    path = write_pings_csv(tmp_path / "feed.csv", times)
    got = read_pings(path, assume_tz="Europe/Brussels").compute()
    assert got["ts"].notna().all() and len(got) == 3  # rows in = rows out
    assert got["ts"].iloc[0] == pd.Timestamp("2026-11-02T04:02:00Z")  # 05:02 CET


def test_the_cli_has_assume_tz_and_checks_the_zone(tmp_path, cli, dask_scheduler):
    path = write_pings_csv(tmp_path / "feed.csv", NAIVE)
    code, _, err = cli("validate", path, "--suite", "pings", "--scheduler", dask_scheduler)
    assert code == 1 and "--assume-tz" in err and "Traceback" not in err
    quarantine = tmp_path / "q"
    code, out, err = cli("validate", path, "--suite", "pings", "--scheduler", dask_scheduler,
                         "--assume-tz", "Europe/Brussels", "--quarantine", quarantine)  # fmt: skip
    assert "on 3 rows" in out and "= 3 rows" in out, err
    code, _, err = cli("validate", path, "--suite", "pings", "--assume-tz", "Europe/Bruxelles")
    assert code == 2 and "unknown time zone 'Europe/Bruxelles'" in err


@pytest.mark.parametrize(
    "times, reason",
    [
        (["2026-10-25T01:30:00", "2026-10-25T02:30:00", "2026-10-25T02:45:00"], "repeated"),
        (["2026-03-29T01:30:00", "2026-03-29T02:30:00", "2026-03-29T03:30:00"], "skipped"),
    ],
    ids=["autumn-ambiguous", "spring-missing"],
)
def test_dst_wall_clock_times_are_reported_never_silently_null(tmp_path, times, reason):
    path = write_pings_csv(tmp_path / "feed.csv", times)
    n = 2 if reason == "repeated" else 1
    with pytest.raises(InputError, match=rf"{n} local time\(s\).*{reason}") as caught:
        read_pings(path, assume_tz="Europe/Brussels").compute()
    assert times[1] in str(caught.value) and "offset" in str(caught.value)


def test_offsets_given_on_the_dst_night_are_parsed_exactly(tmp_path):
    times = ["2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"]
    got = read_pings(write_pings_csv(tmp_path / "f.csv", times)).compute()["ts"]
    assert (got.iloc[1] - got.iloc[0]) == pd.Timedelta("1h")


@pytest.mark.parametrize("freq", ["15min", "1h", "30min"])
def test_frequency_bins_keep_the_two_2am_hours_of_the_autumn_night_apart(freq):
    ts = pd.Series(pd.to_datetime(["2026-10-25T02:10:00+02:00", "2026-10-25T02:10:00+01:00"],
                                  utc=True))  # fmt: skip
    bins = time_bins(ts, freq, "Europe/Brussels")["bin"]
    assert bins.nunique() == 2
    assert [b.utcoffset() for b in bins] == [pd.Timedelta("2h"), pd.Timedelta("1h")]


def test_a_mixed_partition_keeps_the_bad_times_for_the_quality_suite(tmp_path):
    times = ["2026-11-02T05:02:00Z", "2026-11-02T05:02:30", "n/a"]
    got = read_pings(write_pings_csv(tmp_path / "f.csv", times)).compute()
    assert len(got) == 3 and got["ts"].isna().sum() == 2  # rejected by "ts not null", not lost
