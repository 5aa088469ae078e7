"""From 200,000 anonymous positions to alerts for 500 zones (timed by `pingan bench crowd`)."""

import numpy as np
import shapely

from crowd.alerts import AlertConfig, AlertEngine, AlertKind
from crowd.forecast import FlowForecaster
from crowd.occupancy import Zone, ZoneIndex


def test_positions_in_one_packed_square_among_five_hundred_zones_raise_exactly_one_alert() -> None:
    rng = np.random.default_rng(192_000)
    zones = [
        Zone(f"z{i}-{j}", shapely.box(i * 40, j * 25, (i + 1) * 40, (j + 1) * 25))
        for i in range(25)
        for j in range(20)
    ]
    index = ZoneIndex(zones)
    engine = AlertEngine(AlertConfig(raise_after_s=10))
    forecasters = {z.id: FlowForecaster(z.area_m2, [4.0]) for z in zones}
    # 1000 m² zones; most at ~0.2 p/m², one packed square at ~4.5 p/m².
    crowd = rng.uniform(0, [1000, 500], size=(195_500, 2))
    hot = rng.uniform([0, 0], [40, 25], size=(4_500, 2))
    xy = np.vstack([crowd, hot])

    events = []
    for t in range(0, 30, 10):  # positions every 10 s
        densities = index.densities_xy(xy)
        for zone, d in zip(index.ids, densities.tolist(), strict=True):
            fc = forecasters[zone]
            fc.observe(float(t), 10.0, 8.0, interval_s=10.0)
            events += engine.observe(zone, float(t), d)
            events += engine.forecast(zone, float(t), fc.minutes_to(4.0, d * fc.area))
    raised = [(e.zone, e.level.name) for e in events if e.kind == AlertKind.RAISE]
    assert raised == [("z0-0", "ALERT")]
