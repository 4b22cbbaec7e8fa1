"""The privacy gate of client bundles: every shipped file is checked by its content.

Tables (CSV, Parquet, GeoJSON, tabular JSON) go through
:func:`cibg_ds.privacy.check_publishable`; every text file (HTML, JSON, notebooks, text,
SVG, CSV) is also searched for values that look like unit ids and for id column headers;
images must be what their name says. A file the gate cannot read, or of a type it does
not know, is refused: nothing leaves unchecked.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import pandas as pd

from cibg_ds.privacy import (
    COUNT,
    ID_VALUE,
    check_publishable,
    count_column,
    is_id_name,
    resolve_k,
)

TABLES = (".csv", ".tsv", ".geojson", ".parquet")
TEXT = (".html", ".htm", ".txt", ".md", ".svg")
JSONS = (".json", ".ipynb")
IMAGES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".pdf": (b"%PDF-",),
}
SHIPPED = (*TABLES, *TEXT, *JSONS, *IMAGES)
_BASE64 = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
_HEADER = re.compile(r"<t[hd][^>]*>\s*([^<]{1,60}?)\s*</t[hd]>", re.I)


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


def _scan_text(text: str) -> list[str]:
    """Values that look like unit ids, outside embedded (base64) images."""
    found = sorted(set(ID_VALUE.findall(_BASE64.sub(" ", text))))
    if found:
        shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        return [f"shows {len(found)} value(s) that look like unit ids ({shown})"]
    return []


def _scan_html(text: str) -> list[str]:
    problems = _scan_text(text)
    headers = sorted({h for h in _HEADER.findall(text) if is_id_name(h.strip())})
    if headers:
        problems.append(f"shows unit id column(s) {headers}")
    return problems


def _walk(node, keys: set, strings: list) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add(str(key))
            if not str(key).startswith("image/"):  # notebook outputs: embedded pictures
                _walk(value, keys, strings)
    elif isinstance(node, list):
        for value in node:
            _walk(value, keys, strings)
    elif isinstance(node, str):
        strings.append(node)


def _json_table(data) -> pd.DataFrame | None:
    """Return the table a JSON document holds, if it is one (records, columns, GeoJSON)."""
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return pd.DataFrame(data)
    if isinstance(data, dict):
        if data.get("type") == "FeatureCollection":
            return pd.DataFrame([f.get("properties") or {} for f in data.get("features", [])])
        if {"columns", "data"} <= set(data):
            return pd.DataFrame(data["data"], columns=data["columns"])
        lists = [v for v in data.values() if isinstance(v, list)]
        if lists and len(lists) == len(data) and len({len(v) for v in lists}) == 1:
            return pd.DataFrame(data)
    return None


def _check_table(table: pd.DataFrame, k) -> list[str]:
    count = COUNT if count_column(table, COUNT) is not None else None
    return list(check_publishable(table, k=k, count=count).problems)


def _check_json(path: Path, k) -> list[str]:
    text = _text(path)
    data = json.loads(text)
    keys: set = set()
    strings: list = []
    _walk(data, keys, strings)
    problems = []
    id_keys = sorted(k_ for k_ in keys if is_id_name(k_))
    if id_keys:
        problems.append(f"holds unit id field(s) {id_keys}")
    problems += _scan_text("\n".join(strings))
    if path.suffix != ".ipynb":
        table = _json_table(data)
        if table is not None:
            problems += [p for p in _check_table(table, k) if "unit id" not in p]
    return problems


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix in (".csv", ".tsv"):
        return pd.read_csv(
            io.StringIO(_text(path)), sep="\t" if path.suffix == ".tsv" else ",", low_memory=False
        )
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    import geopandas as gpd

    frame = gpd.read_file(path)
    return pd.DataFrame(frame.drop(columns=frame.geometry.name))


def _check_parquet_text(table: pd.DataFrame) -> list[str]:
    text = table.select_dtypes(include=["object", "string", "category"])
    return _scan_text("\n".join(text.astype(str).to_numpy().ravel().tolist()))


def check_file(path: Path, k: int | None = None) -> list[str]:
    """Return the privacy problems of one file to ship, in words (empty: it may leave).

    Parameters
    ----------
    path : pathlib.Path
    k : int, optional
        Threshold for distinct-vehicle counts (default the ``k_anonymity`` setting).

    Returns
    -------
    list of str
        Each problem prefixed by the file name; an unreadable file or a type the gate does
        not know is a problem too.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in TABLES:
            table = _read_table(path)
            problems = _check_table(table, k)
            if suffix == ".parquet":
                problems += _check_parquet_text(table)
            else:
                if not any("unit id" in p for p in problems):
                    problems += _scan_text(_text(path))
        elif suffix in JSONS:
            problems = _check_json(path, k)
        elif suffix in (".html", ".htm", ".svg"):
            problems = _scan_html(_text(path))
        elif suffix in TEXT:
            problems = _scan_text(_text(path))
        elif suffix in IMAGES:
            head = path.read_bytes()[:16]
            problems = [] if head.startswith(IMAGES[suffix]) else [f"is not a {suffix[1:]} image"]
        else:
            problems = [
                f"is a {suffix or 'suffix-less'} file, which the privacy gate cannot check; "
                f"ship only {', '.join(SHIPPED)}"
            ]
    except Exception as exc:  # whatever cannot be read does not leave
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems = [f"cannot be read to check it ({reason}); nothing unchecked leaves"]
    return [f"{path.name}: {p}" for p in problems]


def check_bundle(files: list[Path], k: int | None = None) -> list[str]:
    """Return the privacy problems of the files, in words (empty: publishable)."""
    k = resolve_k(k)  # a bad threshold or settings file is the caller's error, not a file's
    return [problem for path in files for problem in check_file(path, k)]


def check_members(members: dict[str, bytes], k: int | None = None) -> list[str]:
    """Return the privacy problems of a bundle's members given as name -> bytes.

    The gate checks what the zip will hold, not only the files it was made from: the
    generated index, README, data dictionaries and manifest are checked like any product
    (their names too, see :func:`check_names`).

    Parameters
    ----------
    members : dict of str to bytes
        Member path inside the bundle -> its content.
    k : int, optional
        Threshold for distinct-vehicle counts (default the ``k_anonymity`` setting).

    Returns
    -------
    list of str
        Each problem prefixed by the member's file name (empty: the bundle may leave).
    """
    k = resolve_k(k)
    problems = check_names(members)
    with tempfile.TemporaryDirectory(prefix="cibg-gate-") as tmp:
        for number, (name, data) in enumerate(sorted(members.items())):
            path = Path(tmp) / str(number) / Path(name).name
            path.parent.mkdir()
            path.write_bytes(data)
            problems += check_file(path, k)
    return problems


def check_names(names) -> list[str]:
    """Return a problem for each bundle member whose path looks like it holds a unit id."""
    return [
        f"{Path(name).name}: its name looks like a unit id; rename the product"
        for name in names
        if ID_VALUE.search(str(name))
    ]
