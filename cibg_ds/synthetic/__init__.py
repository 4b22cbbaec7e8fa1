"""Deterministic synthetic data: a schematic road network and a truck OBU feed."""

from cibg_ds.synthetic.network import RoadNetwork, build_network
from cibg_ds.synthetic.simulate import SimulationResult, simulate

__all__ = ["RoadNetwork", "SimulationResult", "build_network", "simulate"]
