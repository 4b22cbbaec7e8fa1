"""Notebooks run in French and Dutch show their charts, tables and headings in that language.

Real Papermill runs, rendered to HTML as the pipeline does (no code); the check is that no
English message of the chart catalogue (``charts.po``) reaches the page, and that every
figure carries a description in the language as its alt text.
"""

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT


def _english_messages(lang: str) -> list[str]:
    catalogue = []
    for name in ("charts.po", "explorer.po"):
        with (ROOT / "cibg_ds" / "locale" / lang / "LC_MESSAGES" / name).open("rb") as handle:
            catalogue += list(read_po(handle, locale=lang))
    # a message differing from its translation, long enough not to be a word of the other
    # language; placeholders cut the text into the parts that reach the page as they are
    parts = []
    for m in catalogue:
        if m.id and m.string and m.string != m.id:
            parts += [p for p in m.id.split("{")[0].split("\n") if len(p) >= 14]
    return sorted(set(parts))


def _page(executed, tmp_path, name) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    from cibg_ds.reports.export import drop_widgets

    # the header and the closing caveats are written by the report layer, not by the charts;
    # widgets give way to their static version, as in the client page
    executed = drop_widgets(executed)
    executed.cells = executed.cells[2:-1]
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)  # fmt: skip
    body, _ = exporter.from_notebook_node(nbformat.from_dict(executed))
    (tmp_path / f"{name}.html").write_text(body)
    return body


def _check(body: str, lang: str, figures: int):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    text = soup.get_text(" ")
    english = [m for m in _english_messages(lang) if m in text]
    assert not english, f"English left in the {lang} report: {english}"
    alts = [img.get("alt", "") for img in soup.select("img")]
    assert len(alts) >= figures
    assert all(alt and "No description" not in alt for alt in alts), alts
    return alts


def test_divide_overview_in_french(tmp_path):
    import papermill

    executed = papermill.execute_notebook(
        ROOT / "notebooks" / "divide" / "overview.ipynb",
        tmp_path / "executed.ipynb",
        parameters={"n_sim": 50, "products_dir": str(tmp_path / "products"), "lang": "fr"},
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    body = _page(executed, tmp_path, "overview_fr")
    alts = _check(body, "fr", figures=7)
    assert any(a.startswith("Carte : Regroupements spatiaux") for a in alts)
    assert "Indice de risque d'exclusion numérique" in body and "Woluwe-Saint-Pierre" in body
    assert "Explorateur de l'indice (version statique)" in body  # the explorer, static
    assert (tmp_path / "products" / "lisa.png").stat().st_size > 10_000


@pytest.mark.cluster
def test_mobility_report_in_dutch(tmp_path, dask_scheduler, sim_clean):
    import papermill

    executed = papermill.execute_notebook(
        ROOT / "notebooks" / "mobility" / "freight.ipynb",
        tmp_path / "executed.ipynb",
        parameters={
            "data_path": str(sim_clean.out),
            "k": 4,
            "products_dir": str(tmp_path / "products"),
            "scheduler_address": dask_scheduler,
            "lang": "nl",
        },
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    body = _page(executed, tmp_path, "freight_nl")
    alts = _check(body, "nl", figures=7)
    assert any(a.startswith("Gestapeld staafdiagram") for a in alts)
    assert "Waar vrachtwagens rijden" in body and "Sint-Jans-Molenbeek" in body
