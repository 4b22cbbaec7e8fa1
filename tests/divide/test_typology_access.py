import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cibg_ds.divide import indicators, reach, skill_estimates, typology
from cibg_ds.errors import ParameterError
from cibg_ds.io import load_commune_facts, load_computer_spaces
from cibg_ds.mobility.geo import to_metric


def _three_groups():
    rng = np.random.default_rng(0)
    centres = {"old": (30, 10), "poor": (12, 30), "mid": (18, 15)}
    rows = []
    for name, (age, unemployment) in centres.items():
        for i in range(6):
            rows.append((f"{name}{i}", age + rng.normal(0, 0.5), unemployment + rng.normal(0, 0.5)))
    return pd.DataFrame(rows, columns=["nis", "share_65plus_pct", "unemployment_pct"])


def test_three_clear_groups_are_found_and_described():
    result = typology(_three_groups(), k_range=range(2, 6), seed=0)
    assert result.k == 3
    groups = result.labels.assign(kind=result.labels["nis"].str[:-1]).groupby("kind")["group"]
    assert groups.agg(lambda g: len(set(g))).eq(1).all()  # each kind in one group
    assert result.labels["group"].nunique() == 3
    words = " | ".join(result.groups["description"])
    assert "high residents aged 65+" in words and "high unemployment rate" in words
    assert set(result.silhouettes["method"]) == {"kmeans", "hierarchical"}
    again = typology(_three_groups(), k_range=range(2, 6), seed=0)
    pd.testing.assert_frame_equal(result.labels, again.labels)
    assert "Typology" in result._repr_html_()


def test_typology_of_the_communes_and_bad_input():
    result = typology(indicators())
    assert result.labels["group"].between(1, result.k).all()
    assert result.groups["n"].sum() == 19
    with pytest.raises(ParameterError, match="k_range"):
        typology(indicators(), k_range=[1, 40])
    with pytest.raises(ParameterError, match="methods"):
        typology(indicators(), methods=("dbscan",))


@pytest.fixture(scope="module")
def table():
    return indicators()


def test_reach_from_town_centres(table):
    facts = load_commune_facts().set_index("nis")
    centre = facts.loc["21004", ["centre_lon", "centre_lat"]].astype(float)
    spaces = gpd.GeoDataFrame(
        {"name": ["at the Grand-Place"], "nis": ["21004"], "computers": [50]},
        geometry=[shapely.Point(*to_metric([centre["centre_lon"]], [centre["centre_lat"]]))],
        crs=31370,
    )
    skills = skill_estimates(table, n_sim=10)
    out = reach(table, spaces, at_risk=skills, max_distance_m=3000).set_index("nis")
    assert out.loc["21004", "distance_m"] == pytest.approx(0, abs=1e-6)
    assert out.loc["21004", "residents_per_computer"] == pytest.approx(198_674 / 50)
    assert np.isnan(out.loc["21001", "residents_per_computer"])  # no computers there
    far = out["distance_m"] > 3000
    assert far.any() and (~far).sum() > 1
    assert (out.loc[far, "at_risk_beyond"] == out.loc[far, "at_risk"]).all()
    assert (out.loc[~far, "at_risk_beyond"] == 0).all()
    assert out["at_risk"].sum() == 475_000
    assert not out.attrs["illustrative"]
    assert reach(table, load_computer_spaces()).attrs["illustrative"]


def test_reach_from_sectors_spreads_residents_by_population(table):
    spaces = load_computer_spaces().iloc[:1]  # one space in Anderlecht
    x, y = spaces.geometry.x.iloc[0], spaces.geometry.y.iloc[0]
    sectors = gpd.GeoDataFrame(
        {"nis": ["21001", "21001"], "population": [3000, 1000]},
        geometry=[
            shapely.box(x - 50, y - 50, x + 50, y + 50),
            shapely.box(x + 4950, y - 50, x + 5050, y + 50),
        ],
        crs=31370,
    )
    out = reach(table, spaces, max_distance_m=1000, sectors=sectors).set_index("nis")
    assert out.loc["21001", "at_risk_beyond"] == pytest.approx(0.25 * 129_600)
    assert out.loc["21001", "distance_m"] == pytest.approx(0.25 * 5000, abs=1)
    with pytest.raises(ParameterError, match="population"):
        reach(table, spaces, sectors=sectors.drop(columns="population"))
    with pytest.raises(ParameterError, match="max_distance_m"):
        reach(table, spaces, max_distance_m=0)
