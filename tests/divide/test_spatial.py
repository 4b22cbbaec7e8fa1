import geopandas as gpd
import numpy as np
import pytest
import shapely

from cibg_ds.divide import indicators, local_moran, moran, queen_weights
from cibg_ds.errors import ParameterError
from cibg_ds.io import load_commune_facts


@pytest.fixture
def strip():
    """Four unit squares in a row, values 1, 2, 3, 4: neighbours 1-2, 2-3, 3-4."""
    squares = [shapely.box(i, 0, i + 1, 1) for i in range(4)]
    return gpd.GeoDataFrame(
        {"nis": ["a", "b", "c", "d"], "v": [1.0, 2.0, 3.0, 4.0]}, geometry=squares, crs=31370
    )


def test_global_moran_equals_the_value_worked_out_by_hand(strip):
    # z = (-1.5, -0.5, 0.5, 1.5), sum z^2 = 5; row-standardised weights (S0 = n):
    # I = sum_i sum_j w_ij z_i z_j / sum z^2 = (0.75 + 0.25 + 0.25 + 0.75) / 5 = 0.4
    result = moran(strip, "v", permutations=99, seed=1)
    assert result["I"] == pytest.approx(0.4)
    assert result["EI"] == pytest.approx(-1 / 3)
    assert result["n"] == 4 and "low power" in result["note"]
    again = moran(strip, "v", permutations=99, seed=1)
    assert again["p_sim"] == result["p_sim"]


def test_local_moran_by_hand(strip):
    # esda (Anselin 1995): I_i = (n - 1) z_i lag_i / sum z^2, with sum z^2 = 5, n = 4:
    # I_a = 3 * (-1.5) * (-0.5) / 5 = 0.45; I_b = 3 * (-0.5) * mean(-1.5, 0.5) / 5 = 0.15
    lisa = local_moran(strip, "v", permutations=99, seed=0)
    assert lisa["Ii"].tolist() == pytest.approx([0.45, 0.15, 0.15, 0.45])
    assert lisa["quadrant"].tolist() == ["LL", "LL", "HH", "HH"]
    assert lisa["p_sim"].between(0, 1).all() and "low power" in lisa.attrs["note"]


def test_queen_weights_of_the_real_boundaries_match_the_reference_table(communes_geojson):
    gdf = gpd.read_file(communes_geojson)
    w = queen_weights(gdf)
    facts = load_commune_facts().set_index("nis")["neighbours"].str.split(";")
    for nis, expected in facts.items():
        assert sorted(w.neighbors[nis]) == sorted(expected), nis
    assert all(np.isclose(sum(ws), 1.0) for ws in w.weights.values())  # row-standardised


def test_income_clusters_on_the_real_map(communes_geojson):
    gdf = gpd.read_file(communes_geojson).merge(indicators()[["nis", "income_eur"]], on="nis")
    result = moran(gdf, "income_eur", permutations=999, seed=0)
    assert result["I"] > result["EI"]  # the rich south-east and the poorer canal zone
    lisa = local_moran(gdf, "income_eur", seed=0).set_index("nis")
    assert lisa.loc["21019", "quadrant"] == "HH" and lisa.loc["21012", "quadrant"] == "LL"


def test_bad_input(strip):
    with pytest.raises(ParameterError, match="column must be a column of the table, got 'x'"):
        moran(strip, "x")
    with pytest.raises(ParameterError, match="missing values"):
        moran(strip.assign(v=[1.0, np.nan, 2.0, 3.0]), "v")
    island = strip.copy()
    island.loc[3, "geometry"] = shapely.box(10, 10, 11, 11)
    with pytest.raises(ParameterError, match="no Queen neighbour"):
        moran(island, "v")


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_esda_kernels_kept_on_disk_give_esda_s_own_lisa(communes_geojson):
    import esda

    from cibg_ds.divide.spatial import cache_esda_kernels, queen_weights

    gdf = gpd.read_file(communes_geojson).merge(indicators()[["nis", "income_eur"]], on="nis")
    assert cache_esda_kernels() >= 3  # esda's permutation kernels cache on disk now
    assert esda.crand.vec_permutations._cache.__class__.__name__ == "FunctionCache"
    ours = local_moran(gdf, "income_eur", permutations=199, seed=3)
    y = gdf["income_eur"].to_numpy(float)
    theirs = esda.Moran_Local(y, queen_weights(gdf), permutations=199, seed=3)
    np.testing.assert_array_equal(ours["p_sim"].to_numpy(), theirs.p_sim)
    np.testing.assert_array_equal(ours["Ii"].to_numpy(), theirs.Is)
