"""Readers and writers: communes, reference figures, truck pings."""

from cibg_ds.io.communes import load_commune_facts, load_communes, load_regional_figures
from cibg_ds.io.pings import pseudonymise, read_pings, write_parquet_atomic

__all__ = [
    "load_commune_facts",
    "load_communes",
    "load_regional_figures",
    "pseudonymise",
    "read_pings",
    "write_parquet_atomic",
]
