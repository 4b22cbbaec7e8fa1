"""The digital-divide report: indicators, index, skills, typology, spatial patterns, reach.

:func:`divide_report` computes everything the regional overview and the commune profiles
show, from the same inputs and choices, so the 19 profiles and the overview always agree.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pandas as pd

from cibg_ds.divide import (
    exclusion_index,
    indicators,
    local_moran,
    moran,
    reach,
    risk_columns,
    skill_estimates,
    typology,
)
from cibg_ds.divide.index import IndexResult
from cibg_ds.divide.indicators import BY_COLUMN
from cibg_ds.divide.typology import TypologyResult, describe_groups
from cibg_ds.errors import InputError
from cibg_ds.io import load_communes, load_computer_spaces, resolve_commune
from cibg_ds.io.atomic import write_csv_atomic, write_geojson_atomic, write_text_atomic
from cibg_ds.privacy import check_publishable
from cibg_ds.reports.header import source_name
from cibg_ds.schema import NAME_FR, NAME_NL, NIS


def both_names(fr: str, nl: str) -> str:
    """Return a commune's French and Dutch names, once where they are the same.

    >>> both_names("Bruxelles", "Brussel"), both_names("Anderlecht", "Anderlecht")
    ('Bruxelles / Brussel', 'Anderlecht')
    """
    return fr if fr == nl else f"{fr} / {nl}"


@dataclasses.dataclass
class DivideReport:
    """Every table of the digital-divide analysis for one set of inputs and choices."""

    indicators: pd.DataFrame
    index: object
    skills: pd.DataFrame
    typology: object
    moran: pd.DataFrame
    lisa: pd.DataFrame
    reach: pd.DataFrame
    communes: object
    meta: dict

    def _repr_html_(self) -> str:
        notes = []
        if self.meta["schematic_geometry"]:
            notes.append("schematic commune geometry")
        if self.meta["illustrative_spaces"]:
            notes.append("illustrative computer spaces")
        caveat = f" <i>({'; '.join(notes)})</i>" if notes else ""
        return (
            f"<p><b>Digital divide</b>, 19 communes{caveat}: "
            f"{int(self.skills['limited'].sum()):,} residents with limited digital skills, "
            f"{int(self.skills['none'].sum()):,} with none; typology of {self.typology.k} "
            f"groups.</p>" + self.index._repr_html_()
        )

    def map_table(self):
        """Communes with the index, skills, group, LISA quadrant and reach (GeoDataFrame)."""
        t = self.index.table[[NIS, "score", "rank", "rank_lo", "rank_hi"]]
        t = t.merge(self.skills[[NIS, "limited", "none", "limited_pct"]], on=NIS)
        t = t.merge(self.typology.labels[[NIS, "group"]], on=NIS)
        t = t.merge(self.lisa[[NIS, "quadrant", "p_sim"]], on=NIS)
        t = t.merge(self.reach[[NIS, "residents_per_computer", "distance_m", "at_risk_beyond"]],
                    on=NIS)  # fmt: skip
        gdf = self.communes.merge(t, on=NIS)
        gdf.attrs = dict(self.communes.attrs)
        return gdf

    def tables(self) -> dict:
        """Return the tables that may be published, by name."""
        return {
            "indicators": self.indicators,
            "index": self.index.table,
            "sensitivity": self.index.sensitivity,
            "skills": self.skills,
            "typology": self.typology.labels.merge(
                self.typology.groups[["group", "description"]], on="group"
            ),
            "moran": self.moran,
            "lisa": self.lisa,
            "reach": self.reach,
        }

    def profile(self, commune, lang: str = "en") -> dict:
        """Everything about one commune (NIS code, French or Dutch name); sentences in ``lang``."""
        nis = resolve_commune(commune)
        ind = self.indicators.set_index(NIS)
        columns = risk_columns(self.indicators)
        z = (ind[columns] - ind[columns].mean()) / ind[columns].std(ddof=0)
        comparison = pd.DataFrame(
            {
                "column": columns,
                "indicator": [BY_COLUMN[c].label for c in columns],
                "commune": ind.loc[nis, columns].to_numpy(float),
                "region_mean": ind[columns].mean().to_numpy(),  # the reference of ``z``
                "region_median": ind[columns].median().to_numpy(),
                "z": z.loc[nis].to_numpy(),
                "direction": [BY_COLUMN[c].direction for c in columns],
            }
        )
        row = lambda t: t.set_index(NIS).loc[nis]  # noqa: E731
        group = int(row(self.typology.labels)["group"])
        profile = {
            "nis": nis,
            "name_fr": ind.loc[nis, NAME_FR],
            "name_nl": ind.loc[nis, NAME_NL],
            "name": both_names(ind.loc[nis, NAME_FR], ind.loc[nis, NAME_NL]),
            "comparison": comparison,
            "index": row(self.index.table),
            "skills": row(self.skills),
            "group": group,
            "group_description": self.typology.groups.set_index("group").loc[group, "description"],
            "lisa": row(self.lisa),
            "reach": row(self.reach),
        }
        profile["summary"] = self._summary(profile, lang)
        return profile

    def _summary(self, p: dict, lang: str = "en") -> list[str]:
        """Return the profile's key figures as sentences (Markdown) in ``lang``."""
        from cibg_ds.i18n import gettext
        from cibg_ds.viz.maps import LISA_LABELS
        from cibg_ds.viz.tables import number, typology_table

        _ = gettext(lang)
        idx, skills, reached, lisa = p["index"], p["skills"], p["reach"], p["lisa"]
        per_computer = reached["residents_per_computer"]
        supply = (
            _("{n} residents per public computer").format(n=number(per_computer, 0, lang))
            if pd.notna(per_computer)
            else _("No public computer space in the commune")
        )
        groups = typology_table(self.typology, lang).set_index(_("Group"))
        profile = groups.iloc[:, -1].get(p["group"], "")
        lines = [
            f"**{p['name']}** (NIS {p['nis']})",
            _("Exclusion-risk rank **{rank}** of {n} (90 % interval {lo:.0f} to {hi:.0f}; "
              "1 = highest risk)").format(
                rank=idx["rank"], n=len(self.index.table), lo=idx["rank_lo"], hi=idx["rank_hi"]
            ),
            _("Residents with limited digital skills: **{limited}** ({lo} to {hi}), of whom "
              "{none} with none").format(
                limited=number(skills["limited"], 0, lang),
                lo=number(skills["limited_lo"], 0, lang),
                hi=number(skills["limited_hi"], 0, lang),
                none=number(skills["none"], 0, lang),
            ),
            _("Group {group} ({profile})").format(group=p["group"], profile=profile),
            _("Local Moran quadrant of the index: {quadrant} (p = {p}); ").format(
                quadrant=_(LISA_LABELS[lisa["quadrant"]])
                if lisa["significant"]
                else _("{quadrant}, not significant").format(
                    quadrant=_(LISA_LABELS[lisa["quadrant"]])
                ),
                p=number(lisa["p_sim"], 3, lang),
            )
            + _(self.meta["moran_note"]),
            _("{supply}; the nearest space is {d} m from the town centre ({name})").format(
                supply=supply,
                d=number(reached["distance_m"], 0, lang),
                name=reached["nearest_space"],
            ),
        ]  # fmt: skip
        if self.meta["schematic_geometry"]:
            lines.append(_("Maps use schematic commune shapes (not official boundaries)."))
        if self.meta["illustrative_spaces"]:
            lines.append(_("Computer spaces: the illustrative sample, not real places."))
        return lines

    def method(self, lang: str = "en") -> str:
        """Return the paragraph on the method, naming the choices this report was made with.

        The choices come from the report itself (a profile that reads the overview's products
        states the overview's choices, not its own defaults), by name in ``lang``.

        >>> report = DivideReport(*[None] * 8, meta={"choices": {"normalisation": "rank",
        ...     "weighting": "equal", "aggregation": "geometric", "n_sim": 200},
        ...     "typology": {"method": "kmeans", "k": 3}})
        >>> report.method("en")[:88]
        'A composite index after the OECD/JRC Handbook: indicators normalised (ranks), weighted ('
        """
        from cibg_ds.i18n import gettext
        from cibg_ds.viz.tables import METHODS

        _ = gettext(lang)
        choices = self.meta["choices"]
        weighting = choices["weighting"] if isinstance(choices["weighting"], str) else "custom"
        return _(
            "A composite index after the OECD/JRC Handbook: indicators normalised "
            "({normalisation}), weighted ({weighting}) and aggregated ({aggregation}); rank "
            "intervals from {n} Monte Carlo runs; skill estimates calibrated to the regional "
            "figures; typology ({typology}); Moran's I on Queen contiguity."
        ).format(
            normalisation=_(METHODS[choices["normalisation"]]),
            weighting=_(METHODS[weighting]),
            aggregation=_(METHODS[choices["aggregation"]]),
            n=choices["n_sim"],
            typology=_(METHODS[self.meta["typology"]["method"]]),
        )

    def write(self, directory: str | os.PathLike, facts: dict | None = None) -> list[Path]:
        """Write every table as CSV, the map as GeoJSON and ``summary.json``, atomically.

        ``facts`` (the report header's) go into ``summary.json`` as ``report``.
        """
        out = Path(directory)
        written = [write_csv_atomic(out / f"{name}.csv", t) for name, t in self.tables().items()]
        written.append(write_geojson_atomic(out / "communes.geojson", self.map_table()))
        summary = {**self.meta, **({"report": facts} if facts else {})}
        text = json.dumps(summary, indent=2, default=str)
        written.append(write_text_atomic(out / "summary.json", text))
        return written


def divide_report(
    *,
    population=None,
    income=None,
    extra=None,
    spaces=None,
    communes=None,
    impute="neighbours",
    normalisation="minmax",
    weighting="equal",
    aggregation="arithmetic",
    n_sim=1000,
    seed=0,
    max_distance_m=1500.0,
    validate=True,
) -> DivideReport:
    """Compute the whole digital-divide analysis for one set of inputs and choices.

    Parameters
    ----------
    population, income : path-like, optional
        Statbel files (see :func:`cibg_ds.divide.indicators`).
    extra : path-like or DataFrame, optional
        CSV (or table) with ``nis`` and further indicators (census 2021 shares).
    spaces : path-like, optional
        Public computer spaces file; default the embedded illustrative sample.
    communes : path-like, optional
        Boundaries; default the embedded schematic geometry (maps say so).
    impute, normalisation, weighting, aggregation, n_sim, seed, max_distance_m, validate
        As in :func:`cibg_ds.divide.indicators`, :func:`~cibg_ds.divide.exclusion_index`
        and :func:`~cibg_ds.divide.reach`. ``validate=False`` skips the GX suite, for runs
        that repeat inputs another task of the same run has validated (commune profiles).

    Returns
    -------
    DivideReport
    """
    if extra is not None and not isinstance(extra, pd.DataFrame):
        extra = pd.read_csv(extra, dtype={NIS: str})
    spaces_gdf = load_computer_spaces(spaces or None)
    table = indicators(
        population=population or None,
        income=income or None,
        extra=extra,
        spaces=spaces_gdf,
        impute=impute,
        validate=validate,
    )
    gdf = load_communes(communes or None)
    index = exclusion_index(
        table,
        columns=None,
        normalisation=normalisation,
        weighting=weighting,
        aggregation=aggregation,
        n_sim=n_sim,
        seed=seed,
    )
    skills = skill_estimates(table, n_sim=n_sim, seed=seed)
    groups = typology(table, seed=seed)
    geo = gdf.merge(table[[NIS, *risk_columns(table)]], on=NIS)
    geo = geo.merge(index.table[[NIS, "score"]], on=NIS)
    stats = [moran(geo, col, seed=seed) for col in ["score", *risk_columns(table)]]
    lisa = local_moran(geo, "score", seed=seed)
    reached = reach(table, spaces_gdf, at_risk=skills, max_distance_m=max_distance_m)
    meta = {
        "choices": index.settings,
        "imputed": table.attrs.get("imputed", {}),
        "schematic_geometry": bool(gdf.attrs.get("schematic", False)),
        "geometry_source": source_name(gdf.attrs.get("source") or ""),
        "illustrative_spaces": bool(spaces_gdf.attrs.get("illustrative", False)),
        "skills_model": skills.attrs["model"],
        "typology": {"method": groups.method, "k": groups.k},
        "moran_note": stats[0]["note"],
        "max_distance_m": max_distance_m,
        "validation": table.attrs.get("validation", {}).get("success"),
    }
    report = DivideReport(
        table, index, skills, groups, pd.DataFrame(stats), lisa, reached, gdf, meta
    )
    for name, t in report.tables().items():
        check_publishable(t, count=None).raise_if_not(f"digital-divide table {name!r}")
    return report


def read_divide_report(directory: str | os.PathLike, *, communes=None) -> DivideReport:
    """Read back the report :meth:`DivideReport.write` left in ``directory``.

    The commune profiles of a pipeline run read the overview's products this way instead of
    computing the analysis again: every table, the typology's groups and what
    :meth:`DivideReport.profile` and :meth:`DivideReport.map_table` return are the same as
    the overview's (the CSV files hold every float exactly). Not among the products, so
    ``None`` here: the index's weights and simulated ranks, the typology's silhouettes.

    Parameters
    ----------
    directory : path-like
        Where the overview wrote its products (its ``products_dir``).
    communes : path-like, optional
        The boundaries the overview was given (default the embedded ones).

    Returns
    -------
    DivideReport

    Raises
    ------
    InputError
        When ``directory`` lacks one of the files :meth:`DivideReport.write` writes.
    """
    folder = Path(directory)
    names = ["indicators", "index", "sensitivity", "skills", "typology", "moran", "lisa", "reach"]
    missing = [f"{n}.csv" for n in names if not (folder / f"{n}.csv").is_file()]
    missing += [] if (folder / "summary.json").is_file() else ["summary.json"]
    if missing:
        raise InputError(
            f"{folder}: no digital-divide report there (missing {', '.join(missing)}); give "
            "the products_dir of an overview run, or leave report_dir empty to compute it"
        )
    t = {n: pd.read_csv(folder / f"{n}.csv", dtype={NIS: str}) for n in names}
    meta = json.loads((folder / "summary.json").read_text())
    meta.pop("report", None)  # the overview's header facts
    labels = t["typology"].drop(columns="description")
    groups = TypologyResult(
        labels,
        None,
        describe_groups(t["indicators"], labels),
        meta["typology"]["method"],
        meta["typology"]["k"],
    )
    index = IndexResult(t["index"], t["sensitivity"], None, meta["choices"], None)
    gdf = load_communes(communes or None)
    return DivideReport(
        t["indicators"], index, t["skills"], groups, t["moran"], t["lisa"], t["reach"], gdf, meta
    )


__all__ = ["DivideReport", "divide_report", "read_divide_report"]
