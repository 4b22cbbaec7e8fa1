"""Commune indicators of the risk of digital exclusion, with their direction and provenance."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import InputError
from cibg_ds.schema import BRUSSELS_NIS, NAME_FR, NAME_NL, NIS


@dataclasses.dataclass(frozen=True)
class Indicator:
    """One indicator: its column, meaning, and direction (+1: a higher value, more risk)."""

    column: str
    label: str
    direction: int
    domain: str


#: Risk indicators (direction +1 or -1) and context columns (direction 0, not in the index).
INDICATORS = (
    Indicator("share_65plus_pct", "residents aged 65+ (%)", +1, "age"),
    Indicator("share_75plus_pct", "residents aged 75+ (%)", +1, "age"),
    Indicator("low_education_pct", "adults with low education (%)", +1, "education"),
    Indicator("income_eur", "average net taxable income per return (EUR)", -1, "income"),
    Indicator("unemployment_pct", "unemployment rate (%)", +1, "deprivation"),
    Indicator("single_parent_pct", "single-parent families (%)", +1, "household"),
    Indicator("one_person_households_pct", "one-person households (%)", +1, "household"),
    Indicator("non_eu_nationals_pct", "non-EU nationals (%)", +1, "language"),
    Indicator("density_per_km2", "residents per km2", 0, "context"),
    Indicator("computers_per_10k", "public computers per 10,000 residents", 0, "supply"),
)
BY_COLUMN = {i.column: i for i in INDICATORS}
OPTIONAL = ("share_75plus_pct", "low_education_pct", "one_person_households_pct")
IMPUTATION = ("median", "neighbours")


def risk_columns(table: pd.DataFrame) -> list[str]:
    """Return the risk indicators present in ``table`` (context columns left out)."""
    checks.frame("table", table)
    return [i.column for i in INDICATORS if i.direction != 0 and i.column in table.columns]


def _from_facts(facts: pd.DataFrame) -> pd.DataFrame:
    population = facts["population_2026"].astype(float)
    return pd.DataFrame(
        {
            NIS: facts[NIS].astype(str),
            NAME_FR: facts[NAME_FR],
            NAME_NL: facts[NAME_NL],
            "population": population,
            "share_65plus_pct": facts["share_65plus_pct"].astype(float),
            "income_eur": facts["avg_net_taxable_income_2023_eur"].astype(float),
            "unemployment_pct": facts["unemployment_rate_2021_pct"].astype(float),
            "single_parent_pct": facts["single_parent_share_2021_pct"].astype(float),
            # 2021 counts over the 2026 population: the latest of each that is published
            "non_eu_nationals_pct": 100 * facts["non_eu_nationals_2021"] / population,
            "area_km2": facts["area_km2"].astype(float),
        }
    )


def _override(table: pd.DataFrame, other: pd.DataFrame | None, what: str) -> pd.DataFrame:
    if other is None:
        return table
    if NIS not in other.columns:
        raise InputError(f"{what}: no 'nis' column to join on")
    other = other.assign(**{NIS: other[NIS].astype(str)}).drop_duplicates(NIS)
    unknown = sorted(set(other[NIS]) - set(BRUSSELS_NIS))
    if unknown:
        raise InputError(f"{what}: NIS codes {unknown} are not Brussels communes")
    known = {i.column for i in INDICATORS} | {"population", "income_year"}
    columns = [c for c in other.columns if c in known]
    ignored = [c for c in other.columns if c not in known and c != NIS]
    if ignored:
        raise InputError(
            f"{what}: unknown columns {ignored}; indicator columns are {sorted(known)}"
        )
    merged = table.set_index(NIS)
    update = other.set_index(NIS)[columns]
    for col in columns:
        if col not in merged.columns:
            merged[col] = np.nan
        merged.loc[update.index, col] = update[col].astype(float)
    return merged.reset_index()


def _impute(table: pd.DataFrame, method: str, neighbours: dict) -> pd.DataFrame:
    out = table.copy()
    imputed = {}
    for col in [c for c in BY_COLUMN if c in out.columns] + ["population"]:
        missing = out[col].isna()
        if not missing.any():
            continue
        if missing.all():
            out = out.drop(columns=col)  # an optional indicator nobody supplied
            continue
        if method == "median":
            fill = pd.Series(out[col].median(), index=out.index)
        else:  # mean of the Queen neighbours that have a value, else the median
            values = out.set_index(NIS)[col]
            fill = (
                out[NIS]
                .map(lambda n, v=values: v.reindex(neighbours.get(n, [])).mean())
                .fillna(values.median())
            )
        out.loc[missing, col] = fill[missing]
        out[f"{col}_imputed"] = missing.to_numpy()
        imputed[col] = out.loc[missing, NIS].tolist()
    out.attrs["imputed"] = imputed
    return out


def indicators(
    *,
    population=None,
    income=None,
    extra: pd.DataFrame | None = None,
    spaces=None,
    impute: str = "neighbours",
    validate: bool = True,
) -> pd.DataFrame:
    """Return one row per commune: the indicators of the risk of digital exclusion.

    Built from the embedded reference table (``cibg_ds/data/communes.csv``); Statbel files
    a user supplies replace what they cover.

    Parameters
    ----------
    population : path-like or DataFrame, optional
        Statbel population structure (see :func:`cibg_ds.io.population_structure`):
        replaces population and the 65+ share, adds the 75+ share.
    income : path-like or DataFrame, optional
        Statbel fiscal income by commune (:func:`cibg_ds.io.fiscal_income`).
    extra : pandas.DataFrame, optional
        ``nis`` and any of ``low_education_pct``, ``one_person_households_pct``,
        ``share_75plus_pct`` (census 2021 files) or other indicator columns.
    spaces : GeoDataFrame, optional
        Public computer spaces (:func:`cibg_ds.io.load_computer_spaces`); default the
        embedded illustrative sample.
    impute : str
        ``"neighbours"`` (mean of the Queen-contiguous communes) or ``"median"`` (regional
        median) for a missing value; each imputed cell is flagged in ``<column>_imputed``
        and listed in ``attrs["imputed"]``. An optional indicator missing everywhere is
        left out.
    validate : bool
        Validate the table with the ``commune_indicators`` GX suite (raises on failure).

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``name_fr``, ``name_nl``, ``population``, the indicators of
        :data:`INDICATORS` that are available, ``*_imputed`` flags. ``attrs``:
        ``imputed``, ``illustrative`` (computers from the sample), ``validation``.

    Examples
    --------
    >>> table = indicators()
    >>> len(table), table.loc[table["income_eur"].idxmin(), "name_fr"]
    (19, 'Saint-Josse-ten-Noode')
    """
    checks.choice("impute", impute, IMPUTATION), checks.boolean("validate", validate)
    checks.frame("extra", extra, dask=False, optional=True)
    from cibg_ds.io import (
        fiscal_income,
        load_commune_facts,
        load_computer_spaces,
        population_structure,
    )

    facts = load_commune_facts()
    table = _from_facts(facts)
    if population is not None and not isinstance(population, pd.DataFrame):
        population = population_structure(population)
    if income is not None and not isinstance(income, pd.DataFrame):
        income = fiscal_income(income)
    table = _override(table, population, "population structure")
    table = _override(table, income, "fiscal income")
    table = _override(table, extra, "extra indicators")
    for col in OPTIONAL:
        if col not in table.columns:
            table[col] = np.nan
    spaces = load_computer_spaces() if spaces is None else spaces
    computers = spaces.groupby(NIS)["computers"].sum()
    table["computers_per_10k"] = (
        1e4 * table[NIS].map(computers).fillna(0).to_numpy() / table["population"]
    )
    table["density_per_km2"] = table["population"] / table.pop("area_km2")
    neighbours = dict(zip(facts[NIS].astype(str), facts["neighbours"].str.split(";"), strict=True))
    table = _impute(table, impute, neighbours)
    table.attrs["illustrative"] = bool(spaces.attrs.get("illustrative", False))
    if validate:
        from cibg_ds.quality import validate as run_suite

        result = run_suite(table, "commune_indicators", source="cibg_ds.divide.indicators")
        if not result.success:
            worst = [o.name for o in result.failed("warning")]
            raise InputError(f"the indicator table fails its GX suite: {worst}")
        table.attrs["validation"] = result.summary()
    return table
