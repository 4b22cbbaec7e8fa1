"""Readers and writers: communes, reference figures, road networks, truck pings."""

from cibg_ds.io.communes import load_commune_facts, load_communes, load_regional_figures
from cibg_ds.io.pings import pseudonymise, read_pings, write_parquet_atomic
from cibg_ds.io.roads import load_roads

__all__ = [
    "load_commune_facts",
    "load_communes",
    "load_regional_figures",
    "load_roads",
    "pseudonymise",
    "read_pings",
    "write_parquet_atomic",
]
