"""Reach of public computer spaces: computers per resident, distance, residents left out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS


def _nearest(points_xy: np.ndarray, spaces) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from each point to the nearest space, and that space's row."""
    xy = np.column_stack([spaces.geometry.x.to_numpy(), spaces.geometry.y.to_numpy()])
    d = np.hypot(points_xy[:, None, 0] - xy[None, :, 0], points_xy[:, None, 1] - xy[None, :, 1])
    return d.min(axis=1), d.argmin(axis=1)


def _centres() -> pd.DataFrame:
    from cibg_ds.crs import to_metric
    from cibg_ds.io import load_commune_facts

    facts = load_commune_facts()
    x, y = to_metric(facts["centre_lon"], facts["centre_lat"])
    return pd.DataFrame({NIS: facts[NIS].astype(str), "x": x, "y": y})


def reach(
    table: pd.DataFrame,
    spaces,
    *,
    at_risk: pd.DataFrame | None = None,
    max_distance_m: float = 1500.0,
    sectors=None,
) -> pd.DataFrame:
    """How well public computer spaces reach each commune.

    Parameters
    ----------
    table : pandas.DataFrame
        Indicators (``nis``, ``population``).
    spaces : geopandas.GeoDataFrame
        From :func:`cibg_ds.io.load_computer_spaces` (EPSG:31370 points, ``computers``).
    at_risk : pandas.DataFrame, optional
        :func:`cibg_ds.divide.skill_estimates` (``nis``, ``limited``): the residents at
        risk. Default: the whole population.
    max_distance_m : float
        Residents farther than this (straight line) from every space count as not reached.
    sectors : geopandas.GeoDataFrame, optional
        Statistical sectors with ``nis`` (commune) and ``population``: distances are then
        measured from each sector's centroid and the at-risk residents spread over the
        sectors in proportion to their population. Default: from each commune's town
        centre (the whole commune near or far).

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``name_fr``, ``population``, ``computers``, ``residents_per_computer``
        (NaN where a commune has none), ``distance_m`` (town centre, or population-weighted
        mean over sectors), ``nearest_space``, ``at_risk``, ``at_risk_beyond``,
        ``share_beyond_pct``. ``attrs``: ``max_distance_m``, ``from`` and
        ``illustrative`` (when the spaces are the embedded sample).
    """
    checks.frame("table", table, dask=False), checks.frame("spaces", spaces, geo=True)
    checks.frame("at_risk", at_risk, dask=False, optional=True)
    checks.frame("sectors", sectors, geo=True, optional=True)
    checks.positive("max_distance_m", max_distance_m)
    if len(spaces) == 0:
        raise ParameterError("no computer spaces given")
    spaces = spaces.to_crs(31370)
    out = table[[NIS, *([NAME_FR] if NAME_FR in table.columns else []), "population"]].copy()
    out[NIS] = out[NIS].astype(str)
    computers = spaces.groupby(NIS)["computers"].sum()
    out["computers"] = out[NIS].map(computers).fillna(0).astype(int).to_numpy()
    with np.errstate(divide="ignore"):
        out["residents_per_computer"] = np.where(
            out["computers"] > 0, out["population"] / out["computers"].clip(lower=1), np.nan
        )
    risk = out["population"] if at_risk is None else out[NIS].map(at_risk.set_index(NIS)["limited"])
    out["at_risk"] = risk.to_numpy(float)
    names = spaces["name"].to_numpy()
    if sectors is None:
        centres = _centres().set_index(NIS).loc[out[NIS]]
        distance, nearest = _nearest(centres[["x", "y"]].to_numpy(), spaces)
        out["distance_m"] = distance
        out["nearest_space"] = names[nearest]
        out["at_risk_beyond"] = np.where(distance > max_distance_m, out["at_risk"], 0.0)
        origin = "commune town centres"
    else:
        missing = [c for c in (NIS, "population") if c not in sectors.columns]
        if missing:
            raise ParameterError(f"sectors need columns {missing} (commune NIS and population)")
        sec = sectors.to_crs(31370)
        centroid = sec.geometry.centroid
        distance, nearest = _nearest(np.column_stack([centroid.x, centroid.y]), spaces)
        frame = pd.DataFrame(
            {
                NIS: sec[NIS].astype(str).to_numpy(),
                "pop": sec["population"].to_numpy(float),
                "d": distance,
                "far": distance > max_distance_m,
            }
        )
        frame["share"] = frame["pop"] / frame.groupby(NIS)["pop"].transform("sum")
        grouped = frame.groupby(NIS)
        weighted = (frame["d"] * frame["share"]).groupby(frame[NIS]).sum()
        far_share = (frame["share"] * frame["far"]).groupby(frame[NIS]).sum()
        out["distance_m"] = out[NIS].map(weighted).to_numpy()
        out["nearest_space"] = out[NIS].map(grouped.size()).map(lambda n: f"{n} sectors")
        out["at_risk_beyond"] = out["at_risk"] * out[NIS].map(far_share).fillna(0).to_numpy()
        origin = "statistical sector centroids (population-weighted)"
    out["share_beyond_pct"] = 100 * out["at_risk_beyond"] / out["at_risk"]
    out.attrs = dict(
        max_distance_m=max_distance_m,
        origin=origin,
        illustrative=bool(spaces.attrs.get("illustrative", False)),
    )
    return out
