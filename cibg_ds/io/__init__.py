"""Readers and writers: communes, figures, Statbel files, computer spaces, roads, pings."""

from cibg_ds.io.atomic import write_parquet_atomic
from cibg_ds.io.communes import (
    load_commune_facts,
    load_communes,
    load_regional_figures,
    resolve_commune,
)
from cibg_ds.io.pings import pseudonymise, read_pings
from cibg_ds.io.roads import load_roads
from cibg_ds.io.sectors import load_sectors
from cibg_ds.io.spaces import load_computer_spaces
from cibg_ds.io.statbel import (
    fiscal_income,
    households_cars,
    population_structure,
    read_statbel,
    statbel_number,
)

__all__ = [
    "fiscal_income",
    "households_cars",
    "load_commune_facts",
    "load_communes",
    "load_computer_spaces",
    "load_regional_figures",
    "load_roads",
    "load_sectors",
    "population_structure",
    "pseudonymise",
    "read_pings",
    "read_statbel",
    "resolve_commune",
    "statbel_number",
    "write_parquet_atomic",
]
