"""The simulated business: sites, suppliers and SKUs, drawn from one seeded generator.

Everything here is plain data. The same configuration and seed give the same world, because
every draw comes from one `random.Random` in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from random import Random

from trueup.analytics.simulation.faults import FaultRates

#: Demand by weekday, Monday first: retail sells more on Friday and Saturday.
WEEKLY = (0.85, 0.9, 0.95, 1.0, 1.2, 1.4, 0.7)
#: (probability of demand on a day, coefficient of variation of its size) by profile,
#: after Syntetos and Boylan: smooth and erratic items sell most days, intermittent and
#: lumpy ones rarely; erratic and lumpy sizes vary a lot.
PROFILES: dict[str, tuple[float, float]] = {
    "smooth": (0.9, 0.3),
    "erratic": (0.8, 1.1),
    "intermittent": (0.2, 0.3),
    "lumpy": (0.15, 1.1),
}
PROFILE_SHARES = (("smooth", 0.4), ("erratic", 0.2), ("intermittent", 0.25), ("lumpy", 0.15))
RECEIVING = "RCV"
STORAGE = "A"


@dataclass(frozen=True)
class WorldConfig:
    """How big the business is and how often things go wrong."""

    dcs: int
    stores: int
    skus: int
    days: int
    bins_per_dc: int = 20
    #: The share of SKUs each store carries (every DC carries them all).
    assortment: float = 1.0
    lot_share: float = 0.1
    serial_share: float = 0.03
    start: date = date(2026, 1, 5)
    faults: FaultRates = field(default_factory=FaultRates)


SCALES: dict[str, WorldConfig] = {
    "small": WorldConfig(dcs=2, stores=6, skus=300, days=90),
    "medium": WorldConfig(dcs=4, stores=40, skus=3000, days=90, bins_per_dc=200),
    # 10 x 20,000 DC bins and 250 x 4,000 store shelves: 1,200,000 item-locations.
    "large": WorldConfig(
        dcs=10, stores=250, skus=20_000, days=28, bins_per_dc=2000, assortment=0.2
    ),
}


@dataclass(frozen=True)
class Supplier:
    code: str
    promised_lead_days: int


@dataclass(frozen=True)
class Sku:
    """One item and how customers buy it at one store."""

    index: int
    code: str
    name: str
    profile: str
    demand_chance: float
    mean_size: float
    size_cv: float
    #: Multiplicative change of demand per day (0.002 is about +20% over 90 days).
    trend: float
    #: Day ranges [start, end) with their demand uplift.
    promotions: tuple[tuple[int, int, float], ...]
    price: Decimal
    unit_cost: Decimal
    pack: int
    gtin: str
    case_gtin: str
    tracking: str
    abc_class: str
    supplier: Supplier

    def expected_daily(self) -> float:
        return self.demand_chance * self.mean_size


@dataclass(frozen=True)
class Dc:
    code: str
    receiving: str
    bins: tuple[str, ...]

    def bin_of(self, sku: Sku) -> str:
        return self.bins[sku.index % len(self.bins)]


@dataclass(frozen=True)
class Store:
    code: str
    floor: str
    dc: Dc
    #: Indexes of the SKUs this store carries, ascending.
    assortment: tuple[int, ...]


@dataclass(frozen=True)
class World:
    config: WorldConfig
    dcs: tuple[Dc, ...]
    stores: tuple[Store, ...]
    skus: tuple[Sku, ...]
    suppliers: tuple[Supplier, ...]


def check_digit(body: str) -> str:
    """The GS1 check digit of a GTIN body (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def gtin13(number: int) -> str:
    """A GTIN-13 in the 200-299 prefix range GS1 keeps for in-store numbering."""
    body = f"2{number:011d}"
    return body + check_digit(body)


def case_gtin14(gtin: str) -> str:
    """The GTIN-14 of a case of `gtin`: packaging indicator 1, then its body."""
    body = "1" + gtin[:-1]
    return body + check_digit(body)


def build_world(config: WorldConfig, rng: Random) -> World:
    suppliers = tuple(
        Supplier(f"SUP-{i + 1:03d}", rng.randint(3, 10)) for i in range(max(2, config.skus // 50))
    )
    skus = tuple(_sku(i, rng, config, suppliers) for i in range(config.skus))
    dcs = tuple(
        Dc(
            code=f"DC{n + 1}",
            receiving=f"DC{n + 1}-{RECEIVING}",
            bins=tuple(f"DC{n + 1}-{STORAGE}-{b + 1:03d}" for b in range(config.bins_per_dc)),
        )
        for n in range(config.dcs)
    )
    stores = []
    for n in range(config.stores):
        carried = tuple(i for i in range(config.skus) if rng.random() < config.assortment)
        code = f"ST{n + 1:03d}"
        stores.append(Store(code, f"{code}-FLOOR", dcs[n % len(dcs)], carried))
    return World(config, dcs, tuple(stores), skus, suppliers)


def _sku(index: int, rng: Random, config: WorldConfig, suppliers: tuple[Supplier, ...]) -> Sku:
    roll = rng.random()
    profile = "lumpy"
    for name, share in PROFILE_SHARES:
        if roll < share:
            profile = name
            break
        roll -= share
    chance, cv = PROFILES[profile]
    tracking_roll = rng.random()
    tracking = "none"
    if tracking_roll < config.serial_share:
        tracking = "serial"
    elif tracking_roll < config.serial_share + config.lot_share:
        tracking = "lot"
    mean_size = rng.uniform(1.0, 6.0) if tracking != "serial" else 1.0
    if tracking == "serial":  # appliances and tools: rare, single and dear
        chance = min(chance, 0.1)
    cost = Decimal(rng.randint(50, 5000 if tracking != "serial" else 50000)) / 100
    promotions = []
    for _ in range(rng.choice((0, 0, 1, 2))):
        start = rng.randrange(max(1, config.days - 7))
        promotions.append((start, start + rng.randint(3, 7), rng.uniform(1.5, 3.0)))
    code = f"SKU-{index + 1:05d}"
    gtin = gtin13(index + 1)
    pack = 1 if tracking == "serial" else rng.choice((6, 12, 24))
    return Sku(
        index=index,
        code=code,
        name=f"{profile.capitalize()} item {index + 1}",
        profile=profile,
        demand_chance=chance,
        mean_size=mean_size,
        size_cv=cv,
        trend=rng.uniform(-0.002, 0.003),
        promotions=tuple(promotions),
        price=(cost * Decimal(rng.uniform(1.3, 2.2))).quantize(Decimal("0.01")),
        unit_cost=cost,
        pack=pack,
        gtin=gtin,
        case_gtin=case_gtin14(gtin) if pack > 1 else "",
        tracking=tracking,
        abc_class="A" if mean_size * chance > 3 else ("B" if mean_size * chance > 1 else "C"),
        supplier=suppliers[index % len(suppliers)],
    )


def demand(sku: Sku, day: int, weekday: int, rng: Random) -> int:
    """Units customers want of `sku` at one store on one day (draws from `rng` twice)."""
    factor = WEEKLY[weekday] * (1 + sku.trend) ** day
    for start, end, uplift in sku.promotions:
        if start <= day < end:
            factor *= uplift
    occurs = rng.random() < min(1.0, sku.demand_chance * (factor if factor > 1 else 1.0))
    shape = 1 / (sku.size_cv * sku.size_cv)
    size = rng.gammavariate(shape, sku.mean_size * factor / shape)
    if not occurs:
        return 0
    if sku.tracking == "serial":
        return 1
    return max(1, round(size))
