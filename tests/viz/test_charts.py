"""The chart fixes of issue 12, checked on the data that produced each chart."""

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgba

import cibg_ds as cd
from cibg_ds.viz.maps import LISA_COLOURS
from cibg_ds.viz.mobility import EURO_COLOURS


@pytest.fixture(scope="module")
def divide():
    return cd.reports.divide_report(n_sim=50, validate=False)


@pytest.fixture(scope="module")
def week():
    """A simulated week (Monday 2 to Sunday 8 November 2026) of 150 trucks, reported."""
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    trucks = [make_truck(i, 9, net) for i in range(150)]
    days = [dt.date(2026, 11, 2) + dt.timedelta(days=d) for d in range(7)]
    pings = pd.concat(
        [simulate_chunk(trucks, d, 9, net, "k", "Europe/Brussels") for d in days],
        ignore_index=True,
    )
    return cd.reports.mobility_report(pings, roads=net.to_geodataframe(), k=5)


def test_lisa_map_colours_significant_communes_only(divide):
    gdf = divide.map_table()
    ax = cd.viz.lisa_map(gdf, alpha=0.05, lang="fr")
    faces = [to_hex(c) for c in ax.collections[0].get_facecolors()]
    lisa = divide.lisa.set_index("nis").loc[gdf["nis"]]
    expected = [
        LISA_COLOURS[q] if sig else LISA_COLOURS["ns"]
        for q, sig in zip(lisa["quadrant"], lisa["significant"], strict=True)
    ]
    assert faces == expected
    assert 0 < lisa["significant"].sum() < len(lisa)  # both kinds are drawn
    hh = [f for f, q, s in zip(faces, lisa["quadrant"], lisa["significant"], strict=True)
          if q == "HH" and s]  # fmt: skip
    assert all(f == "#d7191c" for f in hh)  # HH is red, never blue
    legend = ax.get_legend()
    assert "p < 0,05" in legend.get_title().get_text()  # French decimal comma
    counts = [t.get_text() for t in legend.get_texts()]
    assert f"non significatif ({int((~lisa['significant']).sum())})" in counts
    names = {t.get_text().replace("-\n", "-") for t in ax.texts}
    assert set(gdf["name_fr"]) <= names  # every commune named


def test_commune_maps_name_every_commune_in_the_language(divide):
    gdf = divide.map_table()
    ax = cd.viz.static_map(gdf, "score", "x", scheme="quantiles", k=4, cmap="Purples", lang="nl")
    names = {t.get_text().replace("-\n", "-") for t in ax.texts}
    assert set(gdf["name_nl"]) <= names
    lowest = ax.collections[0].get_facecolors()
    assert min(np.mean(c[:3]) for c in lowest) < 0.9  # no class is white on white
    bounds = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(" – " in b for b in bounds[:4]) and "," in bounds[0]  # Dutch decimal comma


def test_euro_chart_colours_match_its_title(week):
    euro = week["euro"].dropna(subset="euro_6")
    ax = cd.viz.plot_euro(euro, lang="en")
    title = ax.get_title()
    assert "Euro 5 and older: red shades" in title and "Euro 6: blue" in title
    by_label = {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in ax.containers}
    for e in range(6):
        r, g, b, _ = to_rgba(by_label[f"Euro {e}"])
        assert r > g and r > b, f"Euro {e} is not a red shade"
    r, g, b, _ = to_rgba(by_label["Euro 6"])
    assert b > r and b > g
    assert by_label["Euro 6"] == EURO_COLOURS[6]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(euro["commune"].astype(str))


def test_through_chart_has_every_hour_and_marks_suppressed_ones(week):
    share = week["through_hour"]
    ax = cd.viz.plot_through(share, lang="nl", k=5)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(h) for h in range(24)]
    suppressed = set(share.loc[share["suppressed"], "hour"])
    assert suppressed  # the night hours of a week of 150 trucks
    hatched = {round(p.get_x() + p.get_width() / 2) for p in ax.patches if p.get_hatch()}
    assert hatched == suppressed
    blue = {
        round(p.get_x() + p.get_width() / 2): p.get_height()
        for p in ax.patches
        if not p.get_hatch()
    }
    shown = share[~share["suppressed"]].set_index("hour")["share_through"].astype(float)
    assert blue == pytest.approx((100 * shown).to_dict())
    absent = set(range(24)) - set(share["hour"])
    assert {t.get_text() for t in ax.texts} == ({"geen ritten"} if absent else set())
    assert "afgeschermd" in " ".join(t.get_text() for t in ax.get_legend().get_texts())


def test_profile_bars_and_labels_use_the_same_mean(divide):
    profile = divide.profile("21016")  # Uccle
    comparison = profile["comparison"]
    ind = divide.indicators.set_index("nis")[comparison["column"]]
    assert comparison["region_mean"].to_numpy() == pytest.approx(ind.mean().to_numpy())
    ax = cd.viz.plot_profile(comparison, lang="en")
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(list(comparison["z"] * comparison["direction"]))
    for patch, text, value, mean, direction in zip(
        ax.patches, ax.texts, comparison["commune"], comparison["region_mean"],
        comparison["direction"], strict=True,
    ):  # fmt: skip
        assert "mean of the communes" in text.get_text()
        red = to_hex(patch.get_facecolor()) == "#d7301f"
        assert red == ((value - mean) * direction > 0)  # red: more risk than that same mean


def test_unusual_days_on_a_simulated_week_are_not_all_weekend(week):
    days = week["anomalies"]
    assert set(days["daytype"]) == {"weekday", "weekend"}
    flagged = days[days["anomaly"].fillna(False).astype(bool)]
    assert not (flagged["daytype"] == "weekend").any()  # 2 weekend days cannot be judged
    weekday = days[days["daytype"] == "weekday"]
    assert weekday["robust_z"].notna().any()  # weekdays are judged against weekdays
    old = cd.mobility.robust_anomalies(
        days.dropna(subset="vkm").assign(vkm=lambda t: t["vkm"].astype(float)), "vkm", ["commune"]
    )
    old_flags = old[old["anomaly"]]
    weekends = pd.to_datetime(old_flags["date"]).dt.day_of_week >= 5
    assert len(old_flags) and weekends.mean() > 0.5  # one baseline for all days: weekends


def test_unusual_days_compare_the_same_day_type():
    dates = pd.date_range("2026-10-05", periods=28, freq="D").strftime("%Y-%m-%d")
    weekend = pd.to_datetime(dates).day_of_week >= 5
    vkm = np.where(weekend, 300.0, 1000.0) * (1 + 0.03 * np.sin(np.arange(28)))  # usual spread
    daily = pd.DataFrame({"commune": "21004", "date": dates, "vkm": vkm, "n_vehicles": 50})
    assert weekend[12]
    daily.loc[12, "vkm"] = 1000.0  # a Saturday as busy as a weekday
    out = cd.mobility.unusual_days(daily)
    assert list(out.index[out["anomaly"]]) == [12]
    others = vkm[weekend & (np.arange(28) != 12)]
    assert out.loc[12, "usual_vkm"] == pytest.approx(np.median([*others, 1000.0]))
    thin = daily.assign(n_vehicles=np.where(weekend, 2, 50))
    few = cd.mobility.unusual_days(thin, min_vehicles=5)
    assert not few.loc[weekend, "robust_z"].notna().any()  # thin days neither judged nor used


def test_every_chart_has_a_description_shown_as_alt_text(week, divide):
    charts = [
        cd.viz.plot_hourly(week["hourly"], lang="fr"),
        cd.viz.plot_od(week.od_matrix(), cd.viz.commune_names("fr"), lang="fr"),
        cd.viz.plot_rank_intervals(divide.index, lang="fr"),
        cd.viz.plot_skills(divide.skills, lang="fr"),
        cd.viz.plot_sensitivity(divide.index, lang="fr"),
    ]
    for ax in charts:
        text = cd.viz.figures.description(ax.figure)
        assert len(text) > 40 and "No description" not in text
        html = cd.viz.figures.img_html(cd.viz.figures.png_bytes(ax.figure), text)
        assert html.startswith('<img src="data:image/png;base64,') and 'alt="' in html


def test_hourly_chart_marks_suppressed_hours_on_every_hour(week):
    hourly = week["hourly"]
    ax = cd.viz.plot_hourly(hourly, lang="fr", k=5)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(h) for h in range(24)]
    crosses = [line for line in ax.lines if line.get_marker() == "x" and len(line.get_xdata())]
    marked = sum(len(line.get_xdata()) for line in crosses)
    assert marked == int(hourly["suppressed"].sum()) > 0
    assert all((line.get_ydata() == 0).all() for line in crosses)  # on the axis, not a value
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:7] == ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
    assert "masqué (moins de 5 camions)" in labels
    notes = [t.get_text() for t in ax.texts]  # the threshold in force, not the letter k
    assert any("moins de 5 camions distincts" in n for n in notes), notes


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_divide_charts_name_the_communes_in_the_language(divide, lang):
    names = set(divide.indicators[cd.i18n.name_column(lang)])
    for ax in (
        cd.viz.plot_rank_intervals(divide.index, lang=lang),
        cd.viz.plot_skills(divide.skills, lang=lang),
    ):
        assert {t.get_text() for t in ax.get_yticklabels()} == names


def test_profile_sentences_in_the_language(divide):
    lisa = divide.lisa.set_index("nis")
    quiet = lisa.index[~lisa["significant"]][0]
    nl = divide.profile(quiet, "nl")["summary"]
    assert nl[1].startswith("Rang voor het uitsluitingsrisico")
    assert "niet significant" in nl[4] and "19 gemeenten" in nl[4]
    en = divide.profile(quiet)["summary"]
    assert en[1].startswith("Exclusion-risk rank") and "not significant" in en[4]


@pytest.mark.parametrize(("lang", "mark"), [("fr", ","), ("nl", ",")])
def test_chart_axes_write_numbers_in_the_language(divide, lang, mark):
    profile = cd.viz.plot_profile(divide.profile("21016")["comparison"], lang=lang)
    skills = cd.viz.plot_skills(divide.skills, lang=lang)
    for ax in (profile, skills):
        ax.figure.canvas.draw()
    ticks = [t.get_text() for t in profile.get_xticklabels()]
    assert any(mark in t for t in ticks) and not any("." in t for t in ticks), ticks
    thousands = [t.get_text() for t in skills.get_xticklabels() if len(t.get_text()) > 3]
    assert thousands and all(("\u202f" if lang == "fr" else ".") in t for t in thousands)
