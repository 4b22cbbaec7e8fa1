"""Rebuild the embedded truck road network from the shared OpenStreetMap extract.

Usage (from the project root)::

    .venv/bin/python tools/build_roads.py [../shared/data/brussels_roads_osm_2013.gpkg]

Writes ``cibg_ds/data/brussels_truck_roads.parquet`` (GeoParquet, zstd) and prints its
size. Data © OpenStreetMap contributors, ODbL 1.0: the derived network stays ODbL.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "brussels_roads_osm_2013.gpkg"
TARGET = ROOT / "cibg_ds" / "data" / "brussels_truck_roads.parquet"


def main(argv: list[str]) -> int:
    """Build the network from the extract named in ``argv`` (default: the shared one)."""
    import geopandas as gpd

    from cibg_ds.io.atomic import atomic_path
    from cibg_ds.io.osm import truck_network

    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    network = truck_network(gpd.read_file(source))
    with atomic_path(TARGET) as tmp:
        network.to_parquet(tmp, compression="zstd", index=False)
    km = network["length_m"].sum() / 1000
    print(f"{TARGET.relative_to(ROOT)}: {len(network):,} segments, {km:,.0f} km, "
          f"{TARGET.stat().st_size / 1024:,.0f} KiB (from {source.name})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
