import pytest

from cibg_ds.mobility import (
    detect_stops,
    od_matrix,
    od_table,
    segment_trips,
    through_share,
    through_trips,
)
from cibg_ds.privacy import check_publishable, suppress


@pytest.fixture(scope="module")
def trips(kept):
    return segment_trips(kept)


def test_od_table_and_matrix(trips):
    table = od_table(trips)
    assert table["n_trips"].sum() == len(trips)
    matrix = od_matrix(table)
    assert matrix.shape == (20, 20) and matrix.index[-1] == "outside"
    assert matrix.sum().sum() == len(trips)
    published, report = suppress(table)
    assert check_publishable(published).ok and report.cells > 0
    shown = od_matrix(published)
    assert shown.sum().sum() < len(trips)  # small cells are blanked


def test_through_traffic(kept, trips):
    stops = detect_stops(kept)
    flags = through_trips(trips, stops=stops)
    through = trips[flags]
    assert 0 < len(through) < len(trips)
    assert (through["start_commune"] == "outside").all() and (through["n_fixes_inside"] > 0).all()
    assert flags.sum() <= through_trips(trips).sum()  # a stop inside only removes trips
    by_hour = through_share(trips, "hour", stops=stops)
    assert by_hour["n_trips"].sum() == len(trips) and by_hour["n_through"].sum() == flags.sum()
    by_weight = through_share(trips, "weight_class", stops=stops).set_index("weight_class")
    # heavy trucks are the through traffic of the simulated fleet
    assert by_weight.loc[">32t", "share_through"] > by_weight.loc["3.5-12t", "share_through"]
