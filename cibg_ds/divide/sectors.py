"""Sector-level indicators: where within each commune the risk sits.

Statbel's households-and-cars table (``TF_CAR_HH_SECTOR``) gives, per statistical sector,
the number of private households and the number of cars registered to them; joined to the
sector polygons (:func:`cibg_ds.io.load_sectors`) it maps car dependence and car-less
households, a mobility and exclusion indicator. With 720 sectors (against 19 communes) the
tests of spatial autocorrelation have real power.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import ParameterError
from cibg_ds.io.sectors import SECTOR
from cibg_ds.schema import NAME_FR, NAME_NL, NIS

MIN_HOUSEHOLDS = 50
"""Sectors with fewer households get no indicator (suppressed): ratios on a handful of
households are unstable and may disclose a household."""
WEIGHTS_NOTE = (
    "Queen contiguity (polygons sharing a border or a corner), row-standardised, on the "
    "sectors with a value; {n} sectors, 999 permutations."
)
INDICATOR_COLUMNS = ("cars_per_household", "share_without_car_min_pct")
SECTOR_COLUMNS_OUT = (
    SECTOR, NIS, NAME_FR, NAME_NL, "households", "cars", *INDICATOR_COLUMNS, "suppressed",
)  # fmt: skip


def sector_car_indicators(cars: pd.DataFrame, sectors, *, min_households: int = MIN_HOUSEHOLDS):
    """Return households, cars and car-lessness per statistical sector, with the polygons.

    Parameters
    ----------
    cars : pandas.DataFrame
        From :func:`cibg_ds.io.households_cars` (``sector``, ``households``, ``cars``).
    sectors : geopandas.GeoDataFrame
        From :func:`cibg_ds.io.load_sectors`.
    min_households : int
        Sectors with fewer households are suppressed: counts and indicators set to NA,
        ``suppressed`` True.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per sector polygon: ``sector``, ``nis``, ``name_fr``, ``name_nl``,
        ``households``, ``cars``, ``cars_per_household`` and
        ``share_without_car_min_pct``, ``suppressed``, ``geometry`` (EPSG:31370).
        The file counts cars, not car-less households: since a household with a car has
        at least one, at least ``households - cars`` households have none, so
        ``share_without_car_min_pct = max(0, 1 - cars / households)`` is a lower bound of
        the share of households without a car. ``attrs`` count the sectors of the table
        without a polygon (``unmatched_rows``, e.g. the ``...ZZZZ`` "unknown sector" rows
        and codes renumbered between editions) and the polygons without data.
    """
    checks.frame("cars", cars, dask=False), checks.frame("sectors", sectors, geo=True)
    checks.integer("min_households", min_households, 1)
    missing = [c for c in (SECTOR, "households", "cars") if c not in cars.columns]
    if missing:
        raise ParameterError(f"cars table lacks {missing}; read it with cd.io.households_cars")
    data = cars.groupby(SECTOR, as_index=False)[["households", "cars"]].sum(min_count=1)
    out = sectors[[SECTOR, NIS, NAME_FR, NAME_NL, "geometry"]].merge(data, on=SECTOR, how="left")
    households = out["households"].to_numpy(float)
    suppressed = ~(households >= min_households)
    ratio = out["cars"].to_numpy(float) / np.where(households > 0, households, np.nan)
    out["cars_per_household"] = np.where(suppressed, np.nan, ratio)
    out["share_without_car_min_pct"] = np.where(
        suppressed, np.nan, 100 * np.clip(1 - ratio, 0, None)
    )
    for count in ("households", "cars"):
        out[count] = out[count].where(~suppressed)
    out["suppressed"] = suppressed
    columns = [*SECTOR_COLUMNS_OUT, "geometry"]
    out = out[columns].set_crs(sectors.crs, allow_override=True)
    out.attrs.update(
        dict(sectors.attrs),
        min_households=min_households,
        unmatched_rows=int((~cars[SECTOR].isin(sectors[SECTOR])).sum()),
        sectors_without_data=int((~out[SECTOR].isin(data[SECTOR])).sum()),
        suppressed=int(suppressed.sum()),
    )
    return out


def sector_autocorrelation(gdf, column: str, *, permutations: int = 999, seed: int = 0):
    """Return global Moran's I and the LISA of ``column`` over the sectors that have a value.

    Weights: Queen contiguity, row-standardised, built on the sectors with a value
    (suppressed sectors are left out, and a sector that then has no neighbour too).

    Returns
    -------
    tuple of (dict, pandas.DataFrame)
        As :func:`cibg_ds.divide.moran` and :func:`cibg_ds.divide.local_moran`, keyed by
        ``sector``; ``note`` states the weights and the number of sectors.
    """
    from cibg_ds.divide.spatial import local_moran, moran, queen_weights

    checks.frame("gdf", gdf, geo=True), checks.column("column", column, gdf, numeric=True)
    checks.integer("permutations", permutations, 1), checks.integer("seed", seed, 0)
    data = gdf[gdf[column].notna()].reset_index(drop=True)
    w = queen_weights(data, id_column=SECTOR, allow_islands=True)
    if w.islands:
        data = data[~data[SECTOR].isin(w.islands)].reset_index(drop=True)
    note = WEIGHTS_NOTE.format(n=len(data))
    glob = moran(data, column, permutations=permutations, seed=seed, id_column=SECTOR)
    glob["note"] = note
    lisa = local_moran(data, column, permutations=permutations, seed=seed, id_column=SECTOR)
    lisa.attrs["note"] = note
    return glob, lisa
