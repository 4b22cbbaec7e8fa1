"""Statbel files as Statbel publishes them: the real downloads, and their variants."""

import zipfile

import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import fiscal_income, population_structure, read_statbel
from cibg_ds.io.statbel import households_cars, statbel_number
from cibg_ds.schema import BRUSSELS_NIS
from tests.conftest import shared_file

FISCAL_ZIP = "TF_PSNL_INC_TAX_MUNTY_tcm325-272513.zip"


def test_the_published_fiscal_income_zip_gives_the_brussels_average_of_2013():
    table = fiscal_income(shared_file(FISCAL_ZIP), year=2013)
    assert table["nis"].tolist() == list(BRUSSELS_NIS)
    assert set(table["income_year"]) == {2013}
    assert table.attrs["region_returns"] == 585_616
    assert round(table.attrs["region_income_eur"], 1) == 26_870.9
    assert table.attrs["source"].endswith(f"{FISCAL_ZIP}!TF_PSNL_INC_TAX_MUNTY.txt")
    # the latest year by default; every commune's mean is total / returns of its row
    latest = fiscal_income(shared_file(FISCAL_ZIP))
    assert set(latest["income_year"]) == {2013}
    assert latest["income_eur"].tolist() == pytest.approx(table["income_eur"].tolist())
    assert (
        fiscal_income(shared_file(FISCAL_ZIP), year=2005)["income_eur"]
        .lt(table["income_eur"])
        .sum()
        >= 17
    )  # incomes grew over eight years in nearly every commune


def test_the_text_inside_the_zip_reads_the_same(tmp_path):
    with zipfile.ZipFile(shared_file(FISCAL_ZIP)) as archive:
        archive.extract("TF_PSNL_INC_TAX_MUNTY.txt", tmp_path)
    text = tmp_path / "TF_PSNL_INC_TAX_MUNTY.txt"
    raw = read_statbel(text)
    assert raw.shape[1] == 41 and raw.columns[0] == "CD_YEAR"  # no BOM left in a name
    assert raw["CD_YEAR"].nunique() == 9
    a = fiscal_income(text, year=2013)
    b = fiscal_income(shared_file(FISCAL_ZIP), year=2013)
    pd.testing.assert_frame_equal(a, b, check_like=True)


def test_the_refnis_code_list():
    table = read_statbel(shared_file("TU_COM_REFNIS.txt"))
    assert list(table.columns[:3]) == ["LVL_REFNIS", "CD_REFNIS", "CD_SUP_REFNIS"]
    communes = table[(table["LVL_REFNIS"] == "4") & (table["CD_SUP_REFNIS"] == "21000")]
    assert set(BRUSSELS_NIS) <= set(communes["CD_REFNIS"])
    assert table.loc[table["CD_REFNIS"] == "21004", "TX_REFNIS_FR"].iloc[0] == "Bruxelles"
    assert table.loc[table["LVL_REFNIS"] == "1", "CD_SUP_REFNIS"].isna().all()  # '-'


def test_households_and_cars_by_sector_with_dot_thousands():
    table = households_cars(shared_file("TF_CAR_HH_SECTOR.txt"))
    assert len(table) == 722 and set(table["nis"]) == set(BRUSSELS_NIS)
    assert set(table["year"]) == {2019} and table["sector"].is_unique
    first = table.set_index("sector").loc["21001A00-"]
    assert first["households"] == 1188 and first["cars"] == 559  # written '1.188'
    assert table["households"].notna().all() and (table["cars"] >= 0).all()
    # about half a million households and a third of a million cars in the region
    assert 500_000 < table["households"].sum() < 600_000
    assert 0.5 < table["cars"].sum() / table["households"].sum() < 0.7


def _population_rows(nis_col, name_col, national=True, years=(2024,)):
    rows = []
    for year in years:
        for nis in BRUSSELS_NIS:
            rows += [(year, nis, f"Commune {nis}", age, n) for age, n in ((30, 600), (70, 400))]
        if national:
            rows.append((year, "11002", "Antwerpen", 30, 99_999))
    header = ["CD_YEAR", nis_col, name_col, "CD_AGE", "MS_POPULATION"]
    return header, rows


def _write(path, header, rows, sep="|", encoding="utf-8-sig", eol="\r\n"):
    lines = [sep.join(header)] + [sep.join(map(str, r)) for r in rows]
    path.write_bytes((eol.join(lines) + eol).encode(encoding))
    return path


@pytest.mark.parametrize(
    ("nis_col", "name_col"),
    [("CD_REFNIS", "TX_DESCR_FR"), ("CD_MUNTY_REFNIS", "TX_MUNTY_DESCR_FR")],
)
def test_both_population_layouts_national_files_and_years(tmp_path, nis_col, name_col):
    header, rows = _population_rows(nis_col, name_col, years=(2023, 2024))
    rows = [(*r[:4], r[4] + 100 * (r[0] == 2024)) for r in rows]  # 2024 differs
    path = _write(tmp_path / "pop.txt", header, rows)
    latest = population_structure(path).set_index("nis")
    assert latest.index.tolist() == list(BRUSSELS_NIS)  # Antwerp dropped
    assert latest.loc["21001", "population"] == 700 + 500
    older = population_structure(path, year=2023).set_index("nis")
    assert older.loc["21001", "population"] == 1000
    assert older.loc["21001", "share_65plus_pct"] == pytest.approx(40)
    with pytest.raises(InputError, match=r"pop.txt: no year 2019 in column 'CD_YEAR'.*2023, 2024"):
        population_structure(path, year=2019)


@pytest.mark.parametrize(
    ("sep", "encoding", "eol"),
    [("|", "utf-8-sig", "\r\n"), (";", "utf-8", "\n"), (";", "cp1252", "\r\n"),
     ("|", "latin-1", "\n")],
)  # fmt: skip
def test_delimiters_encodings_and_line_ends(tmp_path, sep, encoding, eol):
    header = [" CD_REFNIS ", "TX_DESCR_FR", "CD_AGE ", "MS_POPULATION"]  # untrimmed names
    rows = [(nis, "Saint-Josse-ten-Noode" if nis == "21014" else "Société", 40, "1.250")
            for nis in BRUSSELS_NIS]  # fmt: skip
    rows[0] = (rows[0][0], "Anderlecht", 40, "*")
    path = _write(tmp_path / "t.txt", header, rows, sep, encoding, eol)
    table = read_statbel(path)
    assert table.columns.tolist() == ["CD_REFNIS", "TX_DESCR_FR", "CD_AGE", "MS_POPULATION"]
    assert table.loc[1, "TX_DESCR_FR"] == "Société"
    population = population_structure(path).set_index("nis")["population"]
    assert pd.isna(population["21001"]) and population["21002"] == 1250


def test_a_zip_of_an_excel_sheet_or_of_two_tables(tmp_path):
    header, rows = _population_rows("CD_REFNIS", "TX_DESCR_FR", national=False)
    text = _write(tmp_path / "pop.txt", header, rows)
    double = tmp_path / "two.zip"
    with zipfile.ZipFile(double, "w") as archive:
        archive.write(text, "a.txt")
        archive.write(text, "b.txt")
    with pytest.raises(InputError, match=r"two.zip: a Statbel zip holds one .txt or .xlsx"):
        read_statbel(double)
    single = tmp_path / "one.zip"
    with zipfile.ZipFile(single, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(text, "TF_SOC_POP_STRUCT_2024.txt")
    assert population_structure(single)["population"].tolist() == [1000] * 19
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"bad.zip: not a readable zip"):
        read_statbel(tmp_path / "bad.zip")


def test_clear_errors_name_file_column_and_expectation(tmp_path):
    path = _write(tmp_path / "x.txt", ["CD_REFNIS", "CD_AGE", "MS_POPULATION"],
                  [("21001", 30, "12,5%")])  # fmt: skip
    with pytest.raises(InputError, match=r"x.txt: column 'MS_POPULATION' holds '12,5%'"):
        population_structure(path)
    flat = tmp_path / "flat.txt"
    flat.write_text("just one column\n1\n")
    with pytest.raises(InputError, match=r"flat.txt: not a Statbel text table: the header"):
        read_statbel(flat)
    path = _write(tmp_path / "y.txt", ["CD_YEAR", "MS_POPULATION"], [(2024, 5)])
    with pytest.raises(InputError, match=r"y.txt: no commune code column; expected one of"):
        population_structure(path)


def test_numbers_dot_as_thousands_only_when_it_is():
    assert statbel_number(pd.Series(["1.188", "12.345.678", "7"])).tolist() == [
        1188, 12_345_678, 7,
    ]  # fmt: skip
    assert statbel_number(pd.Series(["1.188", "2.5"])).tolist() == [1.188, 2.5]
    assert statbel_number(pd.Series(["-", None], dtype="string").replace("-", pd.NA)).isna().all()
