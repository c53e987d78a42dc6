"""Analytics: data in, data out, no database. For now, the simulated retailer world.

`write_world(SCALES["small"], seed, folder)` writes a deterministic world with its
faults, their ground truth and what the source systems report; `simulate(config, seed,
sink)` runs it into any `Sink`.
"""

from trueup.analytics.simulation.business import Business
from trueup.analytics.simulation.faults import CAUSES, FaultLog, FaultRates, FaultRecord
from trueup.analytics.simulation.feed import Event, PurchaseLine, Sink, SnapshotLine
from trueup.analytics.simulation.output import HEADERS, FileSink, write_world
from trueup.analytics.simulation.simulate import simulate
from trueup.analytics.simulation.world import SCALES, World, WorldConfig, build_world

__all__ = [
    "CAUSES",
    "HEADERS",
    "SCALES",
    "Business",
    "Event",
    "FaultLog",
    "FaultRates",
    "FaultRecord",
    "FileSink",
    "PurchaseLine",
    "Sink",
    "SnapshotLine",
    "World",
    "WorldConfig",
    "build_world",
    "simulate",
    "write_world",
]
