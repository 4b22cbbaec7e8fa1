import pytest

from cibg_ds.privacy import check_publishable
from cibg_ds.reports import mobility_report
from cibg_ds.viz import bottleneck_table, plot_delay_profiles


@pytest.fixture(scope="module")
def report(two_days):
    units = two_days["obu_id"].drop_duplicates().sort_values().head(60)
    return mobility_report(two_days[two_days["obu_id"].isin(units)], k=5, matched=True)


def test_matched_tables_are_in_the_report_and_publishable(report):
    for name in ("matched_roads", "bottlenecks", "bottleneck_hours"):
        assert name in report.tables
        assert check_publishable(report[name].drop(columns="geometry", errors="ignore"), k=5).ok
    assert report.privacy_summary()["publishable"].all()
    ranking = report["bottlenecks"]
    assert 1 <= len(ranking) <= 10
    assert (ranking["n_vehicles"] >= 5).all()
    assert ranking["delay_rank"].tolist() == list(range(1, len(ranking) + 1))
    assert (ranking["delay_rank_low"] <= ranking["delay_rank"]).all()
    assert ranking["road_name_fr"].notna().any() and ranking["road_name_nl"].notna().any()
    assert set(report["bottleneck_hours"]["segment_id"]) <= set(ranking["segment_id"])
    assert report["matched_roads"].geometry.notna().all()
    names = report.privacy_table("fr").iloc[:, 0].tolist()
    assert "goulets d'étranglement des camions" in names


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_reader_table_and_chart(report, lang):
    ranking = report["bottlenecks"]
    table = bottleneck_table(ranking, lang)
    assert len(table) == len(ranking)
    assert table.iloc[0, 0].startswith("1 (")
    ax = plot_delay_profiles(report["bottleneck_hours"], ranking, lang)
    assert len(ax.get_lines()) == len(ranking)


def test_every_published_column_is_in_the_data_dictionary(report):
    from cibg_ds.reports.bundle import UNKNOWN, describe_column

    for name in ("matched_roads", "bottlenecks", "bottleneck_hours"):
        columns = report[name].drop(columns="geometry", errors="ignore").columns
        assert not [c for c in columns if describe_column(c)[0] == UNKNOWN], name


@pytest.mark.cluster
def test_on_a_cluster_the_matching_runs_beside_the_other_tables_with_the_same_result(
    two_days, dask_client, report
):
    """The matched tables are computed in a thread of their own, on the cluster's workers."""
    import dask.dataframe as dd
    import pandas as pd

    units = two_days["obu_id"].drop_duplicates().sort_values().head(60)
    fixes = dd.from_pandas(two_days[two_days["obu_id"].isin(units)], npartitions=2)
    dask_client.run(lambda dask_worker: dask_worker.state.log.clear())  # count from here
    with dask_client.as_current():
        on_dask = mobility_report(fixes, k=5, matched=True)
    done = dask_client.run(lambda dask_worker: [str(e[0]) for e in dask_worker.state.log])
    assert any("_match_frame" in key for keys in done.values() for key in keys)  # not locally
    for name in ("matched_roads", "bottlenecks", "bottleneck_hours"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(on_dask[name]).reset_index(drop=True),
            pd.DataFrame(report[name]).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
