"""Coordinate systems: China's GCJ-02/BD-09 offsets, EPSG via pyproj, geodesic area, metric frames."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

__all__ = [
    "LocalProjection",
    "bd09_to_gcj02",
    "bd09_to_gcj02_array",
    "gcj02_to_bd09",
    "gcj02_to_bd09_array",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_array",
    "geodesic_area_m2",
    "local_metric_projection",
    "normalize_crs",
    "out_of_china",
    "transform_geometry",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_array",
]

FloatArray = NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 obfuscation.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# The inverses are solved by fixed-point iteration; 1e-9° (~0.1 mm) is far below the
# 1e-7° the platform stores, and convergence takes 2–4 steps.
_INVERSE_TOLERANCE = 1e-9
_INVERSE_MAX_STEPS = 30


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x.astype(np.float64, copy=True), y.astype(np.float64, copy=True)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the point is outside the rough bounding box in which GCJ-02 applies.

    This is the box every published implementation uses; the offset is left off outside
    it, so foreign coordinates pass through unchanged.
    """
    x, y = _arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 → GCJ-02 over arrays (points outside China unchanged)."""
    x, y = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS-84 over arrays, solved iteratively to well under 1e-7°."""
    gx, gy = _arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = wgs84_to_gcj02_array(wx, wy)
        ex, ey = fx - gx, fy - gy
        wx -= ex
        wy -= ey
        if ex.size == 0 or max(np.max(np.abs(ex)), np.max(np.abs(ey))) < _INVERSE_TOLERANCE:
            break
    return wx, wy


def gcj02_to_bd09_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 (Baidu) over arrays."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02 over arrays: the usual closed form, refined iteratively to exactness."""
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = gcj02_to_bd09_array(gx, gy)
        ex, ey = fx - bx, fy - by
        gx -= ex
        gy -= ey
        if ex.size == 0 or max(np.max(np.abs(ex)), np.max(np.abs(ey))) < _INVERSE_TOLERANCE:
            break
    return gx, gy


def _scalar(
    fn: Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]], lon: float, lat: float
) -> tuple[float, float]:
    x, y = fn(lon, lat)
    return float(x), float(y)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 (GPS) → GCJ-02 (Amap, Tencent); points outside China unchanged."""
    return _scalar(wgs84_to_gcj02_array, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84, exact inverse of :func:`wgs84_to_gcj02` to < 1e-7°."""
    return _scalar(gcj02_to_wgs84_array, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu)."""
    return _scalar(gcj02_to_bd09_array, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 (Baidu) → GCJ-02."""
    return _scalar(bd09_to_gcj02_array, lon, lat)


# --- shapely geometries -------------------------------------------------------------

_ALIASES = {
    "WGS84": "WGS84",
    "EPSG:4326": "WGS84",
    "CRS84": "WGS84",
    "OGC:CRS84": "WGS84",
    "GCJ02": "GCJ02",
    "BD09": "BD09",
    "BD09LL": "BD09",
}
_EPSG = re.compile(r"^EPSG:\d{1,6}$")


def normalize_crs(name: str) -> str:
    """Canonical CRS name: "WGS84", "GCJ02", "BD09" or "EPSG:nnnn"; ValueError otherwise."""
    key = str(name).strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    if _EPSG.match(key):
        _pyproj_to_wgs84(key)  # fail here, naming the CRS, if pyproj does not know it
        return key
    raise ValueError(f"unknown CRS {name!r}: expected WGS84/EPSG:4326, GCJ02, BD09 or EPSG:<code>")


@lru_cache(maxsize=32)
def _pyproj_to_wgs84(epsg: str) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    try:
        crs = pyproj.CRS.from_user_input(epsg)
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(f"unknown CRS {epsg!r}: {exc}") from exc
    wgs84 = pyproj.CRS.from_epsg(4326)
    return (
        pyproj.Transformer.from_crs(crs, wgs84, always_xy=True),
        pyproj.Transformer.from_crs(wgs84, crs, always_xy=True),
    )


def _to_wgs84(crs: str, xy: FloatArray) -> FloatArray:
    if crs == "WGS84":
        return xy
    if crs == "GCJ02":
        x, y = gcj02_to_wgs84_array(xy[:, 0], xy[:, 1])
    elif crs == "BD09":
        x, y = gcj02_to_wgs84_array(*bd09_to_gcj02_array(xy[:, 0], xy[:, 1]))
    else:
        x, y = _pyproj_to_wgs84(crs)[0].transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _from_wgs84(crs: str, xy: FloatArray) -> FloatArray:
    if crs == "WGS84":
        return xy
    if crs == "GCJ02":
        x, y = wgs84_to_gcj02_array(xy[:, 0], xy[:, 1])
    elif crs == "BD09":
        x, y = gcj02_to_bd09_array(*wgs84_to_gcj02_array(xy[:, 0], xy[:, 1]))
    else:
        x, y = _pyproj_to_wgs84(crs)[1].transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def transform_geometry(geom: BaseGeometry, crs_from: str, crs_to: str = "WGS84") -> BaseGeometry:
    """Reproject a shapely geometry (x = lon/easting, y = lat/northing; Z is dropped).

    Goes through WGS-84, so any pair of supported systems works; the same input vertex
    always maps to the same output vertex, so shared borders stay shared.
    """
    src, dst = normalize_crs(crs_from), normalize_crs(crs_to)
    if src == dst:
        return geom

    def convert(xy: FloatArray) -> FloatArray:
        return _from_wgs84(dst, _to_wgs84(src, np.asarray(xy, dtype=np.float64)))

    return shapely.transform(geom, convert)


# --- measurements -------------------------------------------------------------------

_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in m² on the WGS-84 ellipsoid of a lon/lat geometry, whatever its ring order."""
    # pyproj signs each ring by its orientation; normalising first keeps holes subtracted
    # and the parts of a MultiPolygon from cancelling out.
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    area, _ = _GEOD.geometry_area_perimeter(oriented)
    return abs(float(area))


class LocalProjection(NamedTuple):
    """A metric frame (metres east/north) centred on a point, and its inverse.

    ``forward``/``inverse`` take ``(x, y[, z])`` sequences and fit ``shapely.ops.transform``;
    ``to_metric``/``to_lonlat`` do whole geometries vectorised.
    """

    forward: Callable[..., Any]
    inverse: Callable[..., Any]

    def to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: np.column_stack(self.forward(xy[:, 0], xy[:, 1])))

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: np.column_stack(self.inverse(xy[:, 0], xy[:, 1])))


def local_metric_projection(lon0: float, lat0: float) -> LocalProjection:
    """Azimuthal equidistant projection on the WGS-84 ellipsoid centred on (lon0, lat0).

    Over a district (≈ 10 km) scale error stays below 1e-6, so lengths and areas in it
    are metres and m² for practical purposes.
    """
    local = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0:.10f} +lon_0={lon0:.10f} +datum=WGS84 +units=m +no_defs"
    )
    wgs84 = pyproj.CRS.from_epsg(4326)
    fwd = pyproj.Transformer.from_crs(wgs84, local, always_xy=True)
    inv = pyproj.Transformer.from_crs(local, wgs84, always_xy=True)
    return LocalProjection(forward=fwd.transform, inverse=inv.transform)
