"""Who the synthetic trucks are and what they do on a given day.

Each truck has a fixed profile (role, home, weight and Euro class, country) drawn from
its own seed, and a daily plan (active or not, departure time, the places it visits and
how long it stays) drawn from a seed of (truck, day), so that a truck's day never depends
on how the work was split into tasks.

Roles: ``local`` delivery rounds from a depot; ``regional`` supply from outside the
region; ``through`` traffic that crosses without stopping; ``port`` shuttles of the port
and canal zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from cibg_ds.schema import WEIGHT_CLASSES
from cibg_ds.synthetic.network import RoadNetwork

ROLES = ("local", "regional", "through", "port")
ROLE_SHARES = (0.45, 0.28, 0.17, 0.10)
#: Weight-class mix per role (3.5-12t, 12-32t, >32t).
WEIGHT_MIX = {
    "local": (0.55, 0.35, 0.10),
    "regional": (0.20, 0.35, 0.45),
    "through": (0.05, 0.25, 0.70),
    "port": (0.10, 0.30, 0.60),
}
#: Euro class 0..6; Euro VI drives about three quarters of heavy-truck distance.
EURO_MIX = (0.003, 0.004, 0.008, 0.02, 0.045, 0.14, 0.78)
COUNTRIES = (
    "BE",
    "NL",
    "FR",
    "DE",
    "PL",
    "RO",
    "LU",
    "LT",
    "BG",
    "ES",
    "IT",
    "CZ",
    "SK",
    "PT",
    "HU",
)
#: Country mix of domestic work (local, port) and of long-distance work (regional, through).
COUNTRY_MIX = {
    "domestic": (0.90, 0.03, 0.02, 0.01, 0.01, 0.01, 0.01, 0, 0, 0, 0, 0, 0, 0, 0),
    "long": (0.38, 0.10, 0.08, 0.07, 0.11, 0.06, 0.03, 0.04, 0.03, 0.03, 0.02, 0.02, 0.01, 0.01,
             0.01),
}  # fmt: skip
#: Probability that a truck works on Monday..Sunday.
ACTIVE_BY_WEEKDAY = (0.88, 0.90, 0.90, 0.90, 0.86, 0.22, 0.04)


@dataclasses.dataclass(frozen=True)
class Truck:
    """The fixed profile of one truck."""

    index: int
    role: str
    home: int
    weight_class: str
    euro_class: int
    country: str
    afternoon: bool
    """Local rounds: this truck works the afternoon shift."""


@dataclasses.dataclass(frozen=True)
class DayPlan:
    """Where a truck goes on one day: ``stops[0]`` is the start, then each place visited."""

    truck: Truck
    depart_s: float
    """Departure in seconds after local midnight."""
    stops: np.ndarray
    dwell_s: np.ndarray
    """Time parked at ``stops[1:-1]`` (len(stops) - 2 values)."""


def make_truck(index: int, seed: int, net: RoadNetwork) -> Truck:
    """Draw the profile of truck ``index`` for a simulation ``seed``."""
    rng = np.random.default_rng([seed, index])
    role = ROLES[rng.choice(len(ROLES), p=ROLE_SHARES)]
    if role == "local":
        homes = net.kind("depot", "depot_outside") if rng.random() < 0.5 else net.kind("depot")
    elif role == "port":
        homes = net.kind("port")
    else:
        homes = net.kind("outside")
    weight = WEIGHT_CLASSES[rng.choice(3, p=WEIGHT_MIX[role])]
    euro = int(rng.choice(7, p=EURO_MIX))
    mix = COUNTRY_MIX["domestic" if role in ("local", "port") else "long"]
    country = COUNTRIES[rng.choice(len(COUNTRIES), p=np.array(mix) / sum(mix))]
    return Truck(
        index, role, int(rng.choice(homes)), weight, euro, country, bool(rng.random() < 0.3)
    )


def _departure_hour(truck: Truck, rng: np.random.Generator) -> float:
    if truck.role == "local":
        hour = rng.normal(15.0, 0.8) if truck.afternoon else rng.normal(6.5, 0.9)
    elif truck.role == "port":
        hour = rng.normal(6.8, 1.2)
    else:  # regional and through: morning and evening waves over a daytime background
        wave = rng.choice(3, p=(0.4, 0.3, 0.3))
        hour = (rng.normal(7.5, 1.2), rng.normal(16.8, 1.1), rng.uniform(4.0, 22.0))[wave]
    return float(np.clip(hour, 0.0, 23.9))


def plan_day(truck: Truck, day: dt.date, seed: int, net: RoadNetwork) -> DayPlan | None:
    """Return the truck's plan for ``day``, or None when it does not drive that day."""
    rng = np.random.default_rng([seed, truck.index, day.toordinal()])
    if rng.random() >= ACTIVE_BY_WEEKDAY[day.weekday()]:
        return None
    delivery = net.kind("delivery")
    if truck.role == "local":
        visits = rng.choice(delivery, size=int(rng.integers(3, 10)), replace=False)
        stops = [truck.home, *visits, truck.home]
        dwell = rng.uniform(8, 35, len(visits))
    elif truck.role == "regional":
        places = np.concatenate([delivery, net.kind("depot", "port")])
        visits = rng.choice(places, size=int(rng.integers(1, 4)), replace=False)
        outside = net.kind("outside")
        exit_ = truck.home if rng.random() < 0.6 else int(rng.choice(outside))
        stops = [truck.home, *visits, exit_]
        dwell = rng.uniform(15, 60, len(visits))
    elif truck.role == "through":
        others = net.kind("outside")
        stops = [truck.home, int(rng.choice(others[others != truck.home]))]
        dwell = np.empty(0)
    else:  # port
        places = np.concatenate([net.kind("depot", "depot_outside"), delivery[::3]])
        visits = rng.choice(places, size=int(rng.integers(2, 6)), replace=False)
        stops = [truck.home, *visits, truck.home]
        dwell = rng.uniform(15, 50, len(visits))
    depart = _departure_hour(truck, rng) * 3600.0
    return DayPlan(truck, depart, np.asarray(stops, dtype=np.int64), np.asarray(dwell) * 60.0)
