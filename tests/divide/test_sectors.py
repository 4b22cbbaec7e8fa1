"""Sector-level car-lessness from Statbel's TF_CAR_HH_SECTOR, and its spatial pattern."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cibg_ds.divide import sector_autocorrelation, sector_car_indicators
from cibg_ds.errors import ParameterError
from cibg_ds.io import households_cars, load_sectors
from cibg_ds.viz import sector_map
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def table():
    cars = households_cars(shared_file("TF_CAR_HH_SECTOR.txt"))
    return sector_car_indicators(cars, load_sectors(shared_file(
        "brussels_statistical_sectors_2021.geojson")))  # fmt: skip


def test_indicators_per_sector_joined_to_the_polygons(table):
    assert len(table) == 720 and table.crs.to_epsg() == 31370
    row = table.set_index("sector").loc["21001A00-"]
    assert row["households"] == 1188 and row["cars"] == 559
    assert row["cars_per_household"] == pytest.approx(559 / 1188)
    assert row["share_without_car_min_pct"] == pytest.approx(100 * (1 - 559 / 1188))
    shown = table[~table["suppressed"]]
    assert (shown["households"] >= 50).all()
    assert shown["share_without_car_min_pct"].between(0, 100).all()
    # the 2019 table and the 2021 polygons: ZZZZ rows and renumbered codes do not join
    assert table.attrs["unmatched_rows"] >= 19 and table.attrs["sectors_without_data"] > 0


def test_sectors_with_few_households_are_suppressed(table):
    hidden = table[table["suppressed"]]
    assert len(hidden) > 0
    assert hidden[["households", "cars", "cars_per_household"]].isna().all().all()
    strict = sector_car_indicators(households_cars(), load_sectors(), min_households=500)
    assert strict["suppressed"].sum() > table["suppressed"].sum()
    with pytest.raises(ParameterError, match="min_households"):
        sector_car_indicators(households_cars(), load_sectors(), min_households=0)


def test_the_embedded_tables_give_the_same_result(table):
    embedded = sector_car_indicators(households_cars(), load_sectors())
    assert np.allclose(
        embedded["share_without_car_min_pct"], table["share_without_car_min_pct"],
        equal_nan=True, rtol=1e-9,
    )  # fmt: skip


def test_car_lessness_clusters_in_space_on_720_sectors(table):
    glob, lisa = sector_autocorrelation(table, "share_without_car_min_pct", permutations=199)
    assert glob["n"] == (~table["suppressed"]).sum() == len(lisa)
    assert glob["I"] > 0.3 and glob["p_sim"] <= 0.01  # the centre is car-less, the edges not
    assert "Queen contiguity" in glob["note"] and "row-standardised" in glob["note"]
    assert set(lisa["quadrant"]) == {"HH", "LH", "LL", "HL"}
    assert lisa["significant"].sum() > 100
    central = lisa[lisa["sector"].str.startswith("21004")]
    assert (central["quadrant"] == "HH").mean() > 0.5  # Brussels city: many car-less homes


def test_the_sector_map(table):
    ax = sector_map(table, "share_without_car_min_pct", "t")
    texts = [t.get_text() for t in ax.texts]
    assert any("Statbel" in t for t in texts)
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("suppressed (fewer than 50 households)" in t for t in legend_texts)
