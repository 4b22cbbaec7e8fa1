import json

import geopandas as gpd
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import aggregate, clean
from cibg_ds.privacy import check_publishable
from cibg_ds.reports import mobility_report, select_period


@pytest.fixture(scope="module")
def report(two_days):
    return mobility_report(two_days, cell="250m", k=5)


def test_every_table_is_suppressed_and_publishable(report):
    summary = report.privacy_summary()
    assert set(summary["table"]) == set(report.tables)
    assert summary["publishable"].all()
    assert summary["suppressed"].sum() > 0  # two days of 120 trucks leave thin cells
    for name, table in report.tables.items():
        assert check_publishable(pd.DataFrame(table), k=5).ok, name
        shown = table[~table["suppressed"]]
        assert (shown["n_vehicles"] >= 5).all(), name
        assert table.loc[table["suppressed"], "n_vehicles"].isna().all(), name


@pytest.mark.parametrize(("lang", "header", "yes"), [("fr", "Publiable", "oui"),
                                                     ("nl", "Publiceerbaar", "ja")])  # fmt: skip
def test_the_privacy_table_names_each_table_in_the_reader_s_language(report, lang, header, yes):
    table = report.privacy_table(lang)
    summary = report.privacy_summary()
    assert len(table) == len(summary) and header in table.columns
    assert (table[header] == yes).all()
    assert not set(table.iloc[:, 0]) & set(summary["table"])  # names, not internal keys
    assert table.iloc[:, 2].sum() == summary["suppressed"].sum()


def test_the_report_shows_itself_in_a_notebook(report):
    html = report._repr_html_()
    assert "Freight indicators" in html and "publishable" in html and "<table" in html


def test_counts_add_up_to_what_was_read(two_days, report):
    assert report.meta["fixes_read"] == len(two_days)
    kept, _ = clean(two_days)
    assert report.meta["fixes_clean"] == len(kept)
    cells = report["cells"]
    expected = aggregate(kept, cell="250m", by="daytype")
    shown = cells[~cells["suppressed"]]
    merged = shown.merge(expected, on=["cell_id", "daytype"], suffixes=("", "_raw"))
    assert len(merged) == len(shown)
    assert (merged["n_vehicles"] == merged["n_vehicles_raw"]).all()
    assert cells.crs.to_epsg() == 3035 and cells.geometry.area.round().eq(250 * 250).all()
    matrix = report.od_matrix()
    assert matrix.shape == (20, 20)


def test_products_are_written_whole_and_carry_no_ids(tmp_path, report):
    written = report.write(tmp_path)
    names = {p.name for p in written}
    assert {"cells.geojson", "cells.csv", "od.csv", "summary.json"} <= names
    assert not list(tmp_path.glob(".*.tmp*"))
    for path in tmp_path.glob("*.csv"):
        table = pd.read_csv(path)
        assert "obu_id" not in table.columns, path.name
    roads = gpd.read_file(tmp_path / "roads.geojson")
    assert roads.geom_type.isin(["LineString"]).all() and len(roads) == len(report["roads"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["k"] == 5 and all(t["publishable"] for t in summary["privacy"])


def test_period_selection(two_days):
    tuesday = select_period(two_days, "2026-11-03", "2026-11-03")
    local = tuesday["ts"].dt.tz_convert("Europe/Brussels").dt.strftime("%Y-%m-%d")
    assert set(local) == {"2026-11-03"} and 0 < len(tuesday) < len(two_days)
    assert len(select_period(two_days, None, None)) == len(two_days)
    with pytest.raises(ParameterError, match="after end"):
        select_period(two_days, "2026-11-05", "2026-11-01")
    with pytest.raises(ParameterError, match="dates like"):
        select_period(two_days, "next tuesday")
    with pytest.raises(ParameterError, match="no clean fixes between 2027-01-01"):
        mobility_report(two_days, start="2027-01-01")


@pytest.mark.cluster
def test_the_same_report_on_separate_dask_processes_and_on_a_local_cluster(sim_clean, dask_client):
    """The mobility job gives the same tables on an existing cluster as on a LocalCluster."""
    from distributed import Client, LocalCluster

    from cibg_ds.io import read_pings

    with dask_client.as_current():
        remote = mobility_report(read_pings(sim_clean.out), start="2026-11-06", end="2026-11-07")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as local_client,
        local_client.as_current(),
    ):
        local = mobility_report(read_pings(sim_clean.out), start="2026-11-06", end="2026-11-07")
    assert remote.meta == local.meta
    for name in remote.tables:
        pd.testing.assert_frame_equal(
            pd.DataFrame(remote[name]).reset_index(drop=True),
            pd.DataFrame(local[name]).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


@pytest.mark.cluster
def test_the_report_piece_by_piece_is_the_report_of_one_frame(two_days, report, dask_client):
    """Four pieces of whole units on Dask: the tables, counts and suppression of one frame."""
    import dask.dataframe as dd

    with dask_client.as_current():
        pings = dd.from_pandas(two_days, npartitions=3, sort=False)
        pieces = mobility_report(pings, cell="250m", k=5, pieces=4)
    assert pieces.meta == report.meta
    pd.testing.assert_frame_equal(pieces.clean_report, report.clean_report)
    assert pieces.suppression == report.suppression
    assert pieces.tables.keys() == report.tables.keys()
    for name, table in report.tables.items():
        # floats up to rounding: sums of units in other pieces add up in another order
        pd.testing.assert_frame_equal(
            pd.DataFrame(pieces[name]), pd.DataFrame(table), rtol=1e-12, obj=name
        )
