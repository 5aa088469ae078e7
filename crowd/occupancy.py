"""Zone occupancy from anonymous counts: drift-corrected flow balance and position counting.

Two independent sources give a zone's occupancy:

* line counters at entrances/exits (in/out per interval), integrated over time. They are
  cheap and frequent but drift: every missed or double-counted passage stays in the sum
  forever. `ZoneOccupancy` is a two-state Kalman filter (occupancy, drift rate) that
  integrates the flows, pulls the estimate toward each headcount (camera or operator)
  in proportion to the headcount's stated uncertainty, and learns the drift rate from
  the sequence of residuals so that the integration is corrected *between* headcounts.
* anonymous position samples, counted per zone polygon with `ZoneIndex` (an STRtree
  over the zones, vectorised point-in-polygon).

Density = occupancy ÷ usable area. Only counts are handled, never identities.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

# --------------------------------------------------------------------------- density


def density(occupancy: ArrayLike, usable_area_m2: ArrayLike) -> NDArray[np.float64] | float:
    """Persons per m². Scalars give a float, arrays an array; a zero area is an error."""
    occ = np.asarray(occupancy, dtype=float)
    area = np.asarray(usable_area_m2, dtype=float)
    if np.any(area <= 0):
        raise ValueError("usable area must be positive")
    result = occ / area
    return float(result) if result.ndim == 0 else result


# ------------------------------------------------------------- flow + headcount filter


@dataclass(frozen=True)
class FilterConfig:
    """Noise model of the occupancy filter (units: persons, seconds).

    Defaults suit gate counters at a street event: a counter mis-registers a few percent
    of passages at random (`count_variance_per_passage`), people also slip in/out where
    there is no counter (`occupancy_noise`), and a counter's systematic bias changes
    slowly, e.g. when lighting or crowd density changes (`drift_noise`).
    """

    count_variance_per_passage: float = 0.05
    occupancy_noise: float = 0.01  # persons² per second of unmonitored exchange
    drift_std0: float = 0.5  # persons/s: prior uncertainty of a new zone's drift
    drift_noise: float = 1e-5  # (persons/s)² per second: how fast the drift may wander

    def __post_init__(self) -> None:
        for name in ("count_variance_per_passage", "occupancy_noise", "drift_noise"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be ≥ 0")
        if self.drift_std0 < 0:
            raise ValueError("drift_std0 must be ≥ 0")


@dataclass(frozen=True)
class OccupancyEstimate:
    t: float
    occupancy: float  # best estimate, never negative
    std: float  # 1-σ uncertainty of the occupancy (persons)
    drift_rate: float  # persons/s the counters over-count (positive = phantom arrivals)
    drift_std: float
    raw_occupancy: float  # the filter state, may dip below zero on bad counters


class ZoneOccupancy:
    """Kalman filter over x = [occupancy N, counter drift rate b] for one zone.

    Prediction over an interval of length dt with counted inflow `i` and outflow `o`:

        N ← N + (i − o) − b·dt          b ← b
        P ← F P Fᵀ + Q,   F = [[1, −dt], [0, 1]],
        Q = diag(count_variance_per_passage·(i + o) + occupancy_noise·dt, drift_noise·dt)

    A headcount z with standard deviation σ is a measurement of N:

        S = P₀₀ + σ²,  K = [P₀₀, P₁₀] / S,  x ← x + K·(z − N),  P ← P − K·[P₀₀, P₀₁]

    The occupancy moves toward z by P₀₀/S: almost all the way for a precise camera count
    when the flow integral has become uncertain, little for a rough operator estimate.
    The drift moves by P₁₀/S·(z − N): the cross-covariance P₁₀ grows with the time
    integrated since the last headcount (N depends on −b·dt), so a residual that keeps
    the same sign headcount after headcount is attributed to drift and subtracted from
    the flow integration from then on.
    """

    # The state is kept in plain floats: the filter runs once per reading for hundreds of
    # zones a second, and 2×2 numpy arrays cost more in allocation than in arithmetic.
    __slots__ = ("config", "t", "n", "b", "p00", "p01", "p11", "last_residual", "headcounts")

    def __init__(
        self,
        t0: float = 0.0,
        occupancy: float = 0.0,
        std: float = 0.0,
        config: FilterConfig | None = None,
    ) -> None:
        self.config = config or FilterConfig()
        self.t = float(t0)
        self.n, self.b = float(occupancy), 0.0
        self.p00, self.p01, self.p11 = float(std) ** 2, 0.0, self.config.drift_std0**2
        self.last_residual: float | None = None
        self.headcounts = 0

    @property
    def x(self) -> NDArray[np.float64]:
        """The state [occupancy, drift rate]."""
        return np.array([self.n, self.b])

    @property
    def P(self) -> NDArray[np.float64]:  # noqa: N802 - the filter's conventional name
        """The state covariance."""
        return np.array([[self.p00, self.p01], [self.p01, self.p11]])

    def _advance(self, t: float, net: float, passages: float) -> None:
        dt = float(t) - self.t
        if dt < 0:
            # A late counter report: book its flow now rather than rewind the filter;
            # the drift term simply gets no extra time.
            dt = 0.0
        cfg = self.config
        self.n = self.n + net - self.b * dt
        p00, p01, p11 = self.p00, self.p01, self.p11
        # F P Fᵀ written out: cheaper than matrix products on a 2×2 and exact.
        q0 = cfg.count_variance_per_passage * passages + cfg.occupancy_noise * dt
        self.p00 = p00 - 2 * dt * p01 + dt * dt * p11 + q0
        self.p01 = p01 - dt * p11
        self.p11 = p11 + cfg.drift_noise * dt
        self.t = max(self.t, float(t))

    def flow(self, t: float, inflow: float, outflow: float) -> None:
        """Counts over the interval ending at `t` (seconds)."""
        if inflow < 0 or outflow < 0:
            raise ValueError("flow counts must be ≥ 0")
        self._advance(t, float(inflow) - float(outflow), float(inflow) + float(outflow))

    def headcount(self, t: float, count: float, std: float) -> float | None:
        """Blend in a headcount taken at `t` with 1-σ uncertainty `std` (persons).

        Returns the residual (count − predicted occupancy), or None when the headcount is
        older than the filter's time: flows after it are already integrated and
        applying it would double-count them, so it is dropped.
        """
        if count < 0 or std < 0 or not math.isfinite(count):
            raise ValueError("headcount and its std must be finite and ≥ 0")
        if t < self.t:
            return None
        self._advance(t, 0.0, 0.0)
        # A zero-σ headcount would make S singular when P₀₀ is also 0 (fresh filter);
        # a tenth of a person is "exact" for every practical purpose.
        r = max(float(std), 0.1) ** 2
        p00, p01, p11 = self.p00, self.p01, self.p11
        s = p00 + r
        k0, k1 = p00 / s, p01 / s
        residual = float(count) - self.n
        self.n += k0 * residual
        self.b += k1 * residual
        # P − K·[P₀₀, P₀₁], symmetrised against round-off so it stays a covariance.
        self.p00 = p00 - k0 * p00
        self.p01 = 0.5 * ((p01 - k0 * p01) + (p01 - k1 * p00))
        self.p11 = p11 - k1 * p01
        self.last_residual = residual
        self.headcounts += 1
        return residual

    def estimate(self, t: float | None = None) -> OccupancyEstimate:
        """State at `t` (default: last update), extrapolating the drift without mutating."""
        dt = 0.0 if t is None else max(0.0, float(t) - self.t)
        raw = self.n - self.b * dt
        var = self.p00 - 2 * dt * self.p01 + dt * dt * self.p11 + self.config.occupancy_noise * dt
        return OccupancyEstimate(
            t=self.t + dt,
            occupancy=max(0.0, raw),
            std=math.sqrt(max(var, 0.0)),
            drift_rate=self.b,
            drift_std=math.sqrt(max(self.p11, 0.0)),
            raw_occupancy=raw,
        )


@dataclass(frozen=True)
class CounterBinding:
    """A line counter between two zones; `None` means outside the monitored area.

    `forward` passages go from `from_zone` into `to_zone`, `backward` the other way.
    """

    counter_id: str
    to_zone: str | None
    from_zone: str | None = None


class OccupancyEstimator:
    """Occupancy filters for many zones, fed by zone flows, bound line counters and headcounts."""

    def __init__(
        self,
        usable_areas_m2: dict[str, float],
        config: FilterConfig | None = None,
        t0: float = 0.0,
    ) -> None:
        self.config = config or FilterConfig()
        self.areas = {}
        for zid, area in usable_areas_m2.items():
            if area <= 0:
                raise ValueError(f"zone {zid}: usable area must be positive")
            self.areas[zid] = float(area)
        self.zones = {zid: ZoneOccupancy(t0, config=self.config) for zid in self.areas}
        self.bindings: dict[str, CounterBinding] = {}

    def reset(self, zone_id: str, t: float, occupancy: float, std: float = 0.0) -> None:
        """Start a zone from a known occupancy (e.g. empty before the gates open)."""
        self.zones[zone_id] = ZoneOccupancy(t, occupancy, std, self.config)

    def bind_counter(self, binding: CounterBinding) -> None:
        for zid in (binding.to_zone, binding.from_zone):
            if zid is not None and zid not in self.zones:
                raise KeyError(f"unknown zone {zid!r}")
        self.bindings[binding.counter_id] = binding

    def flow(self, zone_id: str, t: float, inflow: float, outflow: float) -> None:
        self.zones[zone_id].flow(t, inflow, outflow)

    def counter(self, counter_id: str, t: float, forward: float, backward: float = 0.0) -> None:
        """A bound line counter's passages over the interval ending at `t`."""
        b = self.bindings[counter_id]
        if b.to_zone is not None:
            self.zones[b.to_zone].flow(t, forward, backward)
        if b.from_zone is not None:
            self.zones[b.from_zone].flow(t, backward, forward)

    def headcount(self, zone_id: str, t: float, count: float, std: float) -> float | None:
        return self.zones[zone_id].headcount(t, count, std)

    def estimate(self, zone_id: str, t: float | None = None) -> OccupancyEstimate:
        return self.zones[zone_id].estimate(t)

    def density(self, zone_id: str, t: float | None = None) -> float:
        return float(density(self.zones[zone_id].estimate(t).occupancy, self.areas[zone_id]))


# ------------------------------------------------------------- counting positions


@dataclass(frozen=True)
class Zone:
    """A zone polygon in planar metres; usable area defaults to the polygon's area.

    Usable area is smaller than the polygon where stalls, barriers or water take space.
    """

    id: str
    polygon: shapely.Geometry
    usable_area_m2: float | None = None

    @property
    def area_m2(self) -> float:
        return float(self.usable_area_m2 if self.usable_area_m2 is not None else self.polygon.area)


@dataclass(frozen=True)
class _Csr:
    """Zones per grid cell in compressed-row form: zones of cell c are zone[ptr[c]:ptr[c+1]]."""

    ptr: NDArray[np.intp]
    zone: NDArray[np.intp]

    @classmethod
    def build(cls, cells: NDArray[np.intp], zones: NDArray[np.intp], n_cells: int) -> _Csr:
        order = np.lexsort((zones, cells))
        ptr = np.zeros(n_cells + 1, dtype=np.intp)
        np.cumsum(np.bincount(cells, minlength=n_cells), out=ptr[1:])
        return cls(ptr, zones[order].astype(np.intp))

    def expand(
        self, pt: NDArray[np.intp], cell: NDArray[np.intp]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(point, zone) for every zone listed in each point's cell."""
        start = self.ptr[cell]
        count = self.ptr[cell + 1] - start
        total = int(count.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.intp)
            return empty, empty
        # Index of each pair's entry: the cell's start plus a running offset within it.
        offset = np.arange(total, dtype=np.intp) - np.repeat(np.cumsum(count) - count, count)
        return np.repeat(pt, count), self.zone[np.repeat(start, count) + offset]


@dataclass(frozen=True)
class _CellGrid:
    """A regular grid over the zones: per cell, the zones that surely contain it and the
    zones whose boundary crosses it (the only ones needing a point-in-polygon test)."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    sure_cell: NDArray[np.intp]
    sure_zone: NDArray[np.intp]
    sure: _Csr
    maybe: _Csr

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    def cell_of(self, xy: NDArray[np.float64]) -> NDArray[np.intp]:
        """Cell index per point, −1 outside the grid."""
        ix = np.floor((xy[:, 0] - self.x0) / self.size)
        iy = np.floor((xy[:, 1] - self.y0) / self.size)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        cell = np.full(len(xy), -1, dtype=np.intp)
        cell[ok] = (iy[ok] * self.nx + ix[ok]).astype(np.intp)
        return cell


def _build_grid(
    polygons: NDArray[np.object_],
    tree: shapely.STRtree,
    max_cells: int = 400_000,
    cells_per_side: float = 12.0,
) -> _CellGrid | None:
    bounds = shapely.bounds(polygons)
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    if not (x1 > x0 and y1 > y0):
        return None
    # About 12 × 12 cells per typical zone: most cells then lie wholly inside one zone and
    # their points are counted without any geometry test.
    sides = np.sqrt((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]))
    size = max(
        float(np.median(sides)) / cells_per_side, math.sqrt((x1 - x0) * (y1 - y0) / max_cells)
    )
    if not size > 0:
        return None
    nx = int((x1 - x0) // size) + 1
    ny = int((y1 - y0) // size) + 1
    iy, ix = np.divmod(np.arange(nx * ny, dtype=np.intp), nx)
    cells = shapely.box(x0 + ix * size, y0 + iy * size, x0 + (ix + 1) * size, y0 + (iy + 1) * size)
    cell_idx, zone_idx = tree.query(cells, predicate="intersects")
    # contains_properly: the whole closed cell is in the zone's interior, so even a point
    # on the cell's edge is strictly inside the zone.
    sure = shapely.contains_properly(polygons[zone_idx], cells[cell_idx])
    n = nx * ny
    return _CellGrid(
        x0=float(x0),
        y0=float(y0),
        size=size,
        nx=nx,
        ny=ny,
        sure_cell=cell_idx[sure],
        sure_zone=zone_idx[sure],
        sure=_Csr.build(cell_idx[sure], zone_idx[sure], n),
        maybe=_Csr.build(cell_idx[~sure], zone_idx[~sure], n),
    )


@dataclass
class ZoneIndex:
    """Counts anonymous positions per zone.

    Built once per zone layout: an STRtree over the zone polygons classifies the cells of
    a regular grid (about 12 × 12 cells per zone) into "surely inside zone z" and "crossed by
    z's boundary". Counting is then numpy arithmetic: points are binned into cells, whole
    cells are credited to the zones that surely contain them, and only points in boundary
    cells get a vectorised `shapely.contains_xy` test on prepared polygons. No shapely
    point objects are created, which is what made `STRtree.query(points,
    predicate="within")` cost ~0.3 s for 200,000 points; `method="strtree"` keeps that
    path for cross-checking. Semantics are the same either way: a point exactly on a
    boundary is not inside (as in JPSreport and PedPy). Zones may overlap (a venue and
    its sectors); each counts its own points.
    """

    zones: Sequence[Zone]
    _polygons: NDArray[np.object_] = field(init=False, repr=False)
    _areas: NDArray[np.float64] = field(init=False, repr=False)
    _tree: shapely.STRtree = field(init=False, repr=False)
    _grid: _CellGrid | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.zones = list(self.zones)
        ids = [z.id for z in self.zones]
        if len(set(ids)) != len(ids):
            raise ValueError("zone ids must be unique")
        self._polygons = np.array([z.polygon for z in self.zones], dtype=object)
        self._areas = np.array([z.area_m2 for z in self.zones], dtype=float)
        if np.any(self._areas <= 0):
            raise ValueError("every zone needs a positive usable area")
        shapely.prepare(self._polygons)
        self._tree = shapely.STRtree(self._polygons)
        self._grid = _build_grid(self._polygons, self._tree) if self.zones else None

    @property
    def ids(self) -> list[str]:
        return [z.id for z in self.zones]

    @property
    def areas_m2(self) -> NDArray[np.float64]:
        return self._areas

    def _test(
        self, xy: NDArray[np.float64], pt: NDArray[np.intp], zone: NDArray[np.intp]
    ) -> NDArray[np.bool_]:
        return shapely.contains_xy(self._polygons[zone], xy[pt, 0], xy[pt, 1])

    def _pairs(
        self, xy: NDArray[np.float64], method: str = "grid"
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(point index, zone index) for every point inside a zone."""
        if len(xy) == 0 or len(self.zones) == 0:
            empty = np.empty(0, dtype=np.intp)
            return empty, empty
        grid = self._grid
        if method == "strtree" or grid is None:
            pt_idx, zone_idx = self._tree.query(shapely.points(xy))
            inside = self._test(xy, pt_idx, zone_idx)
            return pt_idx[inside], zone_idx[inside]
        if method != "grid":
            raise ValueError(f"unknown method {method!r}")
        cell = grid.cell_of(xy)
        pt = np.flatnonzero(cell >= 0)
        cell = cell[pt]
        sure_pt, sure_zone = grid.sure.expand(pt, cell)
        maybe_pt, maybe_zone = grid.maybe.expand(pt, cell)
        inside = self._test(xy, maybe_pt, maybe_zone)
        return (
            np.concatenate([sure_pt, maybe_pt[inside]]),
            np.concatenate([sure_zone, maybe_zone[inside]]),
        )

    def _count(self, xy: NDArray[np.float64], method: str) -> NDArray[np.int64]:
        nz = len(self.zones)
        grid = self._grid
        if method != "grid" or grid is None or len(xy) == 0:
            _, zone_idx = self._pairs(xy, method)
            return np.bincount(zone_idx, minlength=nz).astype(np.int64)
        cell = grid.cell_of(xy)
        pt = np.flatnonzero(cell >= 0)
        cell = cell[pt]
        # Whole cells for the zones that surely contain them …
        per_cell = np.bincount(cell, minlength=grid.n_cells)
        counts = np.bincount(grid.sure_zone, weights=per_cell[grid.sure_cell], minlength=nz)
        # … and a point-in-polygon test only where a boundary crosses the cell.
        maybe_pt, maybe_zone = grid.maybe.expand(pt, cell)
        inside = self._test(xy, maybe_pt, maybe_zone)
        counts += np.bincount(maybe_zone[inside], minlength=nz)
        return np.rint(counts).astype(np.int64)

    @staticmethod
    def _clean(xy: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        arr = np.asarray(xy, dtype=float).reshape(-1, 2)
        finite = np.isfinite(arr).all(axis=1)
        return arr, finite

    def count_xy(self, xy: ArrayLike, method: str = "grid") -> NDArray[np.int64]:
        """Number of the (N, 2) positions inside each zone, in `zones` order.

        `method="strtree"` uses a plain STRtree query per point (slower; for checking).
        """
        arr, finite = self._clean(xy)
        return self._count(arr[finite], method)

    def count_xy_grouped(
        self, xy: ArrayLike, groups: ArrayLike, n_groups: int | None = None
    ) -> NDArray[np.int64]:
        """Counts per (group, zone), e.g. per time frame: shape (n_groups, n_zones).

        `groups` are non-negative integers, one per position. One spatial query serves
        all groups, which is what makes per-frame density over a whole recording cheap.
        """
        arr, finite = self._clean(xy)
        g = np.asarray(groups, dtype=np.int64).reshape(-1)
        if len(g) != len(arr):
            raise ValueError("one group per position is required")
        if len(g) and g.min() < 0:
            raise ValueError("groups must be ≥ 0")
        n_g = int(n_groups if n_groups is not None else (g.max() + 1 if len(g) else 0))
        arr, g = arr[finite], g[finite]
        pt_idx, zone_idx = self._pairs(arr)
        nz = len(self.zones)
        flat = np.bincount(g[pt_idx] * nz + zone_idx, minlength=n_g * nz)
        return flat[: n_g * nz].reshape(n_g, nz).astype(np.int64)

    def zone_of(self, xy: ArrayLike) -> NDArray[np.intp]:
        """Index of a zone containing each position (the first by zone order), −1 if none."""
        arr, finite = self._clean(xy)
        out = np.full(len(arr), -1, dtype=np.intp)
        idx = np.flatnonzero(finite)
        pt_idx, zone_idx = self._pairs(arr[finite])
        # Sort by (point, zone) so the first pair of each point has its lowest zone index.
        order = np.lexsort((zone_idx, pt_idx))
        pt_sorted, zone_sorted = pt_idx[order], zone_idx[order]
        first_pts, first = np.unique(pt_sorted, return_index=True)
        out[idx[first_pts]] = zone_sorted[first]
        return out

    def densities_xy(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Persons per m² in each zone from one snapshot of positions."""
        return np.asarray(density(self.count_xy(xy), self._areas), dtype=float)

    def counts(self, xy: ArrayLike) -> dict[str, int]:
        return dict(zip(self.ids, self.count_xy(xy).tolist(), strict=True))


def zone_index(zones: Iterable[Zone]) -> ZoneIndex:
    return ZoneIndex(list(zones))


# ----------------------------------------------------------------- virtual lines


def segment_crossings(
    p0: ArrayLike, p1: ArrayLike, a: ArrayLike, b: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.int8]]:
    """Which movements p0→p1 (arrays (N, 2)) touch or cross the counting line a→b.

    Touching counts (closed segments), as boost::geometry::intersects in JPSreport's
    Method A. The direction is +1 when the movement ends on the left of a→b, −1 when
    it ends on the right, 0 when it ends on the line. This is the primitive of a
    camera's virtual counting line and of the PedPy N(t) validation.
    """
    p = np.asarray(p0, dtype=float).reshape(-1, 2)
    q = np.asarray(p1, dtype=float).reshape(-1, 2)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)

    def orient(o: NDArray, u: NDArray, v: NDArray) -> NDArray:
        return (u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1]) - (u[..., 1] - o[..., 1]) * (
            v[..., 0] - o[..., 0]
        )

    d1 = orient(a, b, p)
    d2 = orient(a, b, q)
    d3 = orient(p, q, a)
    d4 = orient(p, q, b)
    proper = (d1 * d2 <= 0) & (d3 * d4 <= 0)
    collinear = (d1 == 0) & (d2 == 0)
    # Collinear movements satisfy the sign test trivially; they intersect only if the
    # projections overlap.
    overlap = (
        (np.minimum(p[:, 0], q[:, 0]) <= max(a[0], b[0]))
        & (np.maximum(p[:, 0], q[:, 0]) >= min(a[0], b[0]))
        & (np.minimum(p[:, 1], q[:, 1]) <= max(a[1], b[1]))
        & (np.maximum(p[:, 1], q[:, 1]) >= min(a[1], b[1]))
    )
    crossed = np.where(collinear, overlap, proper)
    direction = np.sign(d2).astype(np.int8)
    return crossed, direction
