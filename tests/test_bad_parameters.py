"""Every public function refuses bad parameters with an error naming the parameter.

The walk covers every callable exported by ``__all__`` of cibg_ds.mobility, cibg_ds.divide
and cibg_ds.quality and the public functions of cibg_ds.privacy: each bad value must raise
:class:`ParameterError` or :class:`InputError` whose message names the parameter (never a
bare KeyError, TypeError or ValueError from deep inside, and never a silent result).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import cibg_ds.divide as divide
import cibg_ds.mobility as mobility
import cibg_ds.privacy as privacy
import cibg_ds.quality as quality
from cibg_ds.errors import InputError, ParameterError


@functools.cache
def pings() -> pd.DataFrame:
    """Two trucks crossing Brussels, a fix every 30 s, a 20-minute stop each."""
    rows = []
    for unit in range(2):
        t0 = pd.Timestamp("2026-11-03T07:00:00Z") + pd.Timedelta(minutes=7 * unit)
        for i in range(80):
            still = 30 <= i < 70  # parked
            rows.append({
                "obu_id": f"{unit:016x}",
                "ts": t0 + pd.Timedelta(seconds=30 * i),
                "lat": 50.80 + 0.001 * min(i, 30) + 0.001 * max(i - 70, 0),
                "lon": 4.30 + 0.0015 * min(i, 30) + 0.0015 * max(i - 70, 0) + 0.01 * unit,
                "speed_kmh": 0.0 if still else 40.0,
                "heading_deg": 45.0,
                "weight_class": "12-32t",
                "euro_class": 6,
                "country": "BE",
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    classes = pd.CategoricalDtype(["3.5-12t", "12-32t", ">32t"])
    dtypes = {"speed_kmh": "float32", "heading_deg": "float32", "euro_class": "Int8",
              "obu_id": "string", "country": "string", "weight_class": classes}  # fmt: skip
    return frame.astype(dtypes)


@functools.cache
def dask_pings():
    import dask.dataframe as dd

    return dd.from_pandas(pings(), npartitions=2)


@functools.cache
def trips():
    return mobility.segment_trips(pings())


@functools.cache
def matched():
    return mobility.map_match(pings())


@functools.cache
def truth() -> pd.DataFrame:
    """The matched path as the 'true' route of each truck (route_accuracy's input)."""
    path = matched().path
    return path.groupby("obu_id", as_index=False).agg(
        depart=("entry_ts", "min"), arrive=("exit_ts", "max"), segment_ids=("segment_id", list)
    )


@functools.cache
def vkm():
    return mobility.vehicle_km(pings())


@functools.cache
def daily():
    days = pd.date_range("2026-11-02", periods=14, freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"commune": "21004", "date": days, "vkm": np.arange(14.0),
                         "n_vehicles": 10})  # fmt: skip


@functools.cache
def facts():
    return divide.indicators()


@functools.cache
def commune_facts():
    from cibg_ds.io import load_commune_facts

    return load_commune_facts()


@functools.cache
def communes():
    from cibg_ds.io import load_communes

    return load_communes().merge(facts()[["nis", "income_eur"]], on="nis")


@functools.cache
def spaces():
    from cibg_ds.io import load_computer_spaces

    return load_computer_spaces()


@functools.cache
def cars():
    from cibg_ds.io import households_cars

    return households_cars()


@functools.cache
def sectors():
    from cibg_ds.io import load_sectors

    return load_sectors()


def _published():
    return pd.DataFrame({"commune": ["21001", "21004"], "n_vehicles": [12, 2], "vkm": [1.0, 2.0]})


# function -> (call with keyword overrides, [(parameter, bad value), ...])
CASES = {
    "clean": (lambda **kw: mobility.clean(**{"pings": pings(), **kw}),
              [("pings", [1, 2]), ("buffer_m", -1), ("max_speed_kmh", 0),
               ("max_speed_kmh", "fast"), ("communes", "Brussels")]),
    "flag_fixes": (lambda **kw: mobility.flag_fixes(**{"pings": pings(), **kw}),
                   [("pings", None), ("buffer_m", "far"), ("max_speed_kmh", -5)]),
    "segment_trips": (lambda **kw: mobility.segment_trips(**{"pings": pings(), **kw}),
                      [("pings", "x"), ("gap", "soon"), ("gap", -5), ("communes", 42)]),
    "label_trips": (lambda **kw: mobility.label_trips(**{"pings": pings(), **kw}),
                    [("pings", 3), ("gap", "soon"), ("gap", 0), ("pings", dask_pings())]),
    "detect_stops": (lambda **kw: mobility.detect_stops(**{"pings": pings(), **kw}),
                     [("max_diameter", -1), ("max_diameter", "big"), ("min_duration", "soon"),
                      ("min_duration", -60), ("gap", 0), ("communes", "x"), ("pings", [])]),
    "stationary_stops": (lambda **kw: mobility.stationary_stops(**{"pings": pings(), **kw}),
                         [("max_diameter", 0), ("min_duration", "soon"), ("gap", "x"),
                          ("pings", {}), ("pings", dask_pings())]),
    "silence_stops": (lambda **kw: mobility.silence_stops(**{"trips": trips(), **kw}),
                      [("trips", "x"), ("trips", pd.DataFrame({"a": [1]}))]),
    "vehicle_km": (lambda **kw: mobility.vehicle_km(**{"pings": pings(), **kw}),
                   [("gap", "x"), ("tz", "Mars/Olympus"), ("pings", 1), ("communes", 5)]),
    "aggregate": (lambda **kw: mobility.aggregate(**{"pings": pings(), **kw}),
                  [("cell", "3km"), ("cell", -250), ("by", "fortnight"), ("tz", "Nowhere"),
                   ("gap", -1), ("measures", ("speed", "colour")), ("pings", "x")]),
    "aggregate_roads": (lambda **kw: mobility.aggregate_roads(**{"pings": pings(), **kw}),
                        [("by", "fortnight"), ("max_distance_m", -1), ("roads", "x"),
                         ("tz", "Nowhere"), ("gap", "x"), ("pings", None)]),
    "congestion": (lambda **kw: mobility.congestion(**{"pings": pings(), **kw}),
                   [("min_speed", -3), ("min_speed", "slow"), ("cell", "x"), ("tz", "Nowhere"),
                    ("pings", None)]),
    "RoadSnapper": (lambda **kw: mobility.RoadSnapper(**{"roads": mobility.default_roads(),
                                                          **kw}),
                    [("max_distance_m", -1), ("max_distance_m", "near"), ("roads", "x"),
                     ("roads", pd.DataFrame({"a": [1]}))]),
    "od_table": (lambda **kw: mobility.od_table(**{"trips": trips(), **kw}),
                 [("trips", "x"), ("trips", pd.DataFrame({"a": [1]}))]),
    "od_matrix": (lambda **kw: mobility.od_matrix(**{"table": mobility.od_table(trips()), **kw}),
                  [("value", "nosuch"), ("table", "x")]),
    "through_trips": (lambda **kw: mobility.through_trips(**{"trips": trips(), **kw}),
                      [("trips", "x"), ("stops", "x"), ("trips", pd.DataFrame({"a": [1]}))]),
    "through_share": (lambda **kw: mobility.through_share(**{"trips": trips(), "by": "hour",
                                                              **kw}),
                      [("by", "fortnight"), ("tz", "Nowhere"), ("stops", 3), ("trips", "x")]),
    "hourly_profile": (lambda **kw: mobility.hourly_profile(**{"vkm": vkm(), **kw}),
                       [("by", "month"), ("vkm", "x"), ("vkm", pd.DataFrame({"a": [1]}))]),
    "isolation_anomalies": (
        lambda **kw: mobility.isolation_anomalies(**{"table": daily(), "features": ["vkm"],
                                                     **kw}),
        [("contamination", 0.9), ("contamination", "some"), ("features", ["nosuch"]),
         ("features", 3), ("seed", "x"), ("table", None)]),
    "robust_anomalies": (
        lambda **kw: mobility.robust_anomalies(**{"table": daily(), "value": "vkm",
                                                  "group": ["commune"], **kw}),
        [("value", "nosuch"), ("group", ["nosuch"]), ("threshold", -1), ("min_size", 0),
         ("table", "x")]),
    "unusual_days": (lambda **kw: mobility.unusual_days(**{"daily": daily(), **kw}),
                     [("value", "nosuch"), ("place", "nosuch"), ("threshold", 0),
                      ("min_days", 0), ("min_vehicles", -1), ("daily", "x")]),
    "map_match": (lambda **kw: mobility.map_match(**{"pings": pings(), **kw}),
                  [("radius_m", -1), ("sigma_m", "wide"), ("max_candidates", 2.5),
                   ("gap", "x"), ("roads", "x"), ("pings", "x"),
                   ("pings", pd.DataFrame({"obu_id": ["a"], "lat": [50.8]}))]),
    "route_accuracy": (lambda **kw: mobility.route_accuracy(**{"path": matched().path,
                                                               "truth": truth(), **kw}),
                       [("slack", "soon"), ("roads", 3), ("path", "x"),
                        ("truth", pd.DataFrame({"obu_id": ["a"]}))]),
    "bottlenecks": (lambda **kw: mobility.bottlenecks(**{"matched": matched(), "k": 3,
                                                         "n_boot": 5, **kw}),
                    [("by", "fortnight"), ("top", 0), ("n_boot", "many"), ("level", 1.5),
                     ("tz", "Nowhere"), ("seed", -1), ("k", 1), ("matched", "x")]),
    "bottleneck_change": (
        lambda **kw: mobility.bottleneck_change(**{"matched": matched(),
                                                   "split": "2026-11-03T07:25:00Z", "k": 3,
                                                   "n_boot": 5, **kw}),
        [("split", "someday"), ("split", "2027-01-01"), ("level", 0), ("n_boot", 0),
         ("tz", "Nowhere"), ("matched", "x")]),
    "exclusion_index": (
        lambda **kw: divide.exclusion_index(**{"table": facts(), "n_sim": 5, **kw}),
        [("normalisation", "x"), ("weighting", "x"), ("aggregation", "x"), ("n_sim", 0),
         ("n_sim", 2.5), ("vary", ("colour",)), ("columns", ["nosuch"]), ("seed", "x"),
         ("table", "x")]),
    "indicators": (lambda **kw: divide.indicators(**kw),
                   [("impute", "x"), ("validate", "yes"), ("extra", "x")]),
    "risk_columns": (lambda **kw: divide.risk_columns(**{"table": facts(), **kw}),
                     [("table", "x")]),
    "moran": (lambda **kw: divide.moran(**{"gdf": communes(), "column": "income_eur",
                                          "permutations": 9, **kw}),
              [("column", "nosuch"), ("permutations", -1), ("seed", "x"),
               ("id_column", "nosuch"), ("gdf", facts())]),
    "local_moran": (
        lambda **kw: divide.local_moran(**{"gdf": communes(), "column": "income_eur",
                                           "permutations": 9, **kw}),
        [("column", "nosuch"), ("permutations", 0), ("alpha", 2), ("id_column", "nosuch"),
         ("gdf", "x")]),
    "queen_weights": (lambda **kw: divide.queen_weights(**{"gdf": communes(), **kw}),
                      [("id_column", "nosuch"), ("gdf", "x"), ("allow_islands", "no")]),
    "reach": (lambda **kw: divide.reach(**{"table": facts(), "spaces": spaces(), **kw}),
              [("max_distance_m", -1), ("max_distance_m", "far"), ("spaces", "x"),
               ("table", "x"), ("at_risk", "x")]),
    "sector_autocorrelation": (
        lambda **kw: divide.sector_autocorrelation(**{
            "gdf": divide.sector_car_indicators(cars(), sectors()),
            "column": "share_without_car_min_pct", "permutations": 9, **kw}),
        [("column", "nosuch"), ("permutations", -1), ("seed", "x"), ("gdf", "x")]),
    "sector_car_indicators": (
        lambda **kw: divide.sector_car_indicators(**{"cars": cars(), "sectors": sectors(),
                                                     **kw}),
        [("min_households", 0), ("min_households", "many"), ("cars", "x"), ("sectors", "x")]),
    "reweight": (
        lambda **kw: divide.reweight(**{"table": facts(), "n_sim": 5, **kw}),
        [("weights", {"income_eur": -1}), ("weights", {"nosuch": 1}), ("weights", "x"),
         ("weights", dict.fromkeys(["share_65plus_pct", "income_eur", "unemployment_pct",
                                    "single_parent_pct", "non_eu_nationals_pct"], 0)),
         ("normalisation", "x"), ("n_sim", 0), ("seed", "x"), ("table", "x")]),
    "weighting_scenarios": (
        lambda **kw: divide.weighting_scenarios(**{"table": facts(), **kw}),
        [("normalisation", "x"), ("factor", 0), ("factor", "twice"), ("table", "x")]),
    "skill_estimates": (
        lambda **kw: divide.skill_estimates(**{"table": facts(), "n_sim": 5, **kw}),
        [("n_sim", 0), ("limited_total", -5), ("none_total", "x"), ("seed", "x"),
         ("table", "x")]),
    "typology": (lambda **kw: divide.typology(**{"table": facts(), **kw}),
                 [("methods", ("x",)), ("k_range", range(50, 60)), ("k_range", "3"),
                  ("columns", ["nosuch"]), ("seed", "x"), ("table", "x")]),
    "validate": (lambda **kw: quality.validate(**{"data": commune_facts(), "suite": "communes",
                                                   **kw}),
                 [("suite", "nosuch"), ("evaluator", "x"), ("parameters", "x"), ("data", "x"),
                  ("progress", "yes"), ("source", 3)]),
    "split_valid": (lambda **kw: quality.split_valid(**{"data": commune_facts(),
                                                         "suite": "communes", **kw}),
                    [("suite", "nosuch"), ("parameters", "x"), ("data", "x")]),
    "write_quarantine": (
        lambda **kw: quality.write_quarantine(**{"data": commune_facts(), "suite": "communes",
                                                 "out": "unused-folder", **kw}),
        [("suite", "nosuch"), ("parameters", "x"), ("data", "x"), ("out", 3)]),
    "load_suite": (lambda **kw: quality.load_suite(**{"suite": "pings", **kw}),
                   [("suite", "nosuch"), ("suite", 3)]),
    "suppress": (lambda **kw: privacy.suppress(**{"table": _published(), **kw}),
                 [("k", 1), ("k", "5"), ("count", "nosuch"), ("table", "x"),
                  ("values", ["nosuch"])]),
    "check_publishable": (lambda **kw: privacy.check_publishable(**{"table": _published(), **kw}),
                          [("k", 0), ("table", "x")]),
    "resolve_k": (lambda **kw: privacy.resolve_k(**kw), [("k", 2.5), ("k", True)]),
}  # fmt: skip

NO_PARAMETERS = {"default_roads", "default_parameters", "list_suites"}
RESULT_TYPES = {"IndexResult", "Indicator", "TypologyResult", "Outcome", "Suite",
                "ValidationResult", "INDICATORS", "MatchResult", "Bottlenecks"}  # fmt: skip

WALK = [(f, p, v) for f, (_, bad) in CASES.items() for p, v in bad]


def test_the_walk_covers_every_public_function():
    exported = {n for mod in (mobility, divide, quality) for n in mod.__all__}
    exported |= {"suppress", "check_publishable", "resolve_k"}
    assert exported - RESULT_TYPES - NO_PARAMETERS == set(CASES)


@pytest.mark.parametrize("function", sorted(CASES))
def test_the_good_call_works(function, tmp_path, monkeypatch):
    """The baseline call succeeds, so each bad call below fails for its bad value alone."""
    monkeypatch.chdir(tmp_path)  # write_quarantine writes its folder here
    call, _ = CASES[function]
    call()


@pytest.mark.parametrize(("function", "parameter", "value"), WALK,
                         ids=[f"{f}-{p}={v!r}"[:60] for f, p, v in WALK])  # fmt: skip
def test_a_bad_value_is_refused_naming_the_parameter(function, parameter, value, tmp_path,
                                                     monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    call, _ = CASES[function]
    with pytest.raises((ParameterError, InputError)) as caught:
        call(**{parameter: value})
    assert parameter in str(caught.value), str(caught.value)
    assert not (tmp_path / "unused-folder").exists()  # nothing written on a refusal


@pytest.mark.parametrize(
    "args",
    [
        ["run", "demo", "--only", "nosuch"],
        ["run", "demo", "--jobs", "0"],
        ["validate", "feed.csv", "--suite", "nosuch"],
    ],
    ids=["only", "jobs", "suite"],
)
def test_cli_usage_errors_exit_2_naming_the_argument(args, tmp_path, monkeypatch, capsys):
    from cibg_ds.cli import main

    monkeypatch.chdir(tmp_path)
    try:
        code = main([*args, *(["--reports", str(tmp_path / "r")] if args[0] == "run" else [])])
    except SystemExit as exc:  # argparse refuses the arguments
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert args[-1] in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()  # refused before anything ran
