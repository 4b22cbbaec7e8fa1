import datetime as dt

import pandas as pd
import pytest

from cibg_ds.synthetic.feed import simulate_chunk
from cibg_ds.synthetic.fleet import make_truck
from cibg_ds.synthetic.network import build_network


@pytest.fixture(scope="session")
def two_days() -> pd.DataFrame:
    """Two days of 120 trucks (Tuesday and Wednesday), in feed order."""
    net = build_network()
    trucks = [make_truck(i, 9, net) for i in range(120)]
    days = [dt.date(2026, 11, 3), dt.date(2026, 11, 4)]
    frames = [simulate_chunk(trucks, d, 9, net, "k", "Europe/Brussels") for d in days]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def kept(two_days) -> pd.DataFrame:
    """The two days after cleaning."""
    from cibg_ds.mobility import clean

    return clean(two_days)[0]
