"""Hotspots: Getis-Ord Gi* and Moran's I on case counts per grid, with weights built from the
grid polygons themselves (queen contiguity); trend and seasonality per category.

The same functions run on our grids and on the Columbus reference polygons, so a test can
hold the pipeline to esda's published values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry import shape

SIGNIFICANCE = 0.05
PERMUTATIONS = 999


def queen_weights(polygons: Sequence, ids: Sequence | None = None):
    """Queen contiguity (sharing an edge or a corner) computed from the polygons."""
    from libpysal.weights import Queen

    geoms = [shape(p) if isinstance(p, dict) else p for p in polygons]
    ids = list(ids) if ids is not None else list(range(len(geoms)))
    return Queen.from_iterable(geoms, ids=ids)


def morans_i(values: Sequence[float], w, *, permutations: int = PERMUTATIONS, seed: int = 12345):
    """Global Moran's I with row-standardised weights (esda.Moran)."""
    from esda.moran import Moran

    np.random.seed(seed)
    return Moran(np.asarray(values, dtype=float), w, transformation="r", permutations=permutations)


@dataclass(frozen=True)
class Spot:
    id: object
    value: float
    z: float
    p: float
    kind: str  # "hot", "cold" or ""


def gi_star(
    values: Sequence[float],
    w,
    ids: Sequence | None = None,
    *,
    permutations: int = PERMUTATIONS,
    seed: int = 12345,
    alpha: float = SIGNIFICANCE,
) -> list[Spot]:
    """Getis-Ord Gi* (the area counted with its neighbours, binary weights): z-scores and
    pseudo p-values from conditional permutations. Hot: z > 0 and p < alpha; cold: z < 0."""
    from esda.getisord import G_Local

    y = np.asarray(values, dtype=float)
    ids = list(ids) if ids is not None else list(range(len(y)))
    if len(y) < 3 or not np.any(y != y[0]):
        return [Spot(i, float(v), 0.0, 1.0, "") for i, v in zip(ids, y, strict=True)]
    g = G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1)
    out = []
    for i, v, z, p in zip(ids, y, g.Zs, g.p_sim, strict=True):
        z = 0.0 if not math.isfinite(z) else float(z)
        kind = ("hot" if z > 0 else "cold") if p < alpha and z != 0 else ""
        out.append(Spot(i, float(v), z, float(p), kind))
    return out


def grid_hotspots(area_code: str, counts: dict[str, int], *, permutations: int = PERMUTATIONS):
    """Gi* and Moran's I over every grid inside `area_code` (grids without cases count 0)."""
    from territory.choices import Level
    from territory.models import Area

    grids = list(
        Area.objects.filter(level=Level.GRID, code__startswith=area_code)
        .order_by("code")
        .values_list("code", "name", "geometry")
    )
    if len(grids) < 3:
        return None
    codes = [g[0] for g in grids]
    w = queen_weights([g[2] for g in grids], codes)
    values = [counts.get(c, 0) for c in codes]
    islands = set(w.islands)
    spots = gi_star(values, w, codes, permutations=permutations)
    moran = morans_i(values, w, permutations=permutations) if any(values) else None
    names = {g[0]: g[1] for g in grids}
    return {
        "spots": spots,
        "names": names,
        "islands": islands,
        "moran": moran,
        "geometry": {g[0]: g[2] for g in grids},
        "n": len(grids),
    }


# -- trend and seasonality ---------------------------------------------------------------------
@dataclass(frozen=True)
class Seasonality:
    months: list[date]
    counts: list[int]
    slope_per_month: float  # least-squares trend, cases per month
    change_per_year: float | None  # slope × 12 ÷ mean, in percent
    seasonal_index: list[float | None]  # January … December: mean of that month ÷ overall mean


def seasonality(series: dict[date, int], months: list[date]) -> Seasonality:
    """Linear trend and a seasonal index (ratio to the overall monthly mean)."""
    y = np.array([series.get(m, 0) for m in months], dtype=float)
    x = np.arange(len(y), dtype=float)
    slope = float(np.polyfit(x, y, 1)[0]) if len(y) >= 2 and y.any() else 0.0
    mean = float(y.mean()) if len(y) else 0.0
    index: list[float | None] = []
    for month in range(1, 13):
        picked = [v for m, v in zip(months, y, strict=True) if m.month == month]
        index.append(round(float(np.mean(picked)) / mean, 2) if picked and mean else None)
    return Seasonality(
        months, [int(v) for v in y], slope, 100.0 * slope * 12 / mean if mean else None, index
    )


def polygon_area_check(polygons: Sequence) -> bool:
    return all(shapely.is_valid(shape(p) if isinstance(p, dict) else p) for p in polygons)
