"""Statbel open-data files: population structure and fiscal income by commune.

Statbel publishes its tables as text files delimited by ``|`` (some by ``;`` or ``,``),
UTF-8 with a byte-order mark, with ``*`` in cells it suppresses. A suppressed cell is
missing, never zero: it is read as NA here.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

from cibg_ds.errors import InputError
from cibg_ds.schema import BRUSSELS_NIS, NIS

SUPPRESSED = "*"
_NIS_COLUMNS = ("CD_REFNIS", "CD_MUNTY_REFNIS", "REFNIS", "NIS")


def read_statbel(path: str | os.PathLike) -> pd.DataFrame:
    r"""Read a Statbel open-data text file: delimiter sniffed, BOM dropped, ``*`` as NA.

    Every column is read as text; callers convert what they use. Column names are
    upper-cased (Statbel mixes ``CD_REFNIS`` and ``cd_refnis`` between years).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = path.write_bytes("\ufeffCD_REFNIS|MS_POPULATION\n21001|*\n".encode())
    >>> table = read_statbel(path)
    >>> table.columns.tolist(), table["MS_POPULATION"].isna().tolist()
    (['CD_REFNIS', 'MS_POPULATION'], [True])
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: Statbel file not found")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            head = fh.read(4096)
        delimiter = csv.Sniffer().sniff(head, delimiters="|;,\t").delimiter
        table = pd.read_csv(
            path, sep=delimiter, dtype="string", encoding="utf-8-sig", keep_default_na=False
        )
    except (UnicodeDecodeError, csv.Error, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: not a Statbel text table ({exc})") from None
    table.columns = [c.strip().upper() for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    return table.replace({SUPPRESSED: pd.NA, "": pd.NA})


def _nis_column(table: pd.DataFrame, path) -> str:
    for name in _NIS_COLUMNS:
        if name in table.columns:
            return name
    raise InputError(f"{path}: no commune code column (one of {list(_NIS_COLUMNS)})")


def _require(table: pd.DataFrame, columns, path) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{path}: columns {missing} are missing; found {list(table.columns)}")


def _numeric(table: pd.DataFrame, column: str, path) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = table[column].notna() & values.isna()
    if bad.any():
        example = table.loc[bad, column].iloc[0]
        raise InputError(f"{path}: column {column!r} holds {example!r}, not a number")
    return values


def _brussels(table: pd.DataFrame, nis_col: str, path) -> pd.DataFrame:
    table = table.assign(**{NIS: table[nis_col].str.replace(r"\.0$", "", regex=True)})
    table = table[table[NIS].isin(BRUSSELS_NIS)]
    if table.empty:
        raise InputError(f"{path}: no row for the Brussels communes (NIS 21001-21019)")
    return table


def population_structure(path: str | os.PathLike) -> pd.DataFrame:
    """Return population and age shares per Brussels commune (Statbel population structure).

    Parameters
    ----------
    path : path-like
        ``TF_SOC_POP_STRUCT_<year>`` as text: one row per commune x sex x nationality x
        civil status x age, columns ``CD_REFNIS``, ``CD_AGE``, ``MS_POPULATION``.

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``population``, ``share_65plus_pct``, ``share_75plus_pct``; communes with
        a suppressed count get NA shares.
    """
    table = read_statbel(path)
    nis_col = _nis_column(table, path)
    _require(table, ["CD_AGE", "MS_POPULATION"], path)
    table = _brussels(table, nis_col, path)
    age = _numeric(table, "CD_AGE", path)
    count = _numeric(table, "MS_POPULATION", path)
    frame = pd.DataFrame({NIS: table[NIS], "age": age, "n": count})
    grouped = frame.groupby(NIS)
    total = grouped["n"].sum(min_count=1)
    complete = grouped["n"].count() == grouped["n"].size()  # no suppressed cell
    out = pd.DataFrame({"population": total})
    for low, name in ((65, "share_65plus_pct"), (75, "share_75plus_pct")):
        older = frame[frame["age"] >= low].groupby(NIS)["n"].sum(min_count=1)
        out[name] = (100 * older / total).where(complete)
    out["population"] = out["population"].where(complete)
    return out.reset_index()


def fiscal_income(path: str | os.PathLike, year: int | None = None) -> pd.DataFrame:
    """Return the average net taxable income per tax return per Brussels commune (Statbel).

    Parameters
    ----------
    path : path-like
        ``TF_PSNL_INC_TAX_MUNTY`` as text: ``CD_YEAR``, ``CD_MUNTY_REFNIS``,
        ``MS_TOT_NET_TAXABLE_INC`` and the numbers of returns ``MS_NBR_NON_ZERO_INC``
        (+ ``MS_NBR_ZERO_INC`` when present). ``MS_AVG_TOT_NET_TAXABLE_INC`` is used as it
        is when the file has it.
    year : int, optional
        Income year; default the latest in the file.

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``income_eur``, ``income_year``.
    """
    table = read_statbel(path)
    nis_col = _nis_column(table, path)
    _require(table, ["CD_YEAR"], path)
    table = _brussels(table, nis_col, path)
    years = _numeric(table, "CD_YEAR", path)
    year = int(years.max()) if year is None else year
    if year not in set(years.dropna().astype(int)):
        raise InputError(f"{path}: no income year {year}; the file has {sorted(set(years))}")
    table = table[years == year]
    if "MS_AVG_TOT_NET_TAXABLE_INC" in table.columns:
        income = _numeric(table, "MS_AVG_TOT_NET_TAXABLE_INC", path)
    else:
        _require(table, ["MS_TOT_NET_TAXABLE_INC", "MS_NBR_NON_ZERO_INC"], path)
        returns = _numeric(table, "MS_NBR_NON_ZERO_INC", path)
        if "MS_NBR_ZERO_INC" in table.columns:
            returns = returns + _numeric(table, "MS_NBR_ZERO_INC", path).fillna(0)
        income = _numeric(table, "MS_TOT_NET_TAXABLE_INC", path) / returns
    out = pd.DataFrame({NIS: table[NIS].to_numpy(), "income_eur": income.to_numpy()})
    out = out.groupby(NIS, as_index=False)["income_eur"].mean()
    out["income_year"] = year
    return out
