"""Fixes snapped to the nearest road segment, and the per-segment indicators."""

from __future__ import annotations

import collections
import hashlib
import threading

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import ParameterError
from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility.aggregate import aggregate_places
from cibg_ds.mobility.geo import METRIC_CRS, to_metric
from cibg_ds.mobility.segments import SegmentGrid
from cibg_ds.mobility.tracks import gap_ns

SNAP_DISTANCE_M = 30.0
_SNAPPED: collections.OrderedDict = collections.OrderedDict()
_SNAPPED_KEPT = 4
_SNAPPED_LOCK = threading.Lock()
"""How many sets of snapped points a process keeps (a partition's: 16 bytes a fix)."""


def default_roads():
    """Return the embedded truck network (OpenStreetMap, see :func:`cibg_ds.io.load_roads`).

    The synthetic feed drives on it too. ``attrs["attribution"]`` names the source.
    """
    from cibg_ds.io.roads import load_roads

    return load_roads()


class RoadSnapper:
    """Places each point on the nearest road segment within ``max_distance_m``.

    A grid of the segments' pieces (:class:`cibg_ds.mobility.segments.SegmentGrid`, the map
    matcher's too), queried for all points at once (every segment within the radius, then
    the nearest by exact distance, as GEOS answers); a point farther than
    ``max_distance_m`` from every segment gets no segment (``<NA>``). Of equidistant
    segments (a point on a junction) the first in the table wins. Pickles without its
    grid, so it travels to Dask workers cheaply.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines with a ``segment_id`` column (see :func:`cibg_ds.io.load_roads`).
    max_distance_m : float
        Snapping radius in metres (default 30).
    """

    key = SEGMENT
    vkm_at = "ends"
    """Half of a fix-to-fix segment's km to the road of each fix (see ``aggregate_places``)."""

    def __init__(self, roads, *, max_distance_m: float = SNAP_DISTANCE_M):
        checks.frame("roads", roads, geo=True, dask=False)
        checks.positive("max_distance_m", max_distance_m)
        if SEGMENT not in roads.columns:
            raise ParameterError(f"roads need a {SEGMENT!r} column; load them with load_roads()")
        import shapely

        self.lines = roads.to_crs(METRIC_CRS).geometry.to_numpy()
        self.ids = roads[SEGMENT].to_numpy()
        self.max_distance_m = float(max_distance_m)
        self._tree = None
        digest = hashlib.blake2b(repr(self.max_distance_m).encode(), digest_size=16)
        for wkb in shapely.to_wkb(self.lines):
            digest.update(wkb)
        self._network = digest.digest()  # the same network and radius, in any process

    def __getstate__(self):
        return {**self.__dict__, "_tree": None}

    def snap(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Return the row of the nearest segment (-1 for none) and the distance in metres.

        The answers for the last few sets of points are kept per process (keyed by the
        network and the points' coordinates, not by object): a report's fix statistics and
        its vehicle-km snap each partition once between them, on Dask too.
        """
        lon = np.ascontiguousarray(lon, dtype=float)
        lat = np.ascontiguousarray(lat, dtype=float)
        digest = hashlib.blake2b(self._network, digest_size=16)
        digest.update(lon.tobytes())
        digest.update(lat.tobytes())
        key = digest.digest()
        with _SNAPPED_LOCK:  # a worker's threads share the memo
            known = _SNAPPED.get(key)
        if known is None:
            known = self._snap(lon, lat)
            with _SNAPPED_LOCK:
                _SNAPPED[key] = known
                while len(_SNAPPED) > _SNAPPED_KEPT:
                    _SNAPPED.popitem(last=False)
        rows, distance = known
        return rows.copy(), distance.copy()

    def _snap(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = to_metric(lon, lat)
        if self._tree is None:
            self._tree = SegmentGrid(self.lines, self.max_distance_m)
        return self._tree.nearest(x, y)

    def snap_geos(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`snap` by GEOS (an STR-tree ``dwithin`` query, then ``distance``): the reference.

        Slower; kept to check :meth:`snap` against (the tests do).
        """
        import shapely

        x, y = to_metric(lon, lat)
        points = shapely.points(x, y)
        tree = shapely.STRtree(self.lines)
        # every segment within the radius, then the nearest per point (ties: first segment)
        point, line = tree.query(points, predicate="dwithin", distance=self.max_distance_m)
        dist = shapely.distance(points[point], self.lines[line])
        order = np.lexsort((line, dist, point))
        first = order[np.r_[True, point[order][1:] != point[order][:-1]]] if len(order) else order
        rows = np.full(len(x), -1, dtype=np.int64)
        distance = np.full(len(x), np.nan)
        rows[point[first]], distance[point[first]] = line[first], dist[first]
        return rows, distance

    def __call__(self, lon, lat) -> pd.api.extensions.ExtensionArray:
        """Return the ``segment_id`` of each point, ``<NA>`` beyond the snapping radius."""
        rows, _ = self.snap(lon, lat)
        ids = pd.array(self.ids[np.maximum(rows, 0)])
        ids[rows < 0] = pd.NA
        return ids


def aggregate_roads(
    pings,
    *,
    roads=None,
    by="hour",
    max_distance_m: float = SNAP_DISTANCE_M,
    tz=None,
    gap="5min",
    matched: bool = False,
) -> pd.DataFrame:
    """Aggregate fixes per road segment x time bin, as :func:`aggregate` does per cell.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings.
    roads : geopandas.GeoDataFrame, optional
        Segments from :func:`cibg_ds.io.load_roads`. Default: :func:`default_roads`.
    by, tz, gap
        As in :func:`aggregate`.
    max_distance_m : float
        Fixes farther than this from every road are left out and counted in
        ``attrs["unsnapped_fixes"]``; so is their half of the ``vkm`` of the segments
        they end (the other half goes to the road of the fix at the other end).
    matched : bool
        Map-match the fixes first (:func:`cibg_ds.mobility.map_match`, candidate radius
        ``max_distance_m``, default then 50 m) and count every edge driven, between fixes
        too: ``n_vehicles`` and ``vkm`` from the matched paths, speeds from the edges'
        entry and exit times, plus ``n_traversals`` and ``attrs["breaks"]`` (see
        :func:`cibg_ds.mobility.matched_roads.aggregate_matched`).

    Returns
    -------
    pandas.DataFrame
        ``segment_id``, the bin column(s), the columns of :func:`aggregate`, and the road's
        ``road_class`` (or OSM ``highway``) when the network has one.
    """
    checks.frame("pings", pings)
    checks.frame("roads", roads, geo=True, optional=True)
    checks.positive("max_distance_m", max_distance_m), checks.time_zone("tz", tz)
    gap_ns(gap)
    roads = default_roads() if roads is None else roads
    if matched:
        from cibg_ds.mobility.matched_roads import aggregate_matched

        radius = None if max_distance_m == SNAP_DISTANCE_M else max_distance_m
        out = aggregate_matched(pings, roads, by, tz, gap, radius)
        return _with_class(out, roads)
    place = RoadSnapper(roads, max_distance_m=max_distance_m)
    return finish_roads(aggregate_places(pings, place, by, tz, gap), place, roads, len(pings))


def finish_roads(out: pd.DataFrame, place: RoadSnapper, roads, n_pings: int) -> pd.DataFrame:
    """Give the per-segment table of ``n_pings`` fixes its ids' dtype, road class and attrs."""
    out[SEGMENT] = out[SEGMENT].astype(pd.Series(place.ids).dtype)
    out = _with_class(out, roads)
    out.attrs["unsnapped_fixes"] = int(n_pings - out["n_fixes"].sum())
    out.attrs["max_distance_m"] = place.max_distance_m
    return out


def _with_class(out: pd.DataFrame, roads) -> pd.DataFrame:
    """Insert the road's ``road_class`` (or OSM ``highway``) after ``segment_id``."""
    for column in ("road_class", "highway"):
        if column in roads.columns:
            classes = roads.drop_duplicates(SEGMENT).set_index(SEGMENT)[column]
            out.insert(1, column, out[SEGMENT].map(classes))
            break
    return out
