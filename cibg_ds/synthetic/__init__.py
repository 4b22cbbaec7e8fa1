"""Deterministic synthetic data: a truck OBU feed driving on the embedded OSM roads."""

from cibg_ds.synthetic.network import RoadNetwork, build_network
from cibg_ds.synthetic.simulate import SimulationResult, simulate

__all__ = ["RoadNetwork", "SimulationResult", "build_network", "simulate"]
