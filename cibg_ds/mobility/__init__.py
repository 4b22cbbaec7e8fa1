"""Truck trajectories: cleaning, trips, stops and vehicle-kilometres, on pandas or Dask."""

from cibg_ds.mobility.clean import clean, flag_fixes
from cibg_ds.mobility.stops import silence_stops
from cibg_ds.mobility.trips import label_trips, segment_trips
from cibg_ds.mobility.vkm import vehicle_km

__all__ = ["clean", "flag_fixes", "label_trips", "segment_trips", "silence_stops", "vehicle_km"]
