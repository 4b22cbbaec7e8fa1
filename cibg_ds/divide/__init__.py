"""Digital-divide mapping at commune level: indicators, index, skills, typology, space."""

from cibg_ds.divide.access import reach
from cibg_ds.divide.explore import reweight, weighting_scenarios
from cibg_ds.divide.index import IndexResult, exclusion_index
from cibg_ds.divide.indicators import INDICATORS, Indicator, indicators, risk_columns
from cibg_ds.divide.sectors import sector_autocorrelation, sector_car_indicators
from cibg_ds.divide.skills import skill_estimates
from cibg_ds.divide.spatial import local_moran, moran, queen_weights
from cibg_ds.divide.typology import TypologyResult, typology

__all__ = [
    "INDICATORS",
    "IndexResult",
    "Indicator",
    "TypologyResult",
    "exclusion_index",
    "indicators",
    "local_moran",
    "moran",
    "queen_weights",
    "reach",
    "reweight",
    "risk_columns",
    "sector_autocorrelation",
    "sector_car_indicators",
    "skill_estimates",
    "typology",
    "weighting_scenarios",
]
