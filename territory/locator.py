"""Point → grid lookup: a raster of grid labels in front of a shapely STRtree.

Most points fall in a raster cell that lies wholly inside one grid, so their grid is a
single array read. Only points in cells crossed by a grid boundary (or outside the
raster) go to the exact STRtree query. The raster is exact: a cell is labelled only
when no grid boundary passes through its interior, which is found by walking every
boundary segment through the cells it crosses (a "supercover" of the segment).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from shapely import STRtree

MIXED = -1  # crossed by a boundary: ask the tree
OUTSIDE = -2  # wholly outside every grid

# Aim for about this many raster cells per grid, and never more than MAX_CELLS in all:
# ~150 cells a grid leaves ~20% of a city's points for the exact query.
CELLS_PER_GRID = 150
MAX_CELLS = 1 << 24
PARALLEL_MIN_POINTS = 20_000
_WORKERS = max(1, min(8, os.cpu_count() or 1))
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="locator")
    return _executor


@dataclass(frozen=True)
class Raster:
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    labels: np.ndarray  # int32 (ny, nx): grid index, MIXED or OUTSIDE


class Locator:
    """Finds the grid containing a point (lon, lat in WGS-84), or None outside every grid."""

    def __init__(self, codes: Sequence[str], geometries: Sequence[shapely.Geometry]):
        if len(codes) != len(geometries):
            raise ValueError("codes and geometries differ in length")
        self.codes = np.asarray(list(codes), dtype=object)
        self.geometries = np.asarray(list(geometries), dtype=object)
        self.tree = STRtree(self.geometries)
        shapely.prepare(self.geometries)
        self.raster = _build_raster(self.geometries, self.tree) if len(codes) else None

    def __len__(self) -> int:
        return len(self.codes)

    # -- single lookups -------------------------------------------------------------
    def locate(self, lon: float, lat: float) -> str | None:
        index = self.locate_index(lon, lat)
        return None if index < 0 else self.codes[index]

    def locate_index(self, lon: float, lat: float) -> int:
        r = self.raster
        if r is None:
            return -1
        ix = int((lon - r.x0) // r.cell)
        iy = int((lat - r.y0) // r.cell)
        if not (0 <= ix < r.nx and 0 <= iy < r.ny):
            return -1  # the raster covers every grid's bounds: beyond it lies no grid
        label = int(r.labels[iy, ix])
        if label >= 0:
            return label
        if label == OUTSIDE:
            return -1
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return int(hits.min()) if len(hits) else -1

    # -- batch lookups --------------------------------------------------------------
    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        indices = self.locate_indices(np.asarray(lons, float), np.asarray(lats, float))
        codes = self.codes.take(np.where(indices < 0, 0, indices)) if len(self) else indices
        return [None if i < 0 else c for i, c in zip(indices.tolist(), codes, strict=True)]

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid index for every point (-1 outside every grid), vectorised."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(lons.shape, -1, dtype=np.int64)
        r = self.raster
        if r is None or lons.size == 0:
            return result
        ix = np.floor((lons - r.x0) / r.cell)
        iy = np.floor((lats - r.y0) / r.cell)
        inside = (ix >= 0) & (ix < r.nx) & (iy >= 0) & (iy < r.ny)
        # Beyond the raster, which covers every grid's bounds, lies no grid.
        labels = np.full(lons.shape, OUTSIDE, dtype=np.int64)
        labels[inside] = r.labels[iy[inside].astype(np.intp), ix[inside].astype(np.intp)]
        known = labels >= 0
        result[known] = labels[known]
        ask = np.flatnonzero(labels == MIXED)
        if ask.size >= PARALLEL_MIN_POINTS and _WORKERS > 1:
            # shapely releases the GIL inside a vectorised query, so threads use every core.
            chunks = np.array_split(ask, _WORKERS)
            found = _pool().map(lambda c: self._query_tree(lons[c], lats[c]), chunks)
            for chunk, hits in zip(chunks, found, strict=True):
                result[chunk] = hits
        elif ask.size:
            result[ask] = self._query_tree(lons[ask], lats[ask])
        return result

    def _query_tree(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        points = shapely.points(lons, lats)
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        found = np.full(len(points), -1, dtype=np.int64)
        if point_idx.size:
            # A point on a shared boundary touches two grids: take the lower index, always.
            order = np.lexsort((geom_idx, point_idx))
            point_idx, geom_idx = point_idx[order], geom_idx[order]
            first = np.ones(point_idx.size, dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            found[point_idx[first]] = geom_idx[first]
        return found


def _build_raster(geometries: np.ndarray, tree: STRtree) -> Raster:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
    width, height = max(xmax - xmin, 1e-9), max(ymax - ymin, 1e-9)
    target = min(MAX_CELLS, max(1024, CELLS_PER_GRID * len(geometries)))
    cell = float(np.sqrt(width * height / target))
    nx = int(np.ceil(width / cell)) + 1
    ny = int(np.ceil(height / cell)) + 1
    mixed = np.zeros((ny, nx), dtype=bool)
    _mark_boundary_cells(geometries, xmin, ymin, cell, mixed)

    # Cells not crossed by any boundary form connected regions; each region lies inside
    # one grid (or outside all of them), so one exact lookup labels the whole region.
    regions, count = ndimage.label(~mixed)
    labels = np.full((ny, nx), MIXED, dtype=np.int32)
    if count:
        flat = regions.ravel()
        order = np.argsort(flat, kind="stable")
        starts = np.searchsorted(flat[order], np.arange(1, count + 1))
        first_cells = order[starts]
        cy, cx = np.divmod(first_cells, nx)
        points = shapely.points(xmin + (cx + 0.5) * cell, ymin + (cy + 0.5) * cell)
        point_idx, geom_idx = tree.query(points, predicate="intersects")
        region_label = np.full(count + 1, OUTSIDE, dtype=np.int32)
        region_label[0] = MIXED
        # iterate in reverse so the lowest grid index wins for a point on a boundary
        for p, g in zip(point_idx[::-1], geom_idx[::-1], strict=True):
            region_label[p + 1] = g
        labels = region_label[regions]
    return Raster(x0=xmin, y0=ymin, cell=cell, nx=nx, ny=ny, labels=labels)


def _mark_boundary_cells(
    geometries: np.ndarray, x0: float, y0: float, cell: float, mixed: np.ndarray
) -> None:
    """Mark every cell whose interior a boundary segment passes through."""
    rings = shapely.get_rings(shapely.get_parts(geometries))
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_index[1:] == ring_index[:-1]
    ax = (coords[:-1, 0][same_ring] - x0) / cell
    ay = (coords[:-1, 1][same_ring] - y0) / cell
    bx = (coords[1:, 0][same_ring] - x0) / cell
    by = (coords[1:, 1][same_ring] - y0) / cell
    ny, nx = mixed.shape
    # Parameters t in [0, 1] where a segment crosses a vertical or horizontal cell line;
    # the midpoints between consecutive crossings lie inside the cells the segment visits.
    ts = [np.zeros_like(ax), np.ones_like(ax)]
    seg_ids = [np.arange(ax.size), np.arange(ax.size)]
    for a, b in ((ax, bx), (ay, by)):
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        first = np.floor(lo) + 1
        counts = np.maximum(0, np.ceil(hi) - first).astype(np.int64)
        seg = np.repeat(np.arange(a.size), counts)
        offsets = np.arange(seg.size) - np.repeat(np.cumsum(counts) - counts, counts)
        lines = first[seg] + offsets
        denom = (b - a)[seg]
        ts.append((lines - a[seg]) / denom)
        seg_ids.append(seg)
    t = np.concatenate(ts)
    seg = np.concatenate(seg_ids)
    order = np.lexsort((t, seg))
    t, seg = t[order], seg[order]
    same = seg[1:] == seg[:-1]
    mid_t = ((t[1:] + t[:-1]) / 2)[same]
    mid_seg = seg[1:][same]
    px = ax[mid_seg] + (bx - ax)[mid_seg] * mid_t
    py = ay[mid_seg] + (by - ay)[mid_seg] * mid_t
    cx = np.clip(np.floor(px).astype(np.int64), 0, nx - 1)
    cy = np.clip(np.floor(py).astype(np.int64), 0, ny - 1)
    mixed[cy, cx] = True
    # A segment lying exactly on a cell line touches the cells on both sides.
    on_x = px == np.floor(px)
    on_y = py == np.floor(py)
    mixed[cy[on_x], np.clip(cx[on_x] - 1, 0, nx - 1)] = True
    mixed[np.clip(cy[on_y] - 1, 0, ny - 1), cx[on_y]] = True
    # Vertices themselves (a ring may turn exactly on a cell corner).
    vcx = np.clip(np.floor((coords[:, 0] - x0) / cell).astype(np.int64), 0, nx - 1)
    vcy = np.clip(np.floor((coords[:, 1] - y0) / cell).astype(np.int64), 0, ny - 1)
    for dx in (0, -1):
        for dy in (0, -1):
            mixed[np.clip(vcy + dy, 0, ny - 1), np.clip(vcx + dx, 0, nx - 1)] = True


# -- the process-wide locator over the stored grids -------------------------------------
_lock = threading.Lock()
_state: dict[str, object] = {"locator": None, "stamp": None, "checked": 0.0}


def grid_stamp() -> tuple:
    """What changes whenever a grid is added, changed or removed."""
    from django.db.models import Count, Max

    from territory.choices import Level
    from territory.models import Area

    row = Area.objects.filter(level=Level.GRID).aggregate(n=Count("id"), t=Max("updated_at"))
    return (row["n"], row["t"])


def get_locator() -> Locator:
    """The locator over all stored grids: built once per process, rebuilt when grids change."""
    from django.conf import settings

    now = time.monotonic()
    loc = _state["locator"]
    if loc is not None and now - float(_state["checked"]) < settings.PINGAN_LOCATOR_RECHECK_SECONDS:
        return loc  # type: ignore[return-value]
    with _lock:
        stamp = grid_stamp()
        if _state["locator"] is None or stamp != _state["stamp"]:
            _state["locator"] = build_stored_locator()
            _state["stamp"] = stamp
        _state["checked"] = now
        return _state["locator"]  # type: ignore[return-value]


def invalidate_locator() -> None:
    with _lock:
        _state["locator"] = None
        _state["stamp"] = None


def build_stored_locator() -> Locator:
    from territory.choices import Level
    from territory.models import Area

    rows = Area.objects.filter(level=Level.GRID).order_by("code").values_list("code", "geometry")
    codes, geoms = [], []
    for code, geometry in rows:
        codes.append(code)
        geoms.append(shapely.from_geojson(_dumps(geometry)))
    return Locator(codes, geoms)


def _dumps(geometry: dict) -> str:
    import json

    return json.dumps(geometry)
