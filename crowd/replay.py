"""Replay of a New Year's Eve evening (19:00–01:00) over the demo venue, compressed.

The evening: people arrive from 19:00, 192,000 are in the zones at the midnight
countdown, and they leave by 01:00. 八一路好吃街, a narrow lane with strict thresholds,
fills faster than the rest from 23:15; at 23:45 the operators apply flow control
(限流: the lane's entrances are held), but the density still touches serious at about
23:46 before it falls. The sensors behave like real ones: gate counters every tick
(the exit counters miss 2 % of leavers, which the cameras correct), camera headcounts
every minute with 3 % error, anonymous position samples of one person in ten every two
minutes. Everything goes through `crowd.services.ingest_readings`, like a sensor
integration would. Deterministic for a given seed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from crowd import services
from crowd.demo import CRUSH_ZONE, VENUE_CODE, ZONES, ensure_demo_responders, ensure_nye_venue
from crowd.geo import LocalProjection
from crowd.models import Alert, Venue

EVENING_HOURS = 6.0  # 19:00 → 01:00
PEAK_PEOPLE = 192_000
# Share of the midnight crowd present, by hours since 19:00.
CURVE_H = (0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 4.9, 5.1, 5.25, 5.5, 6.0)
CURVE = (0.08, 0.20, 0.35, 0.52, 0.75, 0.90, 1.0, 1.0, 0.85, 0.55, 0.18)
# The lane: its own build-up from 23:15, flow control at 23:45, the peak at 23:47.
SURGE_FROM_H, FLOW_CONTROL_H, SURGE_PEAK_H = 4.25, 4.75, 4.783
SURGE_PEAK_DENSITY = 4.15
RELIEF_TIME_H = 0.08  # ≈ 5 minutes for the lane to shed its excess once held
STAY_S = 1800.0  # people stay about half an hour: churn through the gates
EXIT_MISS = 0.02  # the gate counters miss this share of leavers
CAMERA_ERROR = 0.03


def hours(hhmm: str) -> float:
    """'23:30' → hours since 19:00 (times before 19:00 are after midnight)."""
    h, m = (int(x) for x in hhmm.split(":"))
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(hhmm)
    value = h + m / 60 - 19
    return value + 24 if value < 0 else value


def last_new_years_eve(now: datetime | None = None) -> date:
    """The latest 31 December whose evening (until 01:00) is already over."""
    now = timezone.localtime(now or timezone.now())
    year = now.year
    while datetime(year + 1, 1, 1, 1, tzinfo=now.tzinfo) > now:
        year -= 1
    return date(year, 12, 31)


def base_share(h: float) -> float:
    return float(np.interp(h, CURVE_H, CURVE))


def density_at(code: str, peak: float, h: float) -> float:
    """The evening's density in a zone at h hours after 19:00 (p/m²)."""
    d = peak * base_share(h)
    if code != CRUSH_ZONE or h < SURGE_FROM_H:
        return d
    if h <= SURGE_PEAK_H:
        start = peak * base_share(SURGE_FROM_H)
        frac = (h - SURGE_FROM_H) / (SURGE_PEAK_H - SURGE_FROM_H)
        return start + (SURGE_PEAK_DENSITY - start) * frac**1.6
    excess = SURGE_PEAK_DENSITY - peak * base_share(SURGE_PEAK_H)
    return d + excess * math.exp(-(h - SURGE_PEAK_H) / RELIEF_TIME_H)


@dataclass
class _ZoneSim:
    code: str
    peak: float
    area: float
    gate: str
    cam: str
    polygon: shapely.Geometry
    people: float = 0.0


@dataclass
class ReplaySummary:
    ticks: int = 0
    readings: int = 0
    alerts: Counter = field(default_factory=Counter)
    peak_people: int = 0
    peak_at: str = ""
    wall_s: float = 0.0
    cases: list[str] = field(default_factory=list)


class Evening:
    """The sensors' view of the evening, tick by tick (deterministic)."""

    def __init__(self, venue: Venue, day: date, seed: int = 2026, tick_s: float = 5.0) -> None:
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.t0 = datetime(day.year, day.month, day.day, 19, tzinfo=self.tz)
        self.rng = np.random.default_rng(seed)
        self.tick_s = tick_s
        zones = {z.code: z for z in venue.zones.all()}
        # Scale the planned densities so that exactly PEAK_PEOPLE are in at midnight.
        scale = PEAK_PEOPLE / sum(p.peak_density * zones[p.code].usable_area_m2 for p in ZONES)
        self.sims = [
            _ZoneSim(
                p.code,
                p.peak_density * scale,
                zones[p.code].usable_area_m2,
                f"{VENUE_CODE}-{p.code}-gate",
                f"{VENUE_CODE}-{p.code}-cam",
                shapely.geometry.shape(zones[p.code].polygon),
            )
            for p in ZONES
        ]
        self.positions_sensor = f"{VENUE_CODE}-positions"
        c = shapely.geometry.shape(venue.polygon).centroid
        self.projection = LocalProjection(c.x, c.y)

    def at(self, h: float) -> datetime:
        return self.t0 + timedelta(hours=h)

    def ticks(self, start_h: float, end_h: float) -> Iterator[tuple[float, list[dict]]]:
        n = 0
        for sim in self.sims:
            sim.people = density_at(sim.code, sim.peak, start_h) * sim.area
        h = start_h
        while h < end_h - 1e-9:
            h = min(end_h, start_h + (n + 1) * self.tick_s / 3600)
            ts = self.at(h)
            iso = ts.isoformat()
            batch = []
            for sim in self.sims:
                target = density_at(sim.code, sim.peak, h) * sim.area
                churn = sim.people * self.tick_s / STAY_S
                net = target - sim.people
                n_in = int(self.rng.poisson(max(net, 0.0) + churn))
                n_out = int(min(sim.people + n_in, self.rng.poisson(max(-net, 0.0) + churn)))
                sim.people += n_in - n_out
                counted_out = int(self.rng.binomial(n_out, 1 - EXIT_MISS))
                batch.append(
                    {
                        "sensor": sim.gate,
                        "ts": iso,
                        "in": n_in,
                        "out": counted_out,
                        "interval_s": self.tick_s,
                    }
                )
            if n % max(1, round(60 / self.tick_s)) == 0:  # cameras every minute
                for sim in self.sims:
                    seen = sim.people * (1 + self.rng.normal(0, CAMERA_ERROR))
                    batch.append({"sensor": sim.cam, "ts": iso, "count": max(0, round(seen))})
            if n % max(1, round(120 / self.tick_s)) == 0:  # positions every two minutes
                batch.append(
                    {"sensor": self.positions_sensor, "ts": iso, "positions": self._positions(0.1)}
                )
            n += 1
            yield h, batch

    def _positions(self, share: float) -> np.ndarray:
        """Anonymous samples: `share` of each zone's people, uniform in the zone."""
        out = []
        for sim in self.sims:
            k = int(self.rng.binomial(max(0, int(sim.people)), share))
            if k == 0:
                continue
            minx, miny, maxx, maxy = sim.polygon.bounds
            got = np.empty((0, 2))
            while len(got) < k:
                pts = self.rng.uniform([minx, miny], [maxx, maxy], size=(2 * k, 2))
                pts = pts[shapely.contains_xy(sim.polygon, pts[:, 0], pts[:, 1])]
                got = np.vstack([got, pts])
            out.append(got[:k])
        return np.vstack(out) if out else np.empty((0, 2))


def run(
    *,
    minutes: float = 6.0,
    speed: float = 1.0,
    start: str = "19:00",
    end: str = "01:00",
    tick_s: float = 5.0,
    day: date | None = None,
    seed: int = 2026,
    reset: bool = True,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    on_tick: Callable[[float], None] | None = None,
) -> ReplaySummary:
    """Replay the evening between `start` and `end` (HH:MM) over the demo venue.

    The whole evening lasts `minutes` of wall time (6 h → 6 min: 60× by default);
    `speed` multiplies that (0: as fast as the machine goes)."""
    start_h, end_h = hours(start), hours(end)
    if not (0 <= start_h < end_h <= EVENING_HOURS):
        raise ValueError("the replay runs between 19:00 and 01:00, start before end")
    if minutes <= 0 or speed < 0 or tick_s <= 0:
        raise ValueError("minutes and tick must be positive, speed ≥ 0")
    venue = ensure_nye_venue()
    ensure_demo_responders()
    if reset:
        services.reset_venue_live_data(venue=venue)
    day = day or last_new_years_eve()
    evening = Evening(venue, day, seed, tick_s)
    summary = ReplaySummary()
    compression = EVENING_HOURS * 3600 / (minutes * 60) * (speed or 1.0)
    zone_names = dict(venue.zones.values_list("pk", "name"))
    zone_names_by_code = dict(venue.zones.values_list("code", "name"))
    announced_control = False
    wall0 = time.monotonic()
    pace = _("as fast as possible") if speed == 0 else _("%.0f× faster than life") % compression
    say(f"{evening.at(start_h):%Y-%m-%d %H:%M} → {evening.at(end_h):%H:%M}, {pace}")
    for h, batch in evening.ticks(start_h, end_h):
        if stop is not None and stop.is_set():
            break
        if speed > 0:
            lag = wall0 + (h - start_h) * 3600 / compression - time.monotonic()
            if lag > 0:
                time.sleep(lag)
        if not announced_control and h >= FLOW_CONTROL_H:
            announced_control = True
            say(
                f"{evening.at(h):%H:%M:%S}  "
                + _("flow control at %(zone)s: entrances held")
                % {"zone": zone_names_by_code[CRUSH_ZONE]}
            )
        result = services.ingest_readings(readings=batch)
        summary.ticks += 1
        summary.readings += len(batch)
        people = int(sum(s.people for s in evening.sims))
        if people > summary.peak_people:
            summary.peak_people, summary.peak_at = people, f"{evening.at(h):%H:%M}"
        for alert in Alert.objects.filter(pk__in=result.alerts).order_by("pk"):
            summary.alerts[alert.kind] += 1
            if alert.kind in ("raise", "escalate", "clear"):
                say(
                    f"{evening.at(h):%H:%M:%S}  {zone_names.get(alert.zone_id, '-')}: "
                    f"{alert.get_kind_display()} → {alert.get_level_display()} "
                    f"({alert.density or 0:.2f} p/m²)"
                )
        if on_tick is not None:
            on_tick(h)
        if summary.ticks % max(1, round(900 / tick_s)) == 0:
            say(
                f"{evening.at(h):%H:%M}  "
                + _("%(people)s people in the zones") % {"people": f"{people:,}"}
            )
    services.pause_venue(venue.pk)
    summary.cases = sorted(
        set(
            Alert.objects.filter(venue=venue, case__isnull=False).values_list(
                "case__number", flat=True
            )
        )
    )
    summary.wall_s = time.monotonic() - wall0
    return summary
