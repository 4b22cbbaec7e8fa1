import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.mobility.congestion import _moving, congestion
from cibg_ds.mobility.grid import cell_labels


@pytest.fixture(scope="module")
def table(kept):
    return congestion(kept)


def test_definitions_against_numpy(kept, table):
    moving = _moving(kept, "250m", "Europe/Brussels", 5.0)  # cells as codes: labelled here
    moving["cell_id"] = cell_labels(moving["cell_id"].to_numpy(), "250m")
    busiest = moving["cell_id"].value_counts().index[:25]
    got = table.set_index("cell_id")
    for cell in busiest:
        rows = moving[moving["cell_id"] == cell]
        off = rows[~(rows["am"] | rows["pm"])]["speed_kmh"].to_numpy()
        free = np.percentile(off, 85) if len(off) else np.nan
        assert got.loc[cell, "free_flow_kmh"] == pytest.approx(free, nan_ok=True)
        am = rows[rows["am"]]["speed_kmh"].to_numpy()
        tti = np.mean(60 / am) / (60 / free) if len(am) else np.nan
        assert got.loc[cell, "tti_am"] == pytest.approx(tti, nan_ok=True)
        minutes = 60 / rows["speed_kmh"].to_numpy()
        assert got.loc[cell, "reliability"] == pytest.approx(
            np.percentile(minutes, 95) / np.percentile(minutes, 50)
        )
        assert got.loc[cell, "n_vehicles"] == rows["obu_id"].nunique()


def test_the_simulated_peaks_are_congested(table):
    busy = table[table["n_fixes"] >= 50]  # real roads spread the trucks over more cells
    assert len(busy) >= 20
    assert busy["tti_am"].median() > 1.1 and busy["tti_pm"].median() > 1.05
    assert (busy["reliability"] >= 1).all()


@pytest.mark.cluster
def test_dask_gives_the_same_table(kept, table, dask_client):
    with dask_client.as_current():
        lazy = congestion(dd.from_pandas(kept, npartitions=5, sort=False))
    pd.testing.assert_frame_equal(lazy, table, check_dtype=False)
