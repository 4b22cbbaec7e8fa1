import pandas as pd
import pytest

from cibg_ds.io import read_pings


@pytest.fixture(scope="session")
def dirty_frame(sim_dirty) -> pd.DataFrame:
    """The dirty simulated feed as one pandas frame, in file order."""
    return read_pings(sim_dirty.out).compute().reset_index(drop=True)
