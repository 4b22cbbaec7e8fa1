"""Readable tables: names instead of codes, integer counts, % shares, headers with units."""

import pandas as pd
import pytest

import cibg_ds as cd
from cibg_ds.errors import ParameterError


def test_codes_become_names_counts_integers_and_shares_percent():
    table = pd.DataFrame(
        {
            "commune": ["21016", "outside", "21004"],
            "date": ["2026-11-07", "2026-11-03", None],
            "n_vehicles": [129600.0, 12.0, None],
            "share_through": [0.0018, 0.25, None],
            "vkm": [1234.5678, 10.0, None],
            "suppressed": [False, False, True],
        }
    )
    fr = cd.viz.readable(table, "fr")
    assert list(fr.columns) == [
        "Commune",
        "Jour",
        "Camions distincts",
        "Trajets de transit (%)",
        "Véhicules-kilomètres (km)",
    ]
    assert list(fr["Commune"]) == ["Uccle", "hors Région", "Bruxelles"]
    assert fr["Jour"].iloc[0].startswith("sam.")  # the weekday is said
    assert str(fr["Camions distincts"].dtype) == "Int64"
    assert fr["Camions distincts"].iloc[0] == 129600 and pd.isna(fr["Camions distincts"].iloc[2])
    assert fr["Trajets de transit (%)"].iloc[:2].tolist() == [0.2, 25.0]
    nl = cd.viz.readable(table, "nl", ["commune", "n_vehicles"])
    assert list(nl.columns) == ["Gemeente", "Verschillende vrachtwagens"]
    assert list(nl["Gemeente"]) == ["Ukkel", "buiten het Gewest", "Brussel"]
    html = cd.viz.show_table(nl, "nl", "onderschrift").to_html()
    assert "129.600" in html and "onderschrift" in html
    assert "–: afgeschermd (te weinig vrachtwagens) of geen gegevens" in html  # blanks said
    assert 'class="row_heading' not in html  # no index column
    with pytest.raises(ParameterError, match=r"\['nope'\] are not in the table"):
        cd.viz.readable(table, "en", ["nope"])


def test_a_long_table_writes_each_row_in_its_indicators_unit():
    # a commune's profile: income in EUR beside shares in %, one indicator a row
    table = pd.DataFrame(
        {
            "column": ["share_65plus_pct", "income_eur"],
            "value": [12.3456, 38349.04],
            "region_mean": [14.25, 35830.6],
            "z": [-0.5612, -1.0804],
        }
    )
    fr = cd.viz.readable(table, "fr", {"column": "Indicateur", "value": "Uccle", "z": "z"})
    assert fr["Uccle"].tolist() == [12.3, 38349]
    text = cd.viz.show_table(fr, "fr").to_html().replace("\u202f", " ")
    assert ">38 349<" in text and ">12,3<" in text  # not 38 349,0 beside 12,3
    assert ">-1,08<" in text  # z-scores keep their own 2 decimals


def test_cells_are_described_by_their_commune():
    from cibg_ds.mobility.grid import cell_ids

    communes = cd.io.load_communes()
    centre = communes[communes["nis"] == "21009"].geometry.to_crs(4326).representative_point()
    ids = cell_ids(centre.x.to_numpy(), centre.y.to_numpy(), "250m")
    shown = cd.viz.readable(pd.DataFrame({"cell_id": ids}), "nl")
    assert shown.iloc[0, 0] == "Elsene"


def test_unnamed_roads_are_named_by_kind_and_commune_never_by_a_bare_id():
    from cibg_ds.io import load_roads
    from cibg_ds.viz.tables import readable, road_names

    roads = load_roads()
    ramp = roads[(roads["highway"] == "motorway_link") & roads["name_fr"].isna()
                 & roads["ref"].isna()].head(1)  # fmt: skip
    named = roads[roads["name_fr"].notna() & roads["name_nl"].notna()].head(1)
    numbered = roads[roads["name_fr"].isna() & roads["ref"].notna()].head(1)
    sample = pd.concat([ramp, named, numbered])
    fr, nl = road_names(sample, "fr").tolist(), road_names(sample, "nl").tolist()
    assert fr[0].startswith("bretelle d'autoroute, ") and nl[0].startswith("op- of afrit")
    assert fr[1] == named["name_fr"].iloc[0] and nl[1] == named["name_nl"].iloc[0]
    assert fr[2] == numbered["ref"].iloc[0]
    # nothing but an id: the id, said in words
    bare = pd.DataFrame({"segment_id": [7]})
    assert road_names(bare, "fr").tolist() == ["tronçon 7"]
    # in a reader's table, every segment of the network has a name
    table = pd.DataFrame({"segment_id": roads["segment_id"]})
    shown = readable(table, "fr", ["segment_id"], roads=roads).iloc[:, 0]
    assert not shown.str.startswith("tronçon").any()


def test_bottleneck_roads_fall_back_on_their_kind():
    from cibg_ds.viz.bottlenecks import road_label

    ranking = pd.DataFrame({
        "segment_id": [1, 2, 3],
        "road_name_fr": ["Rue de la Loi", None, None],
        "road_name_nl": ["Wetstraat", None, None],
        "road_ref": [None, "R20", None],
        "highway": ["primary", "primary", "motorway_link"],
    })  # fmt: skip
    assert road_label(ranking, "nl").tolist() == [
        "Wetstraat",
        "R20",
        "op- of afrit van de autosnelweg",
    ]
    assert road_label(ranking, "en").tolist() == ["Rue de la Loi", "R20", "motorway slip road"]


def test_two_ranked_segments_of_one_road_are_told_apart_by_their_commune():
    from cibg_ds.viz.bottlenecks import road_label

    ranking = pd.DataFrame({
        "segment_id": [1, 2, 3],
        "road_name_fr": ["Avenue Charles-Quint", "Rue de la Loi", "Avenue Charles-Quint"],
        "road_name_nl": ["Keizer Karellaan", "Wetstraat", "Keizer Karellaan"],
        "road_commune": ["21003", "21004", "21008"],
    })  # fmt: skip
    assert road_label(ranking, "nl").tolist() == [
        "Keizer Karellaan, Sint-Agatha-Berchem",
        "Wetstraat",
        "Keizer Karellaan, Ganshoren",
    ]


def test_two_carriageways_of_one_road_are_told_apart_by_the_way_trucks_drive():
    from cibg_ds.viz.bottlenecks import road_label

    ranking = pd.DataFrame({
        "segment_id": [1, 2, 3],
        "road_name_fr": ["Avenue de Tervueren"] * 2 + ["Rue de la Loi"],
        "road_commune": ["21019", "21019", "21004"],
        "road_heading": ["E", "W", "W"],
    })  # fmt: skip
    assert road_label(ranking, "fr").tolist() == [
        "Avenue de Tervueren, Woluwe-Saint-Pierre, vers l’est",
        "Avenue de Tervueren, Woluwe-Saint-Pierre, vers l’ouest",
        "Rue de la Loi",
    ]


def test_weight_classes_and_zones_are_written_as_readers_write_them():
    table = pd.DataFrame({"weight_class": ["3.5-12t", ">32t"], "n_trips": [9809, 5415]})
    assert cd.viz.readable(table, "fr")["Classe de poids"].tolist() == ["3,5-12 t", "> 32 t"]
    assert cd.viz.readable(table, "en").iloc[:, 0].tolist() == ["3.5-12 t", "> 32 t"]
    assert cd.reports.zone_text("Europe/Brussels", "nl") == "Brusselse tijd"
