"""Rebuild the embedded statistical sectors and the sector households-and-cars table.

Usage (from the project root)::

    .venv/bin/python tools/build_sectors.py [SECTORS_FILE [TF_CAR_HH_SECTOR_FILE]]

Defaults are the files of ``../shared/data``. Writes
``cibg_ds/data/brussels_sectors_2021.parquet`` (GeoParquet, EPSG:31370) and
``cibg_ds/data/brussels_households_cars_2019.csv``, and prints their sizes.
Source: Statbel open data (reuse with attribution).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "cibg_ds" / "data"


def main(argv: list[str]) -> int:
    """Build both files from the sources named in ``argv`` (default: the shared ones)."""
    import shapely

    from cibg_ds.io.atomic import atomic_path, write_text_atomic
    from cibg_ds.io.sectors import load_sectors
    from cibg_ds.io.statbel import households_cars

    sectors_src = Path(argv[0]) if argv else SHARED / "brussels_statistical_sectors_2021.geojson"
    cars_src = Path(argv[1]) if len(argv) > 1 else SHARED / "TF_CAR_HH_SECTOR.txt"
    sectors = load_sectors(sectors_src)
    sectors = sectors.set_geometry(shapely.set_precision(sectors.geometry.to_numpy(), 0.1))
    sectors.attrs = {}
    target = DATA / "brussels_sectors_2021.parquet"
    with atomic_path(target) as tmp:
        sectors.to_parquet(tmp, compression="zstd", index=False)
    cars = households_cars(cars_src)
    cars[["households", "cars"]] = cars[["households", "cars"]].astype("int64")
    table = DATA / "brussels_households_cars_2019.csv"
    write_text_atomic(table, cars.to_csv(index=False))
    for path in (target, table):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:,.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
