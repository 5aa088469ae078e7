"""Validate the crowd density and flow computations against PedPy's JPSreport reference data.

Each experiment folder (`corner/`, `bottleneck/`) holds Jülich trajectories (`traj.txt`:
id, frame, x, y, z in metres at 16 frames/s), the JPSreport configuration (`ini.xml`)
and JPSreport's outputs under `results/Fundamental_Diagram/`:

* classic density (Method C) `rho_v_Classic_*_id_<area>.dat`: per frame, the number of
  persons strictly inside the measurement area divided by its area. We compute it with
  the crowd module's own code path: the measurement area becomes a `Zone`, the positions
  of every frame are counted by `ZoneIndex.count_xy_grouped` (one spatial query for the
  whole recording, grouped by frame) and divided by the area with `occupancy.density`.
* N(t) (Method A) `Flow_NT_*_id_<line>.dat`: cumulative number of persons whose movement
  from frame f−1 to f touches the measurement line, counting each person once
  (`occupancy.segment_crossings`, closed segments like boost::geometry::intersects).
* flow `FDFlowVelocity_*_id_<line>.dat`: JPSreport's Method A splits N(t) into windows
  of Δ frames (`frame_interval` in ini.xml), starting at the first passage:
  for i = first + Δ, first + 2Δ, … < number of frames, with N1 = N(i − Δ), N2 = N(i),
  flow = fps · (N2 − N1) / (t(N2) − t(N1)) where t(n) is the first frame at which the
  cumulative count reached n; windows without passages are skipped. We reproduce that
  definition exactly (including that the first window's time starts at the first
  passage while its count excludes it, which PedPy calls a JPSreport bug).

In the shipped ini.xml files the Method A blocks (and the corner's line) are commented
out: the results were produced with them enabled. The parser therefore also reads
commented-out `area_L` and `method_A` elements when no active one exists for the id
named in the result file, and reports where each parameter came from.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

from crowd.occupancy import Zone, ZoneIndex, density, segment_crossings

TOLERANCE = 0.01
EXPERIMENTS = ("corner", "bottleneck")
_RESULTS = Path("results") / "Fundamental_Diagram"


@dataclass(frozen=True)
class Trajectories:
    ids: NDArray[np.int64]
    frames: NDArray[np.int64]
    xy: NDArray[np.float64]
    fps: float


@dataclass
class ExperimentResult:
    name: str
    area_id: int
    area_m2: float
    frames_compared: int
    max_density: float
    max_density_frame: int
    density_error: float
    line_id: int | None = None
    line: tuple[tuple[float, float], tuple[float, float]] | None = None
    frame_interval: int | None = None
    parameter_source: str = ""
    nt_frames_compared: int = 0
    nt_max_abs_error: int = 0
    total_crossings: int = 0
    flows: list[float] = field(default_factory=list)
    reference_flows: list[float] = field(default_factory=list)
    flow_error: float = 0.0


@dataclass
class ValidationResult:
    experiments: list[ExperimentResult]
    tolerance: float = TOLERANCE

    @property
    def max_density_error(self) -> float:
        return max((e.density_error for e in self.experiments), default=float("nan"))

    @property
    def max_flow_error(self) -> float:
        with_flow = [e.flow_error for e in self.experiments if e.line_id is not None]
        return max(with_flow, default=float("nan"))

    @property
    def passed(self) -> bool:
        nt_ok = all(e.nt_max_abs_error == 0 for e in self.experiments)
        return (
            self.max_density_error <= self.tolerance
            and self.max_flow_error <= self.tolerance
            and nt_ok
        )

    def summary_line(self) -> str:
        return f"max_density_error={self.max_density_error:.6f} max_flow_error={self.max_flow_error:.6f}"

    def details(self) -> list[str]:
        lines = []
        for e in self.experiments:
            lines.append(
                f"{e.name}: area id {e.area_id} ({e.area_m2:g} m²), {e.frames_compared} frames, "
                f"max classic density {e.max_density:.3f} p/m² at frame {e.max_density_frame}, "
                f"density error {e.density_error:.6f}"
            )
            if e.line_id is not None:
                lines.append(
                    f"{e.name}: line id {e.line_id} {e.line}, Δ={e.frame_interval} frames "
                    f"({e.parameter_source}); N(t) over {e.nt_frames_compared} frames, "
                    f"{e.total_crossings} crossings, max |ΔN| {e.nt_max_abs_error}; "
                    f"flows {_fmt(e.flows)} vs reference {_fmt(e.reference_flows)}, "
                    f"flow error {e.flow_error:.6f} 1/s"
                )
        return lines


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


# ------------------------------------------------------------------- reading files


def read_trajectories(path: Path) -> Trajectories:
    fps = 16.0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            m = re.match(r"#\s*framerate:\s*([0-9.]+)", line)
            if m:
                fps = float(m.group(1))
    data = np.loadtxt(path, comments="#", ndmin=2)
    return Trajectories(
        ids=data[:, 0].astype(np.int64),
        frames=data[:, 1].astype(np.int64),
        xy=np.ascontiguousarray(data[:, 2:4]),
        fps=fps,
    )


def _commented_fragments(text: str) -> list[ET.Element]:
    """Parse runs of fully commented-out lines (`<!-- … -->` per line) as XML fragments."""
    roots: list[ET.Element] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            # The fragments contain escaped nested comments with &ndash; entities that
            # XML does not define; they are prose, not configuration.
            frag = "\n".join(block).replace("&ndash;", "-")
            # A commented block that is not XML (prose, half an element) is not config.
            with contextlib.suppress(ET.ParseError):
                roots.append(ET.fromstring(f"<fragment>{frag}</fragment>"))
            block.clear()

    for line in text.splitlines():
        m = re.fullmatch(r"\s*<!--(.*)-->\s*", line)
        if m:
            block.append(m.group(1))
        else:
            flush()
    flush()
    return roots


@dataclass(frozen=True)
class IniConfig:
    areas: dict[int, list[tuple[float, float]]]
    lines: dict[int, tuple[tuple[float, float], tuple[float, float]]]
    frame_intervals: dict[int, int]
    sources: dict[str, str]


def read_ini(path: Path) -> IniConfig:
    text = path.read_text(encoding="utf-8")
    active = ET.fromstring(text)
    commented = _commented_fragments(text)
    areas: dict[int, list[tuple[float, float]]] = {}
    lines: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {}
    intervals: dict[int, int] = {}
    sources: dict[str, str] = {}
    # Active elements first, so a commented-out alternative never overrides them.
    for origin, root in [("active", active)] + [("commented-out", r) for r in commented]:
        for el in root.iter("area_B"):
            aid = int(el.get("id", "0"))
            if aid not in areas:
                areas[aid] = [(float(v.get("x")), float(v.get("y"))) for v in el.iter("vertex")]
                sources[f"area_B {aid}"] = origin
        for el in root.iter("area_L"):
            lid = int(el.get("id", "0"))
            start, end = el.find("start"), el.find("end")
            if lid not in lines and start is not None and end is not None:
                lines[lid] = (
                    (float(start.get("x")), float(start.get("y"))),
                    (float(end.get("x")), float(end.get("y"))),
                )
                sources[f"area_L {lid}"] = origin
        for method in root.iter("method_A"):
            for ma in method.iter("measurement_area"):
                lid = int(ma.get("id", "0"))
                if lid not in intervals and ma.get("frame_interval"):
                    intervals[lid] = int(ma.get("frame_interval"))
                    sources[f"method_A {lid}"] = origin
    return IniConfig(areas, lines, intervals, sources)


def _result_file(folder: Path, pattern: str) -> tuple[Path, int] | None:
    found = sorted(folder.glob(pattern))
    if not found:
        return None
    m = re.search(r"_id_(\d+)\.dat$", found[0].name)
    if not m:
        raise ValueError(f"cannot read the measurement id from {found[0].name}")
    return found[0], int(m.group(1))


def _load_table(path: Path) -> NDArray[np.float64]:
    return np.loadtxt(path, comments="#", ndmin=2)


# ------------------------------------------------------------------- computations


def classic_density(
    traj: Trajectories, polygon: shapely.Polygon, frames: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Classic density per requested frame through the crowd module's zone counting."""
    index = ZoneIndex([Zone("measurement_area", polygon)])
    f0 = int(min(traj.frames.min(), frames.min()))
    n_frames = int(max(traj.frames.max(), frames.max())) - f0 + 1
    counts = index.count_xy_grouped(traj.xy, traj.frames - f0, n_frames)[:, 0]
    per_frame = np.asarray(density(counts, index.areas_m2[0]), dtype=float)
    return per_frame[frames - f0]


def cumulative_crossings(
    traj: Trajectories, line: tuple[tuple[float, float], tuple[float, float]]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(frames, N(t)): cumulative persons who crossed the line, each counted once.

    Frames are those in which anyone is present, which is how JPSreport indexes N(t).
    """
    order = np.lexsort((traj.frames, traj.ids))
    ids, frames, xy = traj.ids[order], traj.frames[order], traj.xy[order]
    # Movement from the previous frame of the same person (JPSreport: frame > firstFrame).
    step = (ids[1:] == ids[:-1]) & (frames[1:] == frames[:-1] + 1)
    crossed, _ = segment_crossings(xy[:-1], xy[1:], line[0], line[1])
    hit = np.flatnonzero(step & crossed) + 1
    first_crossing: dict[int, int] = {}
    for i in hit:  # sorted by id then frame, so the first seen per id is the earliest
        first_crossing.setdefault(int(ids[i]), int(frames[i]))
    present = np.unique(traj.frames)
    per_frame = np.zeros(len(present), dtype=np.int64)
    if first_crossing:
        pos = np.searchsorted(present, np.fromiter(first_crossing.values(), dtype=np.int64))
        np.add.at(per_frame, pos, 1)
    return present, np.cumsum(per_frame)


def jpsreport_flow(cumulative: NDArray[np.int64], fps: float, delta: int) -> list[float]:
    """Flow rates (1/s) per window of `delta` frames, exactly as JPSreport Method A."""
    n = len(cumulative)
    if n == 0 or cumulative[-1] == 0:
        return []
    first = int(np.argmax(cumulative > 0))
    # t(n): index where the cumulative count first equals n.
    values, first_idx = np.unique(cumulative, return_index=True)
    pass_t = dict(zip(values.tolist(), first_idx.tolist(), strict=True))
    flows = []
    for i in range(first + delta, n, delta):
        n1, n2 = int(cumulative[i - delta]), int(cumulative[i])
        if n1 != n2:
            flows.append(fps * (n2 - n1) / (pass_t[n2] - pass_t[n1]))
    return flows


# ------------------------------------------------------------------- validation


def validate_experiment(folder: Path) -> ExperimentResult:
    folder = Path(folder)
    traj = read_trajectories(folder / "traj.txt")
    ini = read_ini(folder / "ini.xml")

    found = _result_file(folder / _RESULTS / "Classical_Voronoi", "rho_v_Classic_*_id_*.dat")
    if found is None:
        raise FileNotFoundError(f"{folder}: no classic density reference")
    ref_path, area_id = found
    ref = _load_table(ref_path)
    ref_frames = ref[:, 0].astype(np.int64)
    polygon = shapely.Polygon(ini.areas[area_id])
    ours = classic_density(traj, polygon, ref_frames)
    err = np.abs(ours - ref[:, 1])
    # The traj frames and the reference frames must be the same set, not merely overlap.
    if not np.array_equal(np.unique(traj.frames), ref_frames):
        raise ValueError(f"{folder.name}: reference frames differ from the trajectory frames")
    peak = int(np.argmax(ours))
    result = ExperimentResult(
        name=folder.name,
        area_id=area_id,
        area_m2=float(polygon.area),
        frames_compared=len(ref_frames),
        max_density=float(ours[peak]),
        max_density_frame=int(ref_frames[peak]),
        density_error=float(err.max()),
    )

    nt_found = _result_file(folder / _RESULTS / "FlowVelocity", "Flow_NT_*_id_*.dat")
    flow_found = _result_file(folder / _RESULTS / "FlowVelocity", "FDFlowVelocity_*_id_*.dat")
    if nt_found is None or flow_found is None:
        return result
    nt_path, line_id = nt_found
    if flow_found[1] != line_id:
        raise ValueError(f"{folder.name}: N(t) and flow refer to different lines")
    line = ini.lines[line_id]
    delta = ini.frame_intervals[line_id]
    result.line_id, result.line, result.frame_interval = line_id, line, delta
    result.parameter_source = (
        f"line {ini.sources[f'area_L {line_id}']}, "
        f"frame_interval {ini.sources[f'method_A {line_id}']} in ini.xml"
    )

    frames, cum = cumulative_crossings(traj, line)
    nt_ref = _load_table(nt_path)
    if not np.array_equal(frames, nt_ref[:, 0].astype(np.int64)):
        raise ValueError(f"{folder.name}: N(t) frames differ from the reference")
    result.nt_frames_compared = len(frames)
    result.nt_max_abs_error = int(np.abs(cum - nt_ref[:, 2].astype(np.int64)).max())
    result.total_crossings = int(cum[-1])

    flows = jpsreport_flow(cum, traj.fps, delta)
    ref_flows = _load_table(flow_found[0])[:, 0].tolist()
    result.flows, result.reference_flows = flows, ref_flows
    if len(flows) != len(ref_flows):
        result.flow_error = float("inf")
    else:
        result.flow_error = float(np.abs(np.subtract(flows, ref_flows)).max(initial=0.0))
    return result


def validate(pedpy_dir: Path | str) -> ValidationResult:
    """Compare density, N(t) and flow with JPSreport for every experiment in `pedpy_dir`."""
    base = Path(pedpy_dir)
    folders = [base / name for name in EXPERIMENTS if (base / name / "traj.txt").exists()]
    if not folders:
        raise FileNotFoundError(f"no PedPy experiments ({', '.join(EXPERIMENTS)}) under {base}")
    return ValidationResult([validate_experiment(f) for f in folders])
