import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cibg_ds import schema
from cibg_ds.errors import InputError
from cibg_ds.io import pseudonymise, read_pings, write_parquet_atomic
from cibg_ds.synthetic.feed import simulate_chunk
from cibg_ds.synthetic.fleet import make_truck
from cibg_ds.synthetic.network import build_network


@pytest.fixture(scope="module")
def pings() -> pd.DataFrame:
    net = build_network()
    trucks = [make_truck(i, 3, net) for i in range(40)]
    return simulate_chunk(trucks, dt.date(2026, 11, 4), 3, net, "k", "Europe/Brussels")


def _assert_canonical(df: pd.DataFrame):
    assert tuple(df.columns) == schema.PING_COLUMNS
    for column, dtype in schema.PING_DTYPES.items():
        if column == "weight_class":
            assert isinstance(df[column].dtype, pd.CategoricalDtype)
        else:
            assert df[column].dtype == dtype, column


def test_parquet_folder_glob_and_file_give_the_same_rows(tmp_path, pings):
    half = len(pings) // 2
    write_parquet_atomic(pings.iloc[:half], tmp_path / "date=2026-11-04" / "a.parquet")
    write_parquet_atomic(pings.iloc[half:], tmp_path / "date=2026-11-04" / "b.parquet")
    (tmp_path / "_meta").mkdir()
    (tmp_path / "_meta" / "manifest.json").write_text("{}")
    for source in (tmp_path, str(tmp_path / "*" / "*.parquet")):
        ddf = read_pings(source)
        _assert_canonical(ddf._meta)
        got = ddf.compute().reset_index(drop=True)
        _assert_canonical(got)
        pd.testing.assert_frame_equal(got, pings, check_categorical=False)
    assert len(read_pings(tmp_path / "date=2026-11-04" / "a.parquet").compute()) == half


def test_parquet_partitions_have_about_equal_rows_in_file_and_row_order(tmp_path, pings):
    # one big file of several row groups, then small files: Dask's byte-filled blocks
    # made one big and one small partition; ours cut by rows, within files if need be
    big = len(pings) * 2 // 3
    pq.write_table(pa.Table.from_pandas(pings.iloc[:big], preserve_index=False),
                   tmp_path / "a.parquet", row_group_size=big // 8)  # fmt: skip
    for k, chunk in enumerate(range(big, len(pings), 500)):
        write_parquet_atomic(pings.iloc[chunk : chunk + 500], tmp_path / f"b{k:03d}.parquet")
    size = sum(
        pq.read_metadata(f).row_group(g).total_byte_size
        for f in sorted(tmp_path.glob("*.parquet"))
        for g in range(pq.read_metadata(f).num_row_groups)
    )
    ddf = read_pings(tmp_path, blocksize=size // 3 + 1)
    assert ddf.npartitions == 3
    parts = [p.compute() for p in ddf.to_delayed()]
    rows = [len(p) for p in parts]
    assert max(rows) - min(rows) <= big // 8 + 500  # at most one row group or file apart
    for part in parts:
        _assert_canonical(part)
        assert part.index.equals(pd.RangeIndex(len(part)))
    got = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(got, pings, check_categorical=False)


def test_a_selection_of_columns_reads_and_converts_the_whole_feed(tmp_path, pings):
    # Dask pushes a column selection down to the reader; the conversion needs the fix
    # columns (obu_id, lat, lon) whatever is selected: the mobility report's period check
    write_parquet_atomic(pings, tmp_path / "feed.parquet")
    ddf = read_pings(tmp_path)
    assert ddf["ts"].min().compute() == pings["ts"].min()
    pd.testing.assert_series_equal(ddf[["lat", "ts"]].compute()["lat"], pings["lat"])


def test_a_selection_is_pushed_down_and_reads_its_columns_and_the_fixes(tmp_path, pings,
                                                                      monkeypatch):  # fmt: skip
    # Dask passes a selection to the reader: it reads those columns and the fix columns
    # (the conversion needs them), not the others, and converts them as a full read does
    write_parquet_atomic(pings, tmp_path / "feed.parquet")
    read = []
    original = pq.ParquetFile.read

    def spy(self, *args, columns=None, **kwargs):
        read.append(list(columns))
        return original(self, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    selected = read_pings(tmp_path)[["speed_kmh", "ts"]].compute(scheduler="sync")
    assert read == [["obu_id", "ts", "lat", "lon", "speed_kmh"]]
    pd.testing.assert_frame_equal(selected, pings[["speed_kmh", "ts"]])
    read.clear()
    whole = read_pings(tmp_path).compute(scheduler="sync")
    assert read == [list(schema.PING_COLUMNS)]
    pd.testing.assert_frame_equal(whole, pings, check_categorical=False)


@pytest.mark.cluster
def test_a_relative_path_is_read_by_workers_that_work_elsewhere(tmp_path, pings, dask_client,
                                                                 monkeypatch):  # fmt: skip
    write_parquet_atomic(pings, tmp_path / "feed" / "part-0.parquet")
    monkeypatch.chdir(tmp_path)  # the workers' own folder is another one
    with dask_client.as_current():
        got = read_pings("feed").compute()
    pd.testing.assert_frame_equal(got, pings, check_categorical=False)


def test_csv_with_other_names_and_offsets(tmp_path, pings):
    raw = pings.rename(columns={"obu_id": "unit", "speed_kmh": "speed"})
    raw["ts"] = pings["ts"].dt.tz_convert("Europe/Brussels").dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    raw.to_csv(tmp_path / "feed.csv", index=False)
    got = read_pings(tmp_path / "feed.csv", columns={"unit": "obu_id", "speed": "speed_kmh"})
    got = got.compute()
    _assert_canonical(got)
    assert (got["ts"].to_numpy() == pings["ts"].to_numpy()).all()
    assert got["lat"].to_numpy() == pytest.approx(pings["lat"].to_numpy())


def test_naive_times_are_refused_or_localised_never_guessed(tmp_path, pings):
    naive = pings.assign(ts=pings["ts"].dt.tz_convert("Europe/Brussels").dt.tz_localize(None))
    naive.to_parquet(tmp_path / "naive.parquet")
    with pytest.raises(InputError, match=r"naive.parquet: column 'ts' has no time zone"):
        read_pings(tmp_path / "naive.parquet")
    got = read_pings(tmp_path / "naive.parquet", assume_tz="Europe/Brussels").compute()
    assert (got["ts"] == pings["ts"]).all()
    text = pings.head(4).assign(
        ts=[
            "2026-11-04T06:00:00Z",
            "2026-11-04 07:00:30",
            "not a time",
            "2026-11-04T06:01:00+01:00",
        ]
    )
    text.to_csv(tmp_path / "mixed.csv", index=False)
    got = read_pings(tmp_path / "mixed.csv").compute()["ts"]
    assert got.isna().tolist() == [False, True, True, False]
    assert got.iloc[3] == pd.Timestamp("2026-11-04T05:01:00Z")


def test_structural_faults_name_the_file_and_the_column(tmp_path, pings):
    with pytest.raises(InputError, match=r"nowhere: no such file"):
        read_pings(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no CSV or Parquet files"):
        read_pings(tmp_path / "empty")
    pings.rename(columns={"heading_deg": "heading_dg"}).to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(
        InputError, match=r"(?s)typo.csv: missing.*'heading_deg' \(did you mean 'heading_dg'\?\)"
    ):
        read_pings(tmp_path / "typo.csv")
    (tmp_path / "blank.csv").write_text("")
    with pytest.raises(InputError, match=r"blank.csv: the file is empty"):
        read_pings(tmp_path / "blank.csv")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"broken.parquet: not a readable Parquet file"):
        read_pings(tmp_path / "broken.parquet")
    pq.write_table(pa.Table.from_pandas(pings.iloc[:0]), tmp_path / "zero.parquet")
    with pytest.raises(InputError, match=r"zero.parquet: the file holds no rows"):
        read_pings(tmp_path / "zero.parquet")
    (tmp_path / "mix").mkdir()
    pings.to_csv(tmp_path / "mix" / "a.csv", index=False)
    pings.to_parquet(tmp_path / "mix" / "b.parquet")
    with pytest.raises(InputError, match=r"mixes CSV and Parquet"):
        read_pings(tmp_path / "mix")


def test_odd_values_are_kept_for_the_quality_suite(tmp_path, pings):
    odd = pings.head(3).astype({"weight_class": "string"})
    odd.loc[0, "weight_class"] = "40t"
    odd["euro_class"] = pd.array([9, None, 6], dtype="Int8")
    odd.to_csv(tmp_path / "odd.csv", index=False)
    got = read_pings(tmp_path / "odd.csv").compute()
    assert got["weight_class"].astype("string").tolist()[0] == "40t"
    assert got["euro_class"].tolist()[:2] == [9, pd.NA]


def test_pseudonyms_are_stable_keyed_and_hide_the_raw_id():
    ids = pd.Series(["OBU1", "OBU2", "OBU1"])
    a, b = pseudonymise(ids, "k1"), pseudonymise(ids, "k2")
    assert a[0] == a[2] != a[1]
    assert (a != b).all()
    assert not a.str.contains("OBU").any()
    assert a.str.fullmatch(r"[0-9a-f]{16}").all()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    class Boom(pd.DataFrame):
        def to_parquet(self, *args, **kwargs):
            open(args[0], "w").write("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_parquet_atomic(Boom({"a": [1]}), tmp_path / "out.parquet")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_atomic_write_leaves_nothing(tmp_path):
    from cibg_ds.io.atomic import atomic_path

    target = tmp_path / "out" / "table.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the disk filled up")
    assert not target.exists() and not list(target.parent.iterdir())


def test_reads_the_real_geolife_sample_with_its_short_offsets():
    """GeoLife writes ``+00`` offsets and ``;`` separators: both found, nothing nulled."""
    from tests.conftest import shared_file

    path = shared_file("geolife_small.csv")
    expected = pd.read_csv(path, sep=";")
    pings = read_pings(
        path, columns={"trajectory_id": "obu_id", "t": "ts", "Y": "lat", "X": "lon"}
    ).compute()
    assert len(pings) == len(expected) == 5908
    assert pings["ts"].notna().all() and str(pings["ts"].dt.tz) == "UTC"
    truth = pd.to_datetime(expected["t"], utc=True, format="ISO8601")
    assert (pings["ts"].to_numpy() == truth.to_numpy()).all()


def test_a_date_without_a_time_is_not_taken_for_an_offset():
    from cibg_ds.io.pings import _TZ_SUFFIX

    assert not pd.Series(["2026-11-02"]).str.contains(_TZ_SUFFIX).any()
    assert pd.Series(["2026-11-02 05:02:00+01"]).str.contains(_TZ_SUFFIX).all()
