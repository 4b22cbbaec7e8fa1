"""Truck pings: read CSV or Parquet into the canonical schema, write Parquet atomically.

The canonical schema is :data:`cibg_ds.schema.PING_DTYPES`. Reading checks the structure
(files exist and are readable, columns are there) eagerly and with clear errors; checking
the *values* is the job of the data-quality suites, so odd values are kept, not dropped:
an unknown weight class stays visible as its own category, an unparseable time becomes
null (and is rejected by the suite's "ts not null" expectation). With ``keep_raw=True``
the text such a cell held is kept beside the row, in :data:`cibg_ds.schema.RAW_VALUES`
(``{"euro_class": "EURO6"}``), so the quarantine shows what the feed actually said.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.errors import InputError
from cibg_ds.io.atomic import write_parquet_atomic  # noqa: F401 - here since 0.1

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
_TZ_SUFFIX = r"\d:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"  # a time, then Z, +01:00, +0100, +01
_FIX_HINT = "Rename the columns to the canonical schema or pass columns={'theirs': 'ours'}."


def pseudonymise(ids: pd.Series, key: str) -> pd.Series:
    """Replace unit ids by a keyed hash (HMAC-SHA256, 16 hex digits).

    The same id and key always give the same pseudonym; without the key the raw id cannot
    be recovered or confirmed by hashing guesses.

    Parameters
    ----------
    ids : pandas.Series
        Raw unit ids (any type; converted to str).
    key : str
        Secret key. Keep it out of outputs and notebooks.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index.

    Examples
    --------
    >>> pseudonymise(pd.Series(["OBU1", "OBU1", "OBU2"]), key="k").nunique()
    2
    """
    codes, uniques = pd.factorize(ids.astype(str))
    secret = key.encode()
    digests = np.array(
        [hmac.new(secret, u.encode(), hashlib.sha256).hexdigest()[:16] for u in uniques],
        dtype=object,
    )
    out = pd.Series(digests[codes] if len(codes) else [], index=ids.index, dtype="string")
    return out.where(codes >= 0)


def _is_data_file(path: Path) -> bool:
    hidden = path.name.startswith(("_", "."))
    return path.is_file() and not hidden and str(path).endswith(PARQUET_SUFFIXES + CSV_SUFFIXES)


def resolve_files(path: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Return the data files behind a file, a folder (searched recursively) or a glob.

    Files and folders whose name starts with ``_`` or ``.`` (metadata, manifests) are skipped.

    Raises
    ------
    InputError
        When nothing matches, naming the path.
    """
    if isinstance(path, (list, tuple)):
        return [f for p in path for f in resolve_files(p)]
    text = os.fspath(path)
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True))
    elif Path(text).is_dir():
        if (Path(text) / "_meta" / "INCOMPLETE").exists():
            raise InputError(
                f"{text}: an incomplete simulated dataset (_meta/INCOMPLETE: the simulation "
                "is still running or was interrupted); simulate it again with --overwrite"
            )
        files = sorted(
            p
            for p in Path(text).rglob("*")
            if not any(part.startswith(("_", ".")) for part in p.relative_to(text).parts)
        )
    elif Path(text).exists():
        return [Path(text)]
    else:
        raise InputError(f"{text}: no such file or folder")
    files = [f for f in files if _is_data_file(f)]
    if not files:
        raise InputError(
            f"{text}: no CSV or Parquet files found (looked for "
            f"{', '.join(PARQUET_SUFFIXES + CSV_SUFFIXES)})"
        )
    return files


def _parquet_columns(file: Path, assume_tz: str | None) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(file)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{file}: not a readable Parquet file ({exc})") from None
    if meta.num_rows == 0:
        raise InputError(f"{file}: the file holds no rows; remove it or re-export it")
    arrow = meta.schema.to_arrow_schema()
    if s.TS in arrow.names:
        kind = arrow.field(s.TS).type
        if pa.types.is_timestamp(kind) and kind.tz is None and assume_tz is None:
            raise InputError(
                f"{file}: column 'ts' has no time zone. Pass assume_tz='UTC' (or "
                "'Europe/Brussels') if you know which it is, or re-export with UTC offsets."
            )
    return list(arrow.names)


def csv_separator(file: Path) -> str:
    """Return the field separator of a CSV file: the one of ``, ; | TAB`` its header has most."""
    import gzip

    try:
        opener = gzip.open if str(file).endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return ","  # not readable as such: the reader says why
    return max((",", ";", "|", "\t"), key=header.count) if header.strip() else ","


def _same_layout(files: list[Path], columns: list[str], parquet: bool) -> str:
    """Refuse files whose types (Parquet) or separators (CSV) differ; return the separator."""
    if not parquet:
        seps = {f: csv_separator(f) for f in files}
        if len(set(seps.values())) > 1:
            first, other = files[0], next(f for f in files if seps[f] != seps[files[0]])
            raise InputError(
                f"{other}: fields separated by {seps[other]!r}, but by {seps[first]!r} in "
                f"{first}; re-export the files with one separator"
            )
        return seps[files[0]]
    import pyarrow.parquet as pq

    first = pq.read_schema(files[0])
    for file in files[1:]:
        schema = pq.read_schema(file)
        differ = [
            f"{c} ({first.field(c).type} vs {schema.field(c).type})"
            for c in columns
            if c in first.names
            and c in schema.names
            and first.field(c).type != schema.field(c).type
        ]
        if differ:
            raise InputError(
                f"{file}: column types differ from {files[0]}: {', '.join(differ)}; re-export "
                "the files with one schema (or read them separately)"
            )
    return ","


def _refuse_undecodable(df: pd.DataFrame) -> None:
    """Raise when text kept as text (ids, times, classes) held bytes that are not UTF-8.

    CSV files are decoded with replacement characters, so a bad byte deep in a file is
    found here, in its partition, instead of failing the decoder with a traceback.
    """
    for col in (s.OBU_ID, s.TS, s.WEIGHT_CLASS, s.COUNTRY):
        if col in df.columns and (
            df[col].dtype == object or pd.api.types.is_string_dtype(df[col].dtype)
        ):
            bad = df[col].astype("string").str.contains("\ufffd", regex=False, na=False)
            if bad.any():
                raise InputError(
                    f"column {col!r}: {int(bad.sum())} value(s) hold bytes that are not UTF-8 "
                    f"(such as {df[col][bad].iloc[0]!r}); re-export the file as UTF-8"
                )


def _csv_columns(file: Path, sep: str | None = None) -> list[str]:
    try:
        header = pd.read_csv(file, nrows=1, dtype=str, sep=sep or csv_separator(file))
    except pd.errors.EmptyDataError:
        raise InputError(f"{file}: the file is empty; remove it or re-export it") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"{file}: not a readable CSV file ({exc})") from None
    if header.empty:
        raise InputError(f"{file}: the file has a header but no rows")
    return [c.lstrip("\ufeff") for c in header.columns]


def _no_offset_error(example, what: str) -> InputError:
    return InputError(
        f"column 'ts': {what}, such as {example!r}, so the instant is unknown. Pass "
        "assume_tz='Europe/Brussels' (CLI: --assume-tz) or 'UTC' if you know the zone, or "
        "re-export the times in ISO 8601 with their offset (2026-11-02T05:02:00+01:00)"
    )


def _localize(naive: pd.Series, assume_tz: str, raw: pd.Series) -> pd.Series:
    """Localize wall-clock times; refuse the ones the DST change makes ambiguous or void."""
    ambiguous = naive.dt.tz_localize(assume_tz, ambiguous="NaT", nonexistent="NaT")
    lost = ambiguous.isna() & naive.notna()
    if lost.any():
        early = naive[lost].dt.tz_localize(assume_tz, ambiguous=True, nonexistent="NaT")
        repeated = int(early.notna().sum())
        skipped = int(lost.sum()) - repeated
        reasons = []
        if repeated:
            reasons.append(f"{repeated} in the hour repeated when clocks go back (ambiguous)")
        if skipped:
            reasons.append(f"{skipped} in the hour skipped when clocks go forward (no such time)")
        raise InputError(
            f"column 'ts': {int(lost.sum())} local time(s) cannot be placed in {assume_tz}: "
            f"{'; '.join(reasons)}, such as {raw[lost.to_numpy()].iloc[0]!r}. Re-export those "
            "times with their UTC offset (02:30+02:00 or 02:30+01:00); nothing was dropped"
        )
    return ambiguous


def _parse_naive(text: pd.Series) -> pd.Series:
    """Parse wall-clock text: ISO 8601 first, then day-first forms (02/11/2026 05:02)."""
    naive = pd.to_datetime(text, format="ISO8601", errors="coerce")
    rest = naive.isna() & text.notna()
    if rest.any():
        other = pd.to_datetime(text[rest], format="mixed", dayfirst=True, errors="coerce")
        naive = naive.copy()
        naive[rest] = other.to_numpy()
    return naive


_ISO_UTC = b"0000-00-00T00:00:00Z"
"""The feed's own spelling of a time: 20 characters, UTC ("2026-11-02T04:02:00Z")."""
_DIGITS = np.array([c == ord("0") for c in _ISO_UTC])
_SEPARATORS = np.flatnonzero(~_DIGITS)
_DIGITS_AT = np.flatnonzero(_DIGITS)
_YEARS = (1700, 2200)  # well inside the nanosecond range pandas holds (1677-2262)
_MONTHS = np.arange(
    np.datetime64(f"{_YEARS[0]}-01", "M"), np.datetime64(f"{_YEARS[1] + 1}-02", "M")
)
_MONTH_START = _MONTHS[:-1].astype("datetime64[D]").astype(np.int64)  # days since 1970
_MONTH_LENGTH = np.diff(_MONTHS.astype("datetime64[D]").astype(np.int64))


def _arrow_text(values: pd.Series):
    """Return ``values`` as one pyarrow string array, or None when they are not all text."""
    import pyarrow as pa

    try:
        if isinstance(values.array, pd.arrays.ArrowStringArray):
            array = values.array._pa_array  # a ChunkedArray, shared (no copy)
        elif pd.api.types.is_string_dtype(values.dtype) and pd.api.types.infer_dtype(
            values, skipna=True
        ) in ("string", "empty"):  # str objects only (no bytes, numbers, times)
            array = pa.chunked_array([pa.array(values, type=pa.string(), from_pandas=True)])
        else:
            return None
        return array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    except (pa.ArrowException, TypeError, ValueError, AttributeError):
        return None


def _iso_utc_ns(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse the times written exactly ``YYYY-MM-DDTHH:MM:SSZ``, byte by byte, vectorised.

    Returns
    -------
    (ns, ok) or None
        Nanoseconds since the epoch (UTC) and where they hold: a valid date and time of
        that exact spelling, years 1700-2200. Every other value (other spellings, blanks,
        padding, nulls, garbage, an impossible date) is left to the general parser, so the
        result is the general parser's wherever this one says nothing. None when
        ``values`` is not text.
    """
    import pyarrow as pa

    array = _arrow_text(values)
    large = array is not None and pa.types.is_large_string(array.type)
    if array is None or not (large or pa.types.is_string(array.type)):
        return None
    n = len(array)
    ok = np.zeros(n, dtype=bool)
    ns = np.zeros(n, dtype=np.int64)
    if n == 0 or array.null_count == n:
        return ns, ok
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)
    offsets = offsets[array.offset : array.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf else np.zeros(0, np.uint8)
    width = len(_ISO_UTC)
    ok = np.diff(offsets) == width
    if array.null_count:
        ok &= array.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return ns, ok
    if len(rows) == n and offsets[-1] - offsets[0] == n * width:  # contiguous: a view
        chars = data[offsets[0] : offsets[-1]].reshape(n, width)
    else:  # every run of 20 bytes of the buffer as one item; take those at the starts
        runs = np.ndarray(buffer=data, dtype=f"V{width}", shape=(len(data) - width + 1,),
                          strides=(1,))  # fmt: skip
        chars = runs[offsets[rows]].view(np.uint8).reshape(len(rows), width)
    chars = np.ascontiguousarray(chars.T)  # a row per character: contiguous arithmetic
    pattern = np.frombuffer(_ISO_UTC, dtype=np.uint8)
    digits = chars[_DIGITS_AT] - np.uint8(ord("0"))  # uint8: a byte below "0" wraps
    good = (digits <= 9).all(axis=0)
    for k in _SEPARATORS:
        good &= chars[k] == pattern[k]

    def number(first: int, count: int) -> np.ndarray:
        out = digits[first].astype(np.int32)
        for k in range(first + 1, first + count):
            out = out * 10 + digits[k]
        return out

    year, month, day = number(0, 4), number(4, 2), number(6, 2)
    hour, minute, second = number(8, 2), number(10, 2), number(12, 2)
    good &= (year >= _YEARS[0]) & (year <= _YEARS[1]) & (month >= 1) & (month <= 12)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    at = np.where(good, (year - _YEARS[0]) * 12 + (month - 1), 0)
    good &= day <= _MONTH_LENGTH.take(at)
    seconds = (_MONTH_START.take(at) + (day - 1)) * 86400 + (hour * 3600 + minute * 60 + second)
    ok[rows] = good
    ns[rows] = np.where(good, seconds * 1_000_000_000, 0)
    return ns, ok


def _parse_ts(values: pd.Series, assume_tz: str | None) -> pd.Series:
    """Parse a ``ts`` column to UTC: offsets kept, wall-clock times only with ``assume_tz``.

    Text spelt exactly as the feeds write UTC (``2026-11-02T04:02:00Z``) is read by
    :func:`_iso_utc_ns`; the rest by :func:`_parse_text_ts`, with the same result as when
    it reads the whole column.

    Raises
    ------
    InputError
        When no time carries an offset and ``assume_tz`` is not given (naive local times,
        ``02/11/2026 05:02``), for epoch numbers, and for local times that a DST change
        makes ambiguous or impossible (counted, with the reason).
    """
    dtype = s.PING_DTYPES[s.TS]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(dtype)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        if assume_tz is None:
            raise _no_offset_error(str(values.dropna().iloc[0]) if values.notna().any() else
                                   "", "the times have no time zone")  # fmt: skip
        return _localize(values, assume_tz, values).dt.tz_convert("UTC").astype(dtype)
    fast = _iso_utc_ns(values)
    if fast is None or not fast[1].any():
        return _parse_text_ts(values, assume_tz)
    ns, ok = fast
    if not ok.all():  # a time was parsed, so neither "all epochs" nor "no offset" holds
        rest = _parse_text_ts(values[~ok], assume_tz, parsed_some=True)
        ns[~ok] = s.to_ns(rest)
    return pd.Series(ns.view("datetime64[ns]"), index=values.index).dt.tz_localize("UTC")


def _parse_text_ts(values: pd.Series, assume_tz: str | None, parsed_some: bool = False):
    """Parse text times (any ISO 8601 spelling, day-first local forms) to UTC.

    ``parsed_some``: other times of the column were parsed already (the checks on the
    whole column, "all epoch numbers" and "no offset anywhere", do not apply).
    """
    dtype = s.PING_DTYPES[s.TS]
    text = values.astype("string").str.strip()
    given = text.notna() & (text != "")
    first = np.flatnonzero(given.to_numpy(dtype=bool, na_value=False))[:1]
    epoch = r"-?\d{9,14}(?:\.\d*)?"
    # all numbers? the first time given says no at once in nearly every feed
    if (
        not parsed_some
        and len(first)
        and text.iloc[first].str.fullmatch(epoch).all()
        and text[given].str.fullmatch(epoch).all()
    ):
        raise InputError(
            f"column 'ts' holds numbers such as {text[given].iloc[0]!r} (epoch seconds or "
            "milliseconds?), not times: convert them, e.g. pd.to_datetime(ts, unit='ms', "
            "utc=True), or re-export the times in ISO 8601 with their offset"
        )
    # fast path: the feed's own format, with its offset ("Z" or "+01:00")
    out = pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%S%z", utc=True, errors="coerce")
    retry = (out.isna() & given).to_numpy()
    if retry.any():  # other ISO 8601 spellings, and times without an offset
        rest = text[retry]
        aware = rest.str.contains(_TZ_SUFFIX, regex=True, na=False)
        if not aware.any() and not (~out.isna()).any() and assume_tz is None and not parsed_some:
            raise _no_offset_error(rest.iloc[0], "no time carries a UTC offset")
        nat = np.iinfo(np.int64).min
        parsed = np.full(len(rest), nat, dtype=np.int64)  # ns since the epoch, UTC
        flags = aware.to_numpy()
        if flags.any():
            aware_ts = pd.to_datetime(rest[flags], utc=True, format="ISO8601", errors="coerce")
            parsed[flags] = s.to_ns(aware_ts)
        if assume_tz is not None and not flags.all():
            naive = _localize(_parse_naive(rest[~flags]), assume_tz, rest[~flags])
            parsed[~flags] = s.to_ns(naive)
        merged = s.to_ns(out)
        merged[retry] = parsed
        out = pd.Series(merged.view("datetime64[ns]"), index=values.index).dt.tz_localize("UTC")
    return out.astype(dtype)


def _weight_class(values: pd.Series) -> pd.Series:
    """Known classes first; unknown labels kept as extra categories for the quality suite."""
    labels = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    extra = sorted(set(labels.cat.categories.astype(str)) - set(s.WEIGHT_CLASSES))
    return labels.cat.set_categories([*s.WEIGHT_CLASSES, *extra])


TS_UNITS = {"s": "s", "epoch_s": "s", "ms": "ms", "epoch_ms": "ms"}
"""Units of a numeric ``ts`` (epoch seconds or milliseconds); a time zone name means local
naive times in that zone."""
SPEED_UNITS = {"km/h": 1.0, "kmh": 1.0, "m/s": 3.6, "mph": 1.609344, "kn": 1.852}
"""Speed units, as the factor to km/h."""


def column_units(
    columns: Mapping[str, str | tuple[str, str]] | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Split a ``columns`` mapping into renames and units.

    Each value is the canonical name, optionally with the source's unit: ``"ts:ms"`` or
    ``("ts", "ms")`` (epoch milliseconds), ``"ts:s"`` (epoch seconds),
    ``"ts:Europe/London"`` (local naive times in that zone), ``"speed_kmh:m/s"``.

    >>> column_units({"t": "ts:ms", "v": ("speed_kmh", "m/s"), "unit": "obu_id"})
    ({'t': 'ts', 'v': 'speed_kmh', 'unit': 'obu_id'}, {'ts': 'ms', 'speed_kmh': 'm/s'})
    """
    rename, units = {}, {}
    for source, target in dict(columns or {}).items():
        if isinstance(target, str):
            name, _, unit = target.partition(":")
        else:
            name, unit = target
        if name not in s.PING_COLUMNS:
            raise InputError(
                f"columns: {source!r} maps to {name!r}, which is no ping column"
                f"{s.closest(name, s.PING_COLUMNS)}; the ping columns are {list(s.PING_COLUMNS)}"
            )
        rename[source] = name
        if unit:
            _check_unit(name, unit)
            units[name] = unit
    return rename, units


def _check_unit(name: str, unit: str) -> None:
    if name == s.TS and unit not in TS_UNITS:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(unit)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"columns: unit {unit!r} of 'ts' is neither {sorted(TS_UNITS)} (epoch) nor a "
                "time zone such as 'Europe/Brussels' (local naive times)"
            ) from None
    elif name == s.SPEED and unit not in SPEED_UNITS:
        raise InputError(f"columns: unit {unit!r} of 'speed_kmh' is none of {list(SPEED_UNITS)}")
    elif name not in (s.TS, s.SPEED):
        raise InputError(f"columns: {name!r} takes no unit (got {unit!r})")


def _ts_in_units(values: pd.Series, unit: str | None, assume_tz: str | None):
    """Return ``(values, assume_tz)`` for :func:`_parse_ts`: epochs become UTC times."""
    if unit in TS_UNITS:
        number = pd.to_numeric(values, errors="coerce")
        return pd.to_datetime(number, unit=TS_UNITS[unit], utc=True), assume_tz
    return values, unit or assume_tz


def raw_values(source: pd.DataFrame, parsed: pd.DataFrame) -> pd.Series:
    """Per row, the original text of the cells that did not parse, as compact JSON.

    A cell did not parse when the source held a value (not empty or blank) and the
    canonical column holds null: ``n/a`` in ``speed_kmh``, ``EURO6`` in ``euro_class``,
    ``yesterday`` in ``ts``.

    Parameters
    ----------
    source : pandas.DataFrame
        The rows as read, with canonical column names.
    parsed : pandas.DataFrame
        The same rows after conversion to the canonical dtypes.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index: ``{"column": "text", ...}`` in column order, null
        where every cell parsed.

    Examples
    --------
    >>> raw = pd.DataFrame({"euro_class": ["6", "EURO6"], "lat": ["n/a", "50.8"]})
    >>> parsed = raw.apply(pd.to_numeric, errors="coerce")
    >>> raw_values(raw, parsed).tolist()
    ['{"lat":"n/a"}', '{"euro_class":"EURO6"}']
    """
    joined = np.full(len(parsed), "", dtype=object)
    for col in parsed.columns:
        if col not in source.columns:
            continue
        # only cells that held something and came out null are turned into text (turning
        # a whole column of times or numbers into text costs more than reading it)
        rows = np.flatnonzero(source[col].notna().to_numpy() & parsed[col].isna().to_numpy())
        if not len(rows):
            continue
        text = source[col].iloc[rows].astype("string")
        filled = (text.str.strip().fillna("") != "").to_numpy()
        rows, text = rows[filled], text[filled]
        if not len(rows):
            continue
        codes, uniques = pd.factorize(text)  # encode each distinct text once
        encoded = np.array([json.dumps(u, ensure_ascii=False) for u in uniques], dtype=object)
        before = joined[rows]
        comma = np.where(before == "", "", ",").astype(object)
        joined[rows] = before + comma + (json.dumps(col) + ":" + encoded[codes])
    some = joined != ""
    out = pd.Series(pd.NA, index=parsed.index, dtype="string")
    if some.any():
        out[some] = "{" + joined[some] + "}"
    return out


def to_canonical(
    df: pd.DataFrame,
    rename: Mapping[str, str] | None = None,
    assume_tz: str | None = None,
    units: Mapping[str, str] | None = None,
    keep_raw: bool = False,
    check_text: bool = True,
) -> pd.DataFrame:
    """Return a new frame with the canonical ping columns and dtypes (values are not judged).

    Parameters
    ----------
    df : pandas.DataFrame
        Pings with (after ``rename``) at least :data:`cibg_ds.schema.FIX_COLUMNS`; the other
        canonical columns are converted when present and left out when not.
    rename : mapping, optional
        Source column name to canonical name.
    assume_tz : str, optional
        Time zone of timestamps written without an offset; default: such times become null.
    units : mapping, optional
        Canonical name to the source's unit (see :func:`column_units`).
    keep_raw : bool
        Add :data:`cibg_ds.schema.RAW_VALUES`, the original text of every cell that did
        not parse (see :func:`raw_values`).
    check_text : bool
        Refuse text holding the replacement character that decoding CSV bytes which are
        not UTF-8 leaves; :func:`read_pings` skips it for Parquet, whose text the format
        stores as UTF-8 (the scan costs more than the rest of the conversion).

    Returns
    -------
    pandas.DataFrame
        The canonical columns present, in :data:`cibg_ds.schema.PING_COLUMNS` order
        (then ``_raw_values`` with ``keep_raw``).
    """
    df = df.rename(columns=dict(rename or {}))
    if check_text:
        _refuse_undecodable(df)
    units = dict(units or {})
    s.require_columns(df.columns, s.FIX_COLUMNS, "pings", _FIX_HINT)
    out = pd.DataFrame(index=df.index)
    out[s.OBU_ID] = df[s.OBU_ID].astype(s.PING_DTYPES[s.OBU_ID])
    out[s.TS] = _parse_ts(*_ts_in_units(df[s.TS], units.get(s.TS), assume_tz))
    for col in (s.LAT, s.LON, s.SPEED, s.HEADING):
        if col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce")
            if col == s.SPEED and col in units:
                values = values * SPEED_UNITS[units[col]]
            out[col] = values.astype(s.PING_DTYPES[col])
    if s.WEIGHT_CLASS in df.columns:
        out[s.WEIGHT_CLASS] = _weight_class(df[s.WEIGHT_CLASS])
    if s.EURO_CLASS in df.columns:
        euro = pd.to_numeric(df[s.EURO_CLASS], errors="coerce")
        out[s.EURO_CLASS] = euro.where((euro >= -128) & (euro <= 127)).astype(
            s.PING_DTYPES[s.EURO_CLASS]
        )
    if s.COUNTRY in df.columns:
        out[s.COUNTRY] = df[s.COUNTRY].astype(s.PING_DTYPES[s.COUNTRY])
    out = out[[c for c in s.PING_COLUMNS if c in out.columns]]
    if keep_raw:
        out[s.RAW_VALUES] = raw_values(df, out)
    return out


def _check_columns(present: list[str], file: str, required=s.FIX_COLUMNS) -> None:
    """Require the ``required`` columns; refuse an optional column that looks misspelt."""
    import difflib

    s.require_columns(present, required, file, _FIX_HINT)
    others = [c for c in present if c not in s.PING_COLUMNS]
    for column in s.PING_COLUMNS:
        if column not in present and difflib.get_close_matches(column, others, n=1, cutoff=0.8):
            s.require_columns(present, [column], file, _FIX_HINT)


def empty_pings() -> pd.DataFrame:
    """Return an empty frame with the canonical ping schema (the Dask ``meta``)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in s.PING_DTYPES.items()})


def read_pings(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    columns: Mapping[str, str | tuple[str, str]] | None = None,
    assume_tz: str | None = None,
    blocksize: str = "64MB",
    sep: str | None = None,
    require: Sequence[str] = s.FIX_COLUMNS,
    keep_raw: bool = False,
):
    """Read truck pings from CSV or Parquet into a Dask DataFrame with the canonical schema.

    Parameters
    ----------
    path : path-like, glob or list of them
        A file, a folder (searched recursively; Hive partitions such as ``date=.../``
        welcome) or a glob such as ``"feed/2026-11-*.csv"``. Files whose name starts with
        ``_`` or ``.`` are ignored.
    columns : mapping, optional
        Source column name to canonical name, for feeds that name columns differently,
        optionally with the source's unit (see :func:`column_units`): ``{"t": "ts:ms"}``
        (epoch ms; ``ts:s`` epoch seconds), ``{"time": "ts:Europe/London"}`` (local naive
        times in that zone), ``{"v": "speed_kmh:m/s"}``. Only ``obu_id``, ``ts``, ``lat``
        and ``lon`` are required; speed, heading, weight and Euro class and country are
        read when every file has them and left out otherwise.
    assume_tz : str, optional
        Time zone of timestamps written without an offset. By default a Parquet file whose
        ``ts`` column has no time zone is refused, and CSV times without an offset become
        null (the quality suite then rejects those rows, so none is silently lost).
    blocksize : str
        Target partition size (uncompressed). Parquet: as many partitions as the row
        groups' bytes over ``blocksize``, each of consecutive row groups (small files read
        together) with about the same number of rows, in file order; CSV: Dask's blocks.
    sep : str, optional
        CSV field separator; by default the one of ``, ; | TAB`` the header line has most
        (every file of a dataset must use the same).
    require : sequence of str
        Columns every file must have (default :data:`cibg_ds.schema.FIX_COLUMNS`; the
        pings quality suite asks for all of :data:`cibg_ds.schema.PING_COLUMNS`).
    keep_raw : bool
        Add a ``string`` column :data:`cibg_ds.schema.RAW_VALUES` holding, per row, the
        original text of every cell that did not parse, as a compact JSON object
        (``{"speed_kmh":"n/a","euro_class":"EURO6"}``; null when every cell parsed).
        ``cibg-ds validate`` reads so: the quarantine's rejected rows keep the column,
        the clean rows do not. Only an empty cell counts as missing in a CSV: ``n/a``,
        ``NA`` or ``null`` are text (a value that does not parse), never silently null.

    Returns
    -------
    dask.dataframe.DataFrame
        Columns and dtypes of :data:`cibg_ds.schema.PING_DTYPES` (those the feed has, at
        least :data:`cibg_ds.schema.FIX_COLUMNS`), ``ts`` tz-aware UTC.

    Raises
    ------
    InputError
        Naming the file (and the column) for a missing path, an empty or unreadable file,
        a missing or misspelt column, or CSV and Parquet mixed in one dataset.

    Examples
    --------
    After ``make demo``::

        pings = read_pings("data/demo/pings")
        pings.dtypes["ts"]  # datetime64[ns, UTC]
        feed = read_pings("export/*.csv", columns={"unit": "obu_id"}, assume_tz="UTC")
        gps = read_pings("gps.csv", columns={"id": "obu_id", "t": "ts:ms", "y": "lat",
                                             "x": "lon", "v": "speed_kmh:m/s"})
    """
    import dask.dataframe as dd

    files = resolve_files(path)
    parquet = [str(f).endswith(PARQUET_SUFFIXES) for f in files]
    if any(parquet) and not all(parquet):
        raise InputError(f"{os.fspath(path)}: mixes CSV and Parquet files; read them separately")
    rename, units = column_units(columns)
    found_in_all = None
    zone = units.get(s.TS) if units.get(s.TS) not in TS_UNITS else None
    for file in files:
        found = _parquet_columns(file, zone or assume_tz) if parquet[0] else _csv_columns(file, sep)
        present = [rename.get(c, c) for c in found]
        _check_columns(present, str(file), require)
        found_in_all = set(present) if found_in_all is None else found_in_all & set(present)
    # the optional columns every file has (a column some files lack is left out)
    canonical = [c for c in s.PING_COLUMNS if c in found_in_all]
    inverse = {v: k for k, v in rename.items()}
    source_columns = [inverse.get(c, c) for c in canonical]
    detected = _same_layout(files, source_columns, parquet[0])  # also checks Parquet schemas
    sep = sep or detected
    meta = empty_pings()[canonical]
    if keep_raw:
        meta[s.RAW_VALUES] = pd.Series(dtype="string")
    if parquet[0]:
        # small files (a day's spill-over past midnight) are read together, in order, in
        # partitions of about equal rows (Dask's byte-filled blocks left one worker idle)
        # the reader's ``columns`` lets Dask push a selection of the frame's columns
        # (``pings[["ts", "speed_kmh"]]``) down to it: it reads those and the fix columns
        # (the conversion needs them), see :func:`_read_parquet_part`
        convert = (source_columns, rename, assume_tz, units, keep_raw)
        return dd.from_map(
            _read_parquet_part,
            parquet_parts(files, blocksize),
            convert=convert,
            meta=meta,
            label="read-pings",
            enforce_metadata=False,
        )
    from fsspec.utils import infer_compression

    if any(infer_compression(str(f)) for f in files):
        blocksize = None  # a compressed file is one block (Dask would warn and do so)
    raw = dd.read_csv(
        [str(f) for f in files], dtype=str, usecols=source_columns, blocksize=blocksize,
        sep=sep, encoding_errors="replace", keep_default_na=False, na_values=[""],
    )  # fmt: skip
    return raw.map_partitions(to_canonical, rename, assume_tz, units, keep_raw, meta=meta)


def parquet_parts(files: Sequence[Path], blocksize: str | int) -> list[tuple]:
    """Split Parquet files into partitions of consecutive row groups with about equal rows.

    As many partitions as Dask's ``blocksize`` gives (the uncompressed bytes of the row
    groups over ``blocksize``, at most one per row group), cut where the running row count
    passes each equal share: partitions stay in file and row order.

    Parameters
    ----------
    files : sequence of Path
        Parquet files, in order.
    blocksize : str or int
        Target partition size (``"64MB"``), uncompressed.

    Returns
    -------
    list of tuple
        Per partition, ``((file, (row_group, ...)), ...)``, files as absolute paths.
    """
    import pyarrow.parquet as pq
    from dask.utils import parse_bytes

    pieces, rows, size = [], [], 0
    for file in files:
        meta = pq.read_metadata(file)
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            pieces.append((str(Path(file).absolute()), g))  # workers may work elsewhere
            rows.append(group.num_rows)
            size += group.total_byte_size
    n = int(np.clip(np.ceil(size / parse_bytes(blocksize)), 1, len(pieces)))
    ends = np.cumsum(rows)
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, n) / n, side="left") + 1
    cuts = np.unique(np.clip(cuts, 1, len(pieces) - 1)) if n > 1 else np.array([], int)
    parts = []
    for chunk in np.split(np.arange(len(pieces)), cuts):
        by_file: dict[str, list[int]] = {}
        for i in chunk:
            by_file.setdefault(pieces[i][0], []).append(pieces[i][1])
        parts.append(tuple((f, tuple(g)) for f, g in by_file.items()))
    return parts


def read_columns(source_columns: Sequence[str], rename: Mapping[str, str], wanted) -> list[str]:
    """Return the source columns to read for the canonical columns ``wanted`` (None: all).

    The fix columns are always read (the conversion needs them), and every column when
    the raw values are wanted (they are those of every converted column).

    >>> read_columns(["unit", "ts", "lat", "lon", "speed_kmh", "heading_deg"],
    ...              {"unit": "obu_id"}, ["speed_kmh"])
    ['unit', 'ts', 'lat', 'lon', 'speed_kmh']
    """
    if wanted is None or s.RAW_VALUES in wanted:
        return list(source_columns)
    keep = {*s.FIX_COLUMNS, *wanted}
    return [c for c in source_columns if rename.get(c, c) in keep]


def _read_parquet_part(part: tuple, convert: tuple, columns=None) -> pd.DataFrame:
    """Read one partition of :func:`parquet_parts` and convert it to the canonical schema.

    ``columns``: the canonical columns to return (Dask passes the frame's selection; None:
    all). Only the source columns they need are read (:func:`read_columns`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source_columns, rename, assume_tz, units, keep_raw = convert
    wanted = None if columns is None else list(columns)
    columns = read_columns(source_columns, rename, wanted)
    keep_raw = keep_raw and (wanted is None or s.RAW_VALUES in wanted)

    tables = []
    for file, groups in part:
        handle = pq.ParquetFile(file)
        if len(groups) == handle.metadata.num_row_groups:
            table = handle.read(columns=columns)
        else:
            table = handle.read_row_groups(list(groups), columns=columns)
        tables.append(table.replace_schema_metadata(None))  # a RangeIndex per partition
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    df = table.to_pandas(self_destruct=True)
    out = to_canonical(df, rename, assume_tz, units, keep_raw, check_text=False)
    return out if wanted is None else out[wanted]
