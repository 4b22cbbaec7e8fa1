"""Statbel open-data files as Statbel publishes them.

Statbel ships its tables as ``.zip`` archives holding one ``.txt`` (or ``.xlsx``), delimited
by ``|`` or ``;``, UTF-8 with a byte-order mark (older files Latin-1/CP1252), CRLF line
ends, a dot as thousands separator in some tables (``1.188``), ``*`` in the cells it
suppresses and ``-`` where there is nothing. A suppressed cell is missing, never zero: it
is read as NA here. Files are national: the readers keep the 19 Brussels communes.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from cibg_ds.errors import InputError
from cibg_ds.schema import BRUSSELS_NIS, NIS

SUPPRESSED = "*"
#: Cell values read as missing (after trimming).
MISSING = (SUPPRESSED, "-", "")
_DELIMITERS = ("|", ";", "\t", ",")
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_TEXT_SUFFIXES = (".txt", ".csv")
_EXCEL_SUFFIXES = (".xlsx", ".xls")
_NIS_COLUMNS = ("CD_REFNIS", "CD_MUNTY_REFNIS", "REFNIS", "NIS")
_YEAR_COLUMNS = ("CD_YEAR", "DT_REFDATE", "DT_REF_DATE")
_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_PLAIN_INT = re.compile(r"^-?\d+$")


def _member(archive: zipfile.ZipFile, where: str) -> str:
    """Return the one table inside a Statbel zip (a .txt/.csv or an .xlsx)."""
    names = [n for n in archive.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    tables = [n for n in names if n.lower().endswith(_TEXT_SUFFIXES + _EXCEL_SUFFIXES)]
    if len(tables) != 1:
        raise InputError(
            f"{where}: a Statbel zip holds one .txt or .xlsx table; found "
            f"{tables or names or 'nothing'}. Unzip it and pass the table you mean."
        )
    return tables[0]


def _load(path: Path) -> tuple[bytes | None, pd.DataFrame | None, str]:
    """Return (text bytes, or an Excel sheet read as text, and a name for messages)."""
    where = str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                name = _member(archive, where)
                data = archive.read(name)
        except zipfile.BadZipFile:
            raise InputError(f"{where}: not a readable zip archive") from None
        where, suffix = f"{where}!{name}", Path(name).suffix.lower()
    else:
        data, suffix = path.read_bytes(), path.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        try:
            sheet = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        except ImportError:
            raise InputError(
                f"{where}: reading Excel needs openpyxl (pip install openpyxl), or pass "
                "the .txt version of the table"
            ) from None
        except Exception as exc:  # openpyxl raises several types; all mean unreadable
            raise InputError(f"{where}: not a readable Excel table ({exc})") from None
        return None, sheet.astype("string"), where
    return data, None, where


def _decode(data: bytes, where: str) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{where}: neither UTF-8 nor CP1252/Latin-1 text")  # pragma: no cover


def _delimiter(header: str, where: str) -> str:
    """Return the character that splits the header line into the most names."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise InputError(
            f"{where}: not a Statbel text table: the header line {header[:80]!r} holds "
            f"none of the delimiters {list(_DELIMITERS)}"
        )
    return best


def read_statbel(path: str | os.PathLike) -> pd.DataFrame:
    r"""Read a Statbel open-data table as published: text, zip of a text or an Excel file.

    The delimiter is found from the header line (``|``, ``;``, tab or ``,``), the encoding
    is UTF-8 with or without BOM, else CP1252/Latin-1; CRLF line ends are fine. Every column
    is read as trimmed text (callers convert what they use, see :func:`statbel_number`);
    ``*`` (suppressed) and ``-`` (nothing) are NA. Column names are trimmed and
    upper-cased (Statbel mixes ``CD_REFNIS`` and ``cd_refnis`` between years).

    Parameters
    ----------
    path : path-like
        ``.txt``/``.csv``, ``.xlsx`` or a ``.zip`` holding exactly one of them.

    Raises
    ------
    InputError
        Naming the file (``archive.zip!member.txt`` inside a zip) and what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = path.write_bytes("\ufeffCD_REFNIS| MS_POPULATION\r\n21001|*\r\n".encode())
    >>> table = read_statbel(path)
    >>> table.columns.tolist(), table["MS_POPULATION"].isna().tolist()
    (['CD_REFNIS', 'MS_POPULATION'], [True])
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: Statbel file not found")
    data, table, where = _load(path)
    if table is None:
        text = _decode(data, where)
        header = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        delimiter = _delimiter(header, where)
        try:
            table = pd.read_csv(
                io.StringIO(text.lstrip("\ufeff")),
                sep=delimiter,
                dtype="string",
                keep_default_na=False,
                quotechar='"',
            )
        except pd.errors.ParserError as exc:
            raise InputError(f"{where}: not a Statbel text table ({exc})") from None
    table.columns = [str(c).strip().lstrip("\ufeff").upper() for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    table = table.replace({m: pd.NA for m in MISSING})
    table.attrs["source"] = where
    return table


def statbel_number(values: pd.Series, column: str = "", where: str = "") -> pd.Series:
    """Convert a Statbel text column to numbers; a dot is a thousands separator when it is.

    A column whose values are all integers written with dot-separated groups of three
    digits (``1.188``, ``12.345.678``; at least one with a dot) is read with the dot as a
    thousands separator; otherwise the dot is the decimal point (``260615502.8``).

    Raises
    ------
    InputError
        Naming the file, the column and the first value that is not a number.

    Examples
    --------
    >>> statbel_number(pd.Series(["1.188", "392", None], dtype="string")).tolist()
    [1188.0, 392.0, nan]
    >>> statbel_number(pd.Series(["260615502.8", "1.5"], dtype="string")).tolist()
    [260615502.8, 1.5]
    """
    text = values.astype("string")
    present = text.dropna()
    grouped = present.str.match(_THOUSANDS)
    if len(present) and grouped.any() and (grouped | present.str.match(_PLAIN_INT)).all():
        text = text.str.replace(".", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    bad = text.notna() & numbers.isna()
    if bad.any():
        example = values[bad].iloc[0]
        raise InputError(
            f"{where}: column {column!r} holds {example!r}, not a number "
            "(expected digits, a dot as decimal point or thousands separator, * or - if missing)"
        )
    return numbers


def _where(table: pd.DataFrame, path) -> str:
    return table.attrs.get("source", str(path))


def _nis_column(table: pd.DataFrame, path) -> str:
    for name in _NIS_COLUMNS:
        if name in table.columns:
            return name
    raise InputError(
        f"{_where(table, path)}: no commune code column; expected one of {list(_NIS_COLUMNS)}, "
        f"found {list(table.columns)}"
    )


def _require(table: pd.DataFrame, columns, path) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"{_where(table, path)}: columns {missing} are missing; found {list(table.columns)}"
        )


def _numeric(table: pd.DataFrame, column: str, path) -> pd.Series:
    return statbel_number(table[column], column, _where(table, path))


def _brussels(table: pd.DataFrame, nis_col: str, path) -> pd.DataFrame:
    """Keep the rows of the 19 Brussels communes of a national (or regional) file."""
    table = table.assign(**{NIS: table[nis_col].str.replace(r"\.0$", "", regex=True)})
    out = table[table[NIS].isin(BRUSSELS_NIS)]
    if out.empty:
        raise InputError(
            f"{_where(table, path)}: no row for the Brussels communes; column {nis_col!r} "
            "must hold NIS codes 21001-21019"
        )
    out.attrs = dict(table.attrs)
    return out


def _years(table: pd.DataFrame, path) -> tuple[str, pd.Series] | None:
    """Return the year column of a multi-year file and each row's year (None if none)."""
    for column in _YEAR_COLUMNS:
        if column in table.columns:
            text = table[column].astype("string")
            if column.startswith("DT_"):  # 01/01/2019 or 2019-01-01
                text = text.str.extract(r"(\d{4})", expand=False)
            return column, statbel_number(text, column, _where(table, path))
    return None


def _select_year(table: pd.DataFrame, year: int | None, path) -> tuple[pd.DataFrame, int | None]:
    """Keep one year of a multi-year file: ``year``, or the latest one."""
    found = _years(table, path)
    if found is None:
        if year is not None:
            raise InputError(
                f"{_where(table, path)}: year={year} asked, but the file has no year column "
                f"(one of {list(_YEAR_COLUMNS)})"
            )
        return table, None
    column, years = found
    available = sorted(set(years.dropna().astype(int)))
    if not available:
        raise InputError(f"{_where(table, path)}: column {column!r} holds no year")
    year = available[-1] if year is None else int(year)
    if year not in available:
        raise InputError(
            f"{_where(table, path)}: no year {year} in column {column!r}; the file has {available}"
        )
    out = table[(years == year).to_numpy()]
    out.attrs = dict(table.attrs)
    return out, year


def population_structure(path: str | os.PathLike, year: int | None = None) -> pd.DataFrame:
    """Return population and age shares per Brussels commune (Statbel population structure).

    Parameters
    ----------
    path : path-like
        ``TF_SOC_POP_STRUCT_<year>`` as published (``.zip``, ``.txt`` or ``.xlsx``): one
        row per commune x sex x nationality x civil status x age, with ``CD_AGE``,
        ``MS_POPULATION`` and the commune code in ``CD_REFNIS`` (files from about 2019) or
        ``CD_MUNTY_REFNIS`` (older files). National files are filtered to Brussels.
    year : int, optional
        For a file of several years (``CD_YEAR`` or ``DT_REFDATE``): default the latest.

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
    table, _ = _select_year(table, year, path)
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
        ``TF_PSNL_INC_TAX_MUNTY`` as published (the ``.zip`` download, its ``.txt``):
        ``CD_YEAR``, ``CD_MUNTY_REFNIS`` (or ``CD_REFNIS``), ``MS_TOT_NET_TAXABLE_INC`` and
        the number of returns ``MS_NBR_NON_ZERO_INC``. ``MS_AVG_TOT_NET_TAXABLE_INC`` is
        used as it is when the file has it. National files are filtered to Brussels.
    year : int, optional
        Income year; default the latest in the file.

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``income_eur``, ``income_year``. ``attrs`` hold the region's figures when
        the file has totals: ``region_income_eur`` (total over returns of the 19 communes),
        ``region_returns`` and ``region_total_eur``.

    Examples
    --------
    Statbel's 2015 download, income year 2013 (``../shared/data`` of the project)::

        table = fiscal_income("TF_PSNL_INC_TAX_MUNTY_tcm325-272513.zip", year=2013)
        table.attrs["region_income_eur"]  # 26870.9..., over 585,616 returns
    """
    table = read_statbel(path)
    nis_col = _nis_column(table, path)
    _require(table, ["CD_YEAR"], path)
    table = _brussels(table, nis_col, path)
    table, year = _select_year(table, year, path)
    attrs = {}
    if "MS_AVG_TOT_NET_TAXABLE_INC" in table.columns:
        income = _numeric(table, "MS_AVG_TOT_NET_TAXABLE_INC", path)
    else:
        _require(table, ["MS_TOT_NET_TAXABLE_INC", "MS_NBR_NON_ZERO_INC"], path)
        returns = _numeric(table, "MS_NBR_NON_ZERO_INC", path)
        total = _numeric(table, "MS_TOT_NET_TAXABLE_INC", path)
        income = total / returns
        attrs = {
            "region_total_eur": float(total.sum()),
            "region_returns": int(returns.sum()),
            "region_income_eur": float(total.sum() / returns.sum()),
        }
    out = pd.DataFrame({NIS: table[NIS].to_numpy(), "income_eur": income.to_numpy()})
    out = out.groupby(NIS, as_index=False)["income_eur"].mean()
    out["income_year"] = year
    out.attrs.update(attrs, source=_where(table, path))
    return out


EMBEDDED_CARS = "brussels_households_cars_2019.csv"


def households_cars(path: str | os.PathLike | None = None, year: int | None = None) -> pd.DataFrame:
    """Return households and cars per Brussels statistical sector (``TF_CAR_HH_SECTOR``).

    Parameters
    ----------
    path : path-like, optional
        Statbel's households-and-cars table as published (``;``, dot thousands):
        ``CD_YEAR``, ``CD_REFNIS``, ``CD_STAT_SECTOR``, ``MS_NUM_HH``, ``MS_NUM_CAR``.
        Default: the embedded Brussels rows of the 2019 table.
    year : int, optional
        Default the latest year of the file.

    Returns
    -------
    pandas.DataFrame
        ``sector`` (Statbel sector code, e.g. ``21001A00-``), ``nis``, ``households``,
        ``cars``, ``year``; one row per sector, sorted. Rows for an unknown sector
        (``...ZZZZ``) are kept: they count in the commune but have no polygon.

    Examples
    --------
    >>> cars = households_cars()
    >>> len(cars), int(cars.loc[cars["sector"] == "21001A00-", "households"].iloc[0])
    (722, 1188)
    """
    if path is None:
        from importlib import resources

        with resources.files("cibg_ds.data").joinpath(EMBEDDED_CARS).open("rb") as handle:
            out = pd.read_csv(handle, dtype={"sector": str, "nis": str})
        out[["households", "cars"]] = out[["households", "cars"]].astype(float)
        if year is not None and year not in set(out["year"]):
            raise InputError(f"embedded households-and-cars table: no year {year} (has 2019)")
        out.attrs["source"] = "Statbel TF_CAR_HH_SECTOR 2019, Brussels rows (embedded)"
        return out
    table = read_statbel(path)
    nis_col = _nis_column(table, path)
    _require(table, ["CD_STAT_SECTOR", "MS_NUM_HH", "MS_NUM_CAR"], path)
    table = _brussels(table, nis_col, path)
    table, year = _select_year(table, year, path)
    out = pd.DataFrame(
        {
            "sector": table["CD_STAT_SECTOR"].astype(str).to_numpy(),
            NIS: table[NIS].astype(str).to_numpy(),
            "households": _numeric(table, "MS_NUM_HH", path).to_numpy(),
            "cars": _numeric(table, "MS_NUM_CAR", path).clip(lower=0).to_numpy(),
        }
    )
    out["year"] = year
    out = out.sort_values("sector", ignore_index=True)
    out.attrs["source"] = _where(table, path)
    return out
