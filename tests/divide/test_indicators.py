import numpy as np
import pandas as pd
import pytest

from cibg_ds.divide import INDICATORS, indicators, risk_columns
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io import fiscal_income, load_commune_facts, population_structure
from cibg_ds.schema import BRUSSELS_NIS


def _write_statbel(path, header, rows):
    text = "|".join(header) + "\n" + "\n".join("|".join(map(str, r)) for r in rows) + "\n"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))  # Statbel: pipes and a BOM
    return path


@pytest.fixture
def population_file(tmp_path):
    """Ages 30, 70 and 80 per commune (about its real size); Ixelles has a suppressed cell."""
    rows = []
    population = load_commune_facts().set_index("nis")["population_2026"]
    for nis in BRUSSELS_NIS:
        third = int(population[nis]) // 3
        for age, n in ((30, 2 * third - 500), (70, third), (80, 500)):
            count = "*" if (nis == "21009" and age == 80) else n
            rows.append((nis, f"Commune {nis}", "F", age, count))
    rows.append(("11002", "Antwerpen", "F", 30, 5000))  # another region: ignored
    header = ["CD_REFNIS", "TX_DESCR_FR", "CD_SEX", "CD_AGE", "MS_POPULATION"]
    return _write_statbel(tmp_path / "TF_SOC_POP_STRUCT_2026.txt", header, rows)


def test_population_structure_reads_shares_and_keeps_suppressed_cells_missing(population_file):
    table = population_structure(population_file).set_index("nis")
    assert len(table) == 19
    first = table.loc["21001"]  # 129,600 residents: thirds of 43,200
    assert first["population"] == 129_600
    assert first["share_65plus_pct"] == pytest.approx(100 * 43_700 / 129_600)
    assert first["share_75plus_pct"] == pytest.approx(100 * 500 / 129_600)
    assert table.loc["21009"].isna().all()  # '*' is missing, never zero


def test_fiscal_income_is_total_over_returns_of_the_latest_year(tmp_path):
    header = ["CD_YEAR", "CD_MUNTY_REFNIS", "MS_NBR_NON_ZERO_INC", "MS_NBR_ZERO_INC",
              "MS_TOT_NET_TAXABLE_INC"]  # fmt: skip
    rows = [(2022, nis, 90, 10, 2_000_000) for nis in BRUSSELS_NIS]
    rows += [(2023, nis, 95, 5, 3_000_000 + i) for i, nis in enumerate(BRUSSELS_NIS)]
    path = _write_statbel(tmp_path / "TF_PSNL_INC_TAX_MUNTY.txt", header, rows)
    table = fiscal_income(path)
    assert set(table["income_year"]) == {2023}
    # per return with an income (Statbel's definition): zero-income returns do not count
    assert table.set_index("nis").loc["21001", "income_eur"] == pytest.approx(3_000_000 / 95)
    assert fiscal_income(path, year=2022)["income_eur"].iloc[0] == pytest.approx(2_000_000 / 90)
    with pytest.raises(InputError, match=r"no year 2019 in column .CD_YEAR."):
        fiscal_income(path, year=2019)


def test_bad_statbel_files_are_named(tmp_path):
    with pytest.raises(InputError, match="not found"):
        population_structure(tmp_path / "absent.txt")
    path = _write_statbel(tmp_path / "p.txt", ["CD_REFNIS", "MS_POPULATION"], [("21001", 3)])
    with pytest.raises(InputError, match=r"p.txt: columns \['CD_AGE'\] are missing"):
        population_structure(path)
    path = _write_statbel(
        tmp_path / "q.txt", ["CD_REFNIS", "CD_AGE", "MS_POPULATION"], [("21001", 30, "many")]
    )
    with pytest.raises(InputError, match="'MS_POPULATION' holds 'many', not a number"):
        population_structure(path)


def test_default_table_is_complete_validated_and_typed():
    table = indicators()
    assert table["nis"].tolist() == list(BRUSSELS_NIS)
    assert table.attrs["validation"]["success"] and table.attrs["illustrative"]
    assert table["population"].sum() == load_commune_facts()["population_2026"].sum()
    assert table["computers_per_10k"].mul(table["population"]).sum() / 1e4 == pytest.approx(410)
    assert {"income_eur", "share_65plus_pct", "unemployment_pct"} <= set(risk_columns(table))
    assert "density_per_km2" not in risk_columns(table)  # context, not risk
    assert not [c for c in table.columns if c.endswith("_imputed")]
    assert {i.direction for i in INDICATORS if i.column == "income_eur"} == {-1}


def test_supplied_files_replace_embedded_figures_and_gaps_are_imputed(population_file):
    facts = load_commune_facts().set_index("nis")
    table = indicators(population=population_file).set_index("nis")
    assert table.loc["21001", "share_65plus_pct"] == pytest.approx(100 * 43_700 / 129_600)
    assert (
        table.loc["21009", "population_imputed"] and table.loc["21009", "share_75plus_pct_imputed"]
    )
    neighbours = facts.loc["21009", "neighbours"].split(";")
    expected = table.loc[neighbours, "share_75plus_pct"].mean()
    assert table.loc["21009", "share_75plus_pct"] == pytest.approx(expected)
    assert table.attrs["imputed"]["share_75plus_pct"] == ["21009"]
    median = indicators(population=population_file, impute="median").set_index("nis")
    others = median.drop(index="21009")["share_75plus_pct"]
    assert median.loc["21009", "share_75plus_pct"] == pytest.approx(np.median(others))


def test_extra_indicators_and_bad_extras():
    extra = pd.DataFrame({"nis": list(BRUSSELS_NIS), "low_education_pct": np.linspace(10, 40, 19)})
    table = indicators(extra=extra)
    assert "low_education_pct" in risk_columns(table)
    with pytest.raises(InputError, match=r"unknown columns \['wifi'\]"):
        indicators(extra=extra.assign(wifi=1.0))
    with pytest.raises(InputError, match="not Brussels communes"):
        indicators(extra=pd.DataFrame({"nis": ["11002"], "low_education_pct": [3.0]}))
    with pytest.raises(ParameterError, match="impute must be"):
        indicators(impute="zero")
    with pytest.raises(InputError, match="fails its GX suite"):
        indicators(extra=pd.DataFrame({"nis": ["21001"], "unemployment_pct": [140.0]}))
