"""The freight-traffic report: every indicator table, suppressed and checked for publication.

One call, :func:`mobility_report`, computes what the mobility notebook shows and the
pipeline ships; each table has passed :func:`cibg_ds.privacy.check_publishable`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.config import get_settings
from cibg_ds.errors import ParameterError
from cibg_ds.frames import is_dask
from cibg_ds.io.atomic import write_csv_atomic, write_geojson_atomic, write_text_atomic
from cibg_ds.mobility import (
    clean,
    default_roads,
    hourly_profile,
    od_matrix,
    od_table,
    through_share,
    unusual_days,
)
from cibg_ds.mobility.grid import cell_polygons
from cibg_ds.mobility.indicators import cleaned_indicator_tables, indicator_tables
from cibg_ds.privacy import Suppression, check_publishable, resolve_k, suppress
from cibg_ds.reports.header import source_name


def select_period(pings, start: str | None = None, end: str | None = None, tz=None):
    """Keep the fixes from local date ``start`` up to and including local date ``end``."""
    tz = tz or get_settings().timezone
    try:
        lo = pd.Timestamp(start).tz_localize(tz) if start else None
        hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(tz) if end else None
    except ValueError as exc:
        raise ParameterError(f"start/end must be dates like 2026-11-02 ({exc})") from None
    if lo is not None and hi is not None and lo >= hi:
        raise ParameterError(f"start {start} is after end {end}")
    keep = True
    if lo is not None:
        keep = pings[s.TS] >= lo
    if hi is not None:
        keep = keep & (pings[s.TS] < hi)
    return pings if keep is True else pings[keep]


def _matching_beside(kept, roads, k: int):
    """Start the matched tables; return a function that waits for them and returns them.

    On a Dask cluster they are computed in a thread of their own, so that the workers
    match the fixes while they compute the other indicators (the demo week is one
    partition: one worker for each instead of one after the other). Otherwise they are
    computed when asked for.
    """
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from cibg_ds.cluster import active_client
    from cibg_ds.reports.bottlenecks import matched_tables

    if not (is_dask(kept) and active_client() is not None):
        return functools.partial(matched_tables, kept, roads, k)
    pool = ThreadPoolExecutor(1, thread_name_prefix="map-matching")
    # in this thread's context: a client made current by ``as_current`` is one of its values
    future = pool.submit(contextvars.copy_context().run, matched_tables, kept, roads, k)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return future.result


def _vehicles_at_least(vkm: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Return a lower bound of the distinct vehicles per ``keys``: the largest hourly count.

    Every truck has one weight and one Euro class, so the classes add up within an hour;
    across hours the same truck may count again, so only the maximum is safe. Suppressing
    on a lower bound errs on the side of privacy.
    """
    hourly = vkm.groupby([*keys, "hour"], observed=True)["n_vehicles"].sum()
    return hourly.groupby(level=keys).max()


def _euro_by_commune(vkm: pd.DataFrame) -> pd.DataFrame:
    """Share of vehicle-km by Euro class per commune, with a lower bound of its vehicles."""
    km = vkm.pivot_table(index="commune", columns=s.EURO_CLASS, values="vkm", aggfunc="sum")
    km = km.reindex(columns=s.EURO_CLASSES, fill_value=0).fillna(0)
    share = km.div(km.sum(axis=1), axis=0).rename(columns=lambda e: f"euro_{e}")
    share["euro_le5"] = share[[f"euro_{e}" for e in s.EURO_CLASSES if e <= 5]].sum(axis=1)
    share["vkm"] = km.sum(axis=1)
    share["n_vehicles"] = _vehicles_at_least(vkm, ["commune"])
    share.columns.name = None
    return share.reset_index()


def _daily_by_commune(vkm: pd.DataFrame) -> pd.DataFrame:
    frame = vkm.assign(date=vkm["hour"].dt.strftime("%Y-%m-%d"))
    daily = frame.groupby(["commune", "date"], observed=True)["vkm"].sum().to_frame()
    daily["n_vehicles"] = _vehicles_at_least(frame, ["commune", "date"])
    return daily.reset_index()


def _(message: str) -> str:
    """Mark a message for the catalogue; translated where it is shown."""
    return message


@dataclasses.dataclass
class MobilityReport:
    """Published indicator tables of one period, with what their suppression blanked.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        ``cells`` (cell x daytype, with geometry), ``roads`` (segment x daytype, with
        geometry), ``congestion`` (cell, with geometry), ``hourly`` (weekday x hour),
        ``od`` (origin x destination), ``through_hour``, ``through_weight``, ``euro``
        (commune), ``anomalies`` (commune x day).
    suppression : dict of str to Suppression
    clean_report : pandas.DataFrame
        What cleaning removed, per reason (sums to the fixes read).
    meta : dict
        Period, cell size, k, network source, fix and trip counts.
    """

    tables: dict
    suppression: dict
    clean_report: pd.DataFrame
    meta: dict

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def _repr_html_(self) -> str:
        m = self.meta
        period = f"{m['period']['start'] or 'start'} to {m['period']['end'] or 'end'}"
        head = (
            f"<p><b>Freight indicators</b>, {period} ({m['period']['timezone']}): "
            f"{m['fixes_clean']:,} clean fixes of {m['fixes_read']:,} read, {m['trips']:,} "
            f"trips by {m['vehicles']:,} trucks; {m['cell']} cells; cells with fewer than "
            f"{m['k']} distinct vehicles suppressed.</p>"
        )
        return head + self.privacy_summary().to_html(index=False)

    def od_matrix(self) -> pd.DataFrame:
        """Return the 20 x 20 trip matrix (communes + outside); suppressed pairs are blank."""
        return od_matrix(self.tables["od"], value="n_trips")

    def privacy_summary(self) -> pd.DataFrame:
        """Per table: rows, rows suppressed, k, and whether it passes the check."""
        rows = []
        for name, table in self.tables.items():
            sup = self.suppression[name]
            verdict = check_publishable(pd.DataFrame(table), k=sup.k)
            rows.append((name, sup.rows, sup.cells, sup.k, verdict.ok))
        return pd.DataFrame(rows, columns=["table", "rows", "suppressed", "k", "publishable"])

    def privacy_table(self, lang: str = "en") -> pd.DataFrame:
        """Return :meth:`privacy_summary` as a reader reads it: named tables, words, ``lang``."""
        from cibg_ds.i18n import gettext

        tr = gettext(lang)
        names = {
            "cells": tr(_("grid cells")),
            "roads": tr(_("road segments")),
            "congestion": tr(_("congestion per cell")),
            "hourly": tr(_("hourly profiles")),
            "od": tr(_("origin-destination pairs")),
            "through_hour": tr(_("through traffic by hour")),
            "through_weight": tr(_("through traffic by weight class")),
            "euro": tr(_("Euro classes per commune")),
            "anomalies": tr(_("unusual days")),
            "matched_roads": tr(_("roads driven (map-matched)")),
            "bottlenecks": tr(_("truck bottlenecks")),
            "bottleneck_hours": tr(_("bottleneck delay by hour")),
        }
        summary = self.privacy_summary()
        return pd.DataFrame(
            {
                tr(_("Table")): summary["table"].map(names).fillna(summary["table"]),
                tr(_("Rows")): summary["rows"].astype("Int64"),
                tr(_("Rows suppressed")): summary["suppressed"].astype("Int64"),
                tr(_("Threshold (distinct trucks)")): summary["k"].astype("Int64"),
                tr(_("Publishable")): summary["publishable"].map({True: tr(_("yes")),
                                                                  False: tr(_("no"))}),
            }
        )  # fmt: skip

    def write(self, directory: str | os.PathLike, facts: dict | None = None) -> list[Path]:
        """Write every table (CSV; GeoJSON for the mapped ones) and ``summary.json``.

        Each file is written beside its destination and renamed into place, so a reader
        never sees half a file. ``facts`` (the report header's, :func:`cibg_ds.reports.header`)
        go into ``summary.json`` as ``report``.
        """
        out = Path(directory)
        written = []
        for name, table in self.tables.items():
            if "geometry" in table.columns:
                written.append(write_geojson_atomic(out / f"{name}.geojson", table))
                table = pd.DataFrame(table).drop(columns="geometry")
            written.append(write_csv_atomic(out / f"{name}.csv", table))
        summary = {**self.meta, "privacy": self.privacy_summary().to_dict(orient="records")}
        if facts:
            summary["report"] = facts
        text = json.dumps(summary, indent=2, default=str)
        written.append(write_text_atomic(out / "summary.json", text))
        return written


def data_days(pings, tz: str | None = None) -> tuple[str, str]:
    """Return the first and last local day of the fixes (ISO dates): the period they cover."""
    import dask

    tz = tz or get_settings().timezone
    low, high = pings[s.TS].min(), pings[s.TS].max()
    if is_dask(pings):
        low, high = dask.compute(low, high)
    return _local_days(low, high, tz)


def _local_days(low, high, tz: str) -> tuple[str, str]:
    return tuple(pd.Timestamp(t).tz_convert(tz).date().isoformat() for t in (low, high))


PIECES_PER_PARTITION = 1
"""Pieces of whole units per partition of the fixes read, by default (:func:`report_pieces`)."""


def report_pieces(pings) -> int:
    """Return how many pieces of whole units :func:`mobility_report` makes of Dask ``pings``.

    :data:`PIECES_PER_PARTITION` per partition; a frame of one partition stays one piece
    (each unit is in it already: nothing is regrouped).
    """
    n = pings.npartitions
    return n if n == 1 else n * PIECES_PER_PARTITION


def _geo(table: pd.DataFrame, geometry):
    import geopandas as gpd

    return gpd.GeoDataFrame(table, geometry=np.asarray(geometry), crs=geometry.crs)


def mobility_report(
    pings,
    *,
    cell="250m",
    k=None,
    roads=None,
    start=None,
    end=None,
    gap="5min",
    matched=False,
    pieces=None,
) -> MobilityReport:
    """Compute, suppress and check every freight indicator of one period.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Canonical pings (raw: they are cleaned here, and what was removed is reported).
    cell : str
        Grid cell size (``"100m"``, ``"250m"``, ``"1km"``).
    k : int, optional
        Minimum distinct vehicles per published cell (default the ``k_anonymity`` setting).
    roads : geopandas.GeoDataFrame, optional
        From :func:`cibg_ds.io.load_roads`; default the embedded OpenStreetMap truck network.
    start, end : str, optional
        Local dates (inclusive) of the period.
    gap : str
        Silence that ends a trip.
    matched : bool
        Also map-match the fixes (:func:`cibg_ds.mobility.map_match`) and add the tables
        ``matched_roads`` (segment x daytype: every road driven, between fixes too),
        ``bottlenecks`` (the top 10 by truck delay, with rank intervals) and
        ``bottleneck_hours`` (their delay per hour); see :func:`matched_tables`.
    pieces : int, optional
        On Dask: how many partitions of whole units the fixes are regrouped into and
        cleaned and tabulated one by one, so that no frame of all the clean fixes is held
        (default :func:`report_pieces`; more pieces, less memory a worker). Each unit's
        whole history is in one piece: trips, stops and vehicle-km (across midnight too)
        and the tables are those of one frame, their float sums up to rounding. With
        ``matched`` the clean fixes are persisted whole for the map matching instead.

    Returns
    -------
    MobilityReport
        The published (suppressed) tables, what suppression blanked, the cleaning
        report and the period's metadata.

    Raises
    ------
    cibg_ds.privacy.PrivacyError
        If a table would not pass the check (a bug, never expected).
    ParameterError
        For an empty period.

    Examples
    --------
    A day of eight simulated trucks:

    >>> import datetime as dt
    >>> from cibg_ds.synthetic.feed import simulate_chunk
    >>> from cibg_ds.synthetic.fleet import make_truck
    >>> from cibg_ds.synthetic.network import build_network
    >>> net = build_network()
    >>> pings = simulate_chunk([make_truck(i, 0, net) for i in range(8)], dt.date(2026, 11, 3),
    ...                        0, net, "k", "Europe/Brussels")
    >>> report = mobility_report(pings, cell="1km")
    >>> report.meta["fixes_read"] == len(pings), report.meta["k"]
    (True, 5)
    >>> cells = report["cells"]
    >>> bool((cells.loc[~cells["suppressed"], "n_vehicles"] >= 5).all())
    True
    """
    k = resolve_k(k)
    tz = get_settings().timezone
    roads = default_roads() if roads is None else roads
    selected = select_period(pings, start, end, tz)
    empty = ParameterError(f"no clean fixes between {start or 'the start'} and {end or 'the end'}")
    if is_dask(selected) and not matched:
        # piece by piece: each partition of whole units cleaned and tabulated in one task
        pieces = report_pieces(selected) if pieces is None else pieces
        fixes, clean_report, span = cleaned_indicator_tables(
            selected, cell=cell, roads=roads, by="daytype", tz=tz, gap=gap, pieces=pieces
        )
        n_fixes = span["fixes"]
        if n_fixes == 0:
            raise empty
        days = _local_days(span["first"], span["last"], tz)
    else:
        kept, clean_report = clean(selected, persist=True)
        # clean left each unit in one partition, and persisted the fixes in its own pass
        n_fixes = len(kept)
        if n_fixes == 0:
            raise empty
        # map matching is independent of the other tables: on a cluster it runs beside them
        matching = _matching_beside(kept, roads, k) if matched else None
        # one pass over each partition of units: sorted, cut, projected and snapped once
        fixes = indicator_tables(kept, cell=cell, roads=roads, by="daytype", tz=tz, gap=gap)
        days = data_days(kept, tz)
    trips, stops, vkm = fixes["trips"], fixes["stops"], fixes["vkm"]
    raw = {
        "cells": fixes["cells"],
        "roads": fixes["roads"],
        "congestion": fixes["congestion"],
        "hourly": hourly_profile(vkm, by="weekday"),
        "od": od_table(trips),
        "through_hour": through_share(trips, "hour", stops=stops, tz=tz),
        "through_weight": through_share(trips, s.WEIGHT_CLASS, stops=stops, tz=tz),
        "euro": _euro_by_commune(vkm),
        "anomalies": unusual_days(_daily_by_commune(vkm), min_vehicles=k),  # same day type
    }
    if matched:
        raw.update(matching())
    unsnapped = raw["roads"].attrs.get("unsnapped_fixes", 0)
    tables, suppression = {}, {}
    for name, table in raw.items():
        published, report = suppress(table, k=k)
        check_publishable(published, k=k).raise_if_not(f"mobility table {name!r}")
        tables[name], suppression[name] = published, report
    tables["cells"] = _geo(tables["cells"], cell_polygons(tables["cells"]["cell_id"]))
    tables["congestion"] = _geo(
        tables["congestion"], cell_polygons(tables["congestion"]["cell_id"])
    )
    lines = roads.drop_duplicates("segment_id").set_index("segment_id").geometry
    tables["roads"] = _geo(
        tables["roads"], lines.loc[tables["roads"]["segment_id"]].set_crs(roads.crs)
    )
    tables["roads"].attrs.update({a: roads.attrs[a] for a in ("attribution",) if a in roads.attrs})
    if matched:
        tables["matched_roads"] = _geo(
            tables["matched_roads"],
            lines.loc[tables["matched_roads"]["segment_id"]].set_crs(roads.crs),
        )
        tables["matched_roads"].attrs.update(tables["roads"].attrs)
    first, last = days
    meta = {
        "period": {"start": first, "end": last, "timezone": tz, "requested": [start, end]},
        "cell": cell,
        "k": k,
        "roads": source_name(roads.attrs.get("source", "given")),
        "roads_schematic": bool(roads.attrs.get("schematic", False)),
        "fixes_read": int(clean_report["fixes"].sum()),
        "fixes_clean": int(n_fixes),
        "fixes_off_road": int(unsnapped),
        "trips": len(trips),
        "vehicles": int(trips[s.OBU_ID].nunique()),
    }
    return MobilityReport(tables, suppression, clean_report, meta)


__all__ = [
    "MobilityReport",
    "Suppression",
    "data_days",
    "mobility_report",
    "report_pieces",
    "select_period",
]
