"""Suggest a GX 1.x suite from a period the user trusts (GX 1.x has no profiler any more).

From the trusted data, per column: its type, whether it may be null, a range for numbers
(robust quantiles 0.05 % and 99.95 %, widened by 5 % of their span, with ``mostly`` set to
the share inside rounded down so the period passes), a value set for columns with few
distinct values, a regular expression for identifiers of one shape (hex, letters and
digits), uniqueness of the columns and of the ``(unit, time)`` key that hold no repeats,
and the order of fixes per unit. The suite passes on the period it comes from; what it
finds later is a change from that period.
"""

from __future__ import annotations

import datetime as dt
import math
import os

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.errors import ParameterError

MAX_SET = 50
"""Columns with at most this many distinct values get a value set."""
TAILS = (0.0005, 0.9995)
WIDEN = 0.05

_GX_TYPES = {"string": "str", "object": "str", "category": "CategoricalDtypeType",
             "Int8": "int8", "Int16": "int16", "Int32": "int32", "Int64": "int64"}  # fmt: skip


def gx_type(dtype) -> str:
    """Return the ``type_`` GX's ``expect_column_values_to_be_of_type`` passes for a dtype."""
    if isinstance(dtype, pd.DatetimeTZDtype) or str(dtype).startswith("datetime64"):
        return "Timestamp"
    return _GX_TYPES.get(str(dtype), str(dtype))


def _expect(kind: str, name: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"name": name}}


def _regex(values: pd.Series) -> str | None:
    """Return a regex all values match when they share one simple shape, else None."""
    text = values.astype(str)
    lengths = text.str.len()
    lo, hi = int(lengths.min()), int(lengths.max())
    size = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
    for chars in ("[0-9a-f]", "[0-9A-F]", "[0-9]", "[A-Za-z0-9]"):
        pattern = f"^{chars}{size}$"
        if text.str.fullmatch(pattern[1:-1]).all():
            return pattern
    return None


def _floor(share: float) -> float:
    return math.floor(share * 1000) / 1000


def _values(col: str, values: pd.Series, present: pd.Series) -> list[dict]:
    """Return the expectations on the values of one column (shape, set or range)."""
    exp = []
    distinct = present.nunique()
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    text = pd.api.types.is_string_dtype(values.dtype) or values.dtype == object
    regex = _regex(present) if text else None
    identifier = col == s.OBU_ID or (regex is not None and "[0-9a-f" in regex.lower())
    if regex:
        exp.append(_expect("expect_column_values_to_match_regex", f"{col}_shape",
                           column=col, regex=regex))  # fmt: skip
    if text and distinct == len(present) and len(present) > 1:
        exp.append(_expect("expect_column_values_to_be_unique", f"{col}_unique",
                           column=col))  # fmt: skip
    few = distinct <= MAX_SET and not pd.api.types.is_float_dtype(values.dtype)
    if few and not identifier and not pd.api.types.is_datetime64_any_dtype(values.dtype):
        allowed = sorted(present.unique().tolist(), key=str)
        allowed = [int(v) if isinstance(v, np.integer) else v for v in allowed]
        exp.append(_expect("expect_column_values_to_be_in_set", f"{col}_known",
                           column=col, value_set=allowed))  # fmt: skip
    elif numeric:
        x = present.to_numpy("float64")
        lo, hi = np.quantile(x, TAILS)
        pad = (hi - lo) * WIDEN
        lo, hi = float(lo - pad), float(hi + pad)
        lo = max(lo, 0.0) if x.min() >= 0 else lo  # no negative bound for a positive column
        inside = float(((x >= lo) & (x <= hi)).mean())
        kw = {} if inside == 1 else {"mostly": _floor(inside)}
        exp.append(_expect("expect_column_values_to_be_between", f"{col}_in_range",
                           column=col, min_value=round(lo, 6), max_value=round(hi, 6),
                           **kw))  # fmt: skip
    return exp


def profile_suite(df: pd.DataFrame, name: str = "suggested", reader: str | None = None) -> dict:
    """Return a GX 1.x suite (a dict, as GX writes it) that ``df`` passes.

    Parameters
    ----------
    df : pandas.DataFrame
        The trusted period.
    name : str
        Suite name.
    reader : str, optional
        ``"pings"`` when the suite is for pings (read with :func:`cibg_ds.io.read_pings`):
        adds the ``(obu_id, ts)`` uniqueness and the order of fixes per unit.
    """
    if not len(df):
        raise ParameterError("the trusted period holds no rows; choose a period with data")
    exp = [_expect("expect_table_columns_to_match_set", "columns_present",
                   column_set=list(df.columns), exact_match=False),
           _expect("expect_table_row_count_to_be_between", "not_empty", min_value=1)]  # fmt: skip
    for col in df.columns:
        values = df[col]
        present = values.dropna()
        exp.append(_expect("expect_column_values_to_be_of_type", f"{col}_type", column=col,
                           type_=gx_type(values.dtype)))  # fmt: skip
        share = len(present) / len(values)
        kw = {} if share == 1 else {"mostly": _floor(share)}
        exp.append(_expect("expect_column_values_to_not_be_null", f"{col}_not_null",
                           column=col, **kw))  # fmt: skip
        if len(present):
            exp += _values(col, values, present)
    meta = {
        "dataset": "suggested by cibg_ds suggest-suite from a trusted period",
        "suggested": {"rows": len(df), "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    }
    if reader == "pings" and {s.OBU_ID, s.TS} <= set(df.columns):
        meta["reader"] = "pings"
        keys = df[[s.OBU_ID, s.TS]].dropna()
        if not keys.duplicated().any():
            exp.append(_expect("expect_compound_columns_to_be_unique", "one_fix_per_unit_and_time",
                               column_list=[s.OBU_ID, s.TS],
                               ignore_row_if="any_value_is_missing"))  # fmt: skip
        from cibg_ds.quality.checks import order_violations

        if not order_violations(df, s.OBU_ID, s.TS).any():
            meta["cibg_ds_checks"] = [{"type": "expect_fixes_in_time_order_per_unit",
                                       "kwargs": {"unit": s.OBU_ID, "column": s.TS},
                                       "meta": {"name": "fixes_in_time_order"}}]  # fmt: skip
        if s.TS in df:
            ts = df[s.TS].dropna()
            meta["suggested"]["period"] = [str(ts.min()), str(ts.max())]
    return {"name": name, "meta": meta, "notes": None, "expectations": exp}


def suggest_suite(path: str | os.PathLike, out: str | os.PathLike, name: str | None = None,
                  progress: bool | None = None) -> dict:  # fmt: skip
    """Profile the pings at ``path`` (the trusted period) and write a suite to ``out``.

    Parameters
    ----------
    path : path-like
        Pings (file, folder, glob) of the trusted period.
    out : path-like
        The suite JSON to write (GX 1.x; ``cibg-ds validate DATA --suite out``).
    name : str, optional
        Suite name (default the file name of ``out``).
    progress : bool, optional

    Returns
    -------
    dict
        The suite.
    """
    import json
    from pathlib import Path

    from cibg_ds.frames import compute_frame
    from cibg_ds.io import read_pings
    from cibg_ds.io.atomic import write_text_atomic

    out = Path(out)
    if out.suffix != ".json":
        raise ParameterError(f"--out {out}: a suite is a .json file (e.g. suite.json)")
    data = read_pings(path, require=s.PING_COLUMNS)
    frame = compute_frame(data, "profile", progress).reset_index(drop=True)
    suite = profile_suite(frame, name or out.stem, reader="pings")
    write_text_atomic(out, json.dumps(suite, indent=2, default=str) + "\n")
    return suite
