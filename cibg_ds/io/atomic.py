"""Atomic writes: a product appears whole at its path, or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cibg_ds.crs import WEB_CRS


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    r"""Yield a temporary path beside ``path``; rename it into place when the block succeeds.

    The temporary name keeps the suffix (writers that pick a format from it still do),
    starts with a dot and holds ``.tmp``; it is removed when the block fails, so an
    interrupted write leaves nothing at ``path``. Parent folders are created.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("a,b\n")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('a,b\n', ['table.csv'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination file; parent folders are created.
    text : str
        What the file holds.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_parquet_atomic(df, path: str | os.PathLike, **kwargs) -> Path:
    """Write ``df`` to Parquet through a temporary file renamed into place.

    An interrupted write leaves no half-written file at ``path``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (its index is not written).
    path : path-like
        Destination file; parent folders are created.
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_parquet`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, **kwargs)
    return Path(path)


def write_csv_atomic(path: str | os.PathLike, table) -> Path:
    """Write a table as CSV (UTF-8 with a byte-order mark, for Excel; no index), atomically.

    Parameters
    ----------
    path : path-like
        Destination file; parent folders are created.
    table : pandas.DataFrame
        The table.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")  # Excel reads the accents
    return Path(path)


def write_geojson_atomic(path: str | os.PathLike, gdf) -> Path:
    """Write a GeoDataFrame as GeoJSON in WGS84, atomically.

    Parameters
    ----------
    path : path-like
        Destination file; parent folders are created. The layer is named after it.
    gdf : geopandas.GeoDataFrame
        The features, in any CRS.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:  # the layer is named after the file, not the temporary
        gdf.to_crs(WEB_CRS).to_file(tmp, driver="GeoJSON", layer=Path(path).stem)
    return Path(path)
