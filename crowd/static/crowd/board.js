// Crowd command board: zones coloured by level, alerts to acknowledge, responders to send.
// The page carries the whole state; the SSE stream replaces it on (re)connect and sends
// every change after that.
(function () {
  "use strict";
  const config = document.getElementById("board-config").dataset;
  const L10N = JSON.parse(document.getElementById("board-labels").textContent);
  const COLORS = ["#2e7d32", "#f9a825", "#ef6c00", "#d32f2f", "#6a1b9a"];
  const STATUS_COLORS = { available: "#2b6cb0", dispatched: "#d97706", on_scene: "#c026d3", off_duty: "#a0aec0" };
  const canWrite = config.canWrite === "1";

  const els = {
    alerts: document.getElementById("alerts"),
    zones: document.querySelector("#zones tbody"),
    dispatches: document.getElementById("dispatches"),
    clock: document.getElementById("clock"),
    conn: document.getElementById("conn"),
    coverage: document.getElementById("coverage"),
    stats: document.getElementById("stats"),
  };

  const map = L.map("crowd-map", { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 20 }).addTo(map);
  }
  const venueLayer = L.layerGroup().addTo(map);
  const zoneLayer = L.layerGroup().addTo(map);
  const responderLayer = L.layerGroup().addTo(map);

  let state = null;
  const zones = new Map(); // id → {zone, state, layer}
  const alerts = new Map();
  const responders = new Map(); // id → {data, marker}
  const dispatches = new Map();

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function hhmmss(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit",
                                      hour12: false, timeZone: config.timeZone || undefined });
  }
  function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%"; }
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json",
                 "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || L10N.failed);
    return data;
  }
  function flash(message) {
    const note = el("li", { class: "alert failed", role: "alert" }, message);
    els.alerts.prepend(note);
    setTimeout(() => note.remove(), 6000);
  }

  // ------------------------------------------------------------------ zones
  function zoneStyle(level) {
    return { color: COLORS[level], weight: level >= 3 ? 4 : 2, fillColor: COLORS[level],
             fillOpacity: 0.25 + 0.1 * level };
  }
  // The forecast arrow: ▲ filling (with the minutes to the next level when within the
  // hour), ▼ draining, nothing when steady.
  function arrowText(s) {
    if (!s) return "";
    if (s.net_rate > 0.05) {
      const soon = s.forecast_min !== null && s.forecast_min !== undefined && s.forecast_min <= 60;
      const to = s.next_level !== null && s.next_level !== undefined ? L10N.level[s.next_level] : "";
      return soon ? `▲ ${Math.round(s.forecast_min)} ${L10N.min} → ${to}` : "▲";
    }
    if (s.net_rate < -0.05) return "▼";
    return "";
  }
  function trend(s) { return !s ? "" : s.net_rate > 0.05 ? "up" : s.net_rate < -0.05 ? "down" : ""; }
  function drawZones() {
    zoneLayer.clearLayers();
    zones.clear();
    state.zones.forEach((z) => {
      const layer = L.geoJSON(z.geometry, { style: zoneStyle(0) }).addTo(zoneLayer);
      layer.bindTooltip(escapeHtml(z.name), { permanent: true, direction: "center", className: "zone-label" });
      zones.set(z.id, { zone: z, state: null, layer });
    });
    (state.states || []).forEach(updateZone);
  }
  function updateZone(s) {
    const entry = zones.get(s.zone);
    if (!entry) return;
    entry.state = s;
    const level = s.level || 0;
    entry.layer.setStyle(zoneStyle(level));
    const arrow = arrowText(s);
    entry.layer.setTooltipContent(
      `<b>${escapeHtml(entry.zone.name)}</b><br>${s.density.toFixed(2)} ${L10N.per_m2}`
      + (arrow ? `<br><span class="zone-arrow ${trend(s)}">${escapeHtml(arrow)}</span>` : ""));
  }
  function renderZoneTable() {
    const rows = [...zones.values()].sort((a, b) =>
      ((b.state && b.state.level) || 0) - ((a.state && a.state.level) || 0)
      || ((b.state && b.state.density) || 0) - ((a.state && a.state.density) || 0));
    els.zones.replaceChildren(...rows.map(({ zone, state: s }) => {
      const level = s ? s.level : 0;
      const tr = el("tr", { "data-zone": zone.id, "data-level": level });
      const name = el("td");
      name.append(el("span", { class: "dot", style: `background:${COLORS[level]}` }), zone.name);
      tr.append(name,
        el("td", { class: "num" }, s ? s.density.toFixed(2) : "–"),
        el("td", { class: "num" }, s ? s.occupancy.toLocaleString() : "–"),
        el("td", { class: `zone-arrow ${trend(s)}` }, arrowText(s)));
      return tr;
    }));
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // ------------------------------------------------------------------ alerts
  function shown(a) { return a.cleared_at === null || (a.needs_ack && !a.acknowledged_at); }
  function renderAlerts() {
    const list = [...alerts.values()].filter(shown)
      .sort((a, b) => (b.raised_at || "").localeCompare(a.raised_at || "") || b.id - a.id);
    if (!list.length) {
      els.alerts.replaceChildren(el("li", { class: "empty" }, L10N.no_alerts));
      return;
    }
    els.alerts.replaceChildren(...list.map((a) => {
      const li = el("li", { class: `alert level-${a.level}${a.cleared_at ? " cleared" : ""}${a.needs_ack && !a.acknowledged_at ? " unacked" : ""}`,
                            "data-alert": a.id, "data-kind": a.kind, "data-level": a.level });
      const head = el("div", { class: "alert-head" });
      head.append(el("span", { class: "badge", style: `background:${COLORS[a.level]}` }, L10N.level[a.level]),
                  el("strong", {}, L10N.kind[a.kind]),
                  el("span", { class: "where" }, a.zone_name || (a.sensor ? `${L10N.sensor} ${a.sensor}` : "")),
                  el("time", { datetime: a.raised_at }, hhmmss(a.raised_at)));
      li.append(head);
      const facts = [];
      if (a.density !== null) facts.push(`${a.density.toFixed(2)} ${L10N.per_m2}`);
      if (a.minutes !== null) facts.push(`${L10N.forecast} ${Math.round(a.minutes)} ${L10N.min}`);
      if (a.sensor && a.zone_name) facts.push(`${L10N.sensor} ${a.sensor}`);
      if (facts.length) li.append(el("div", { class: "facts" }, facts.join(" · ")));
      if (a.case) {
        const link = el("a", { href: config.caseUrl.replace("NUMBER", a.case.number), class: "case" },
                        `${L10N.case} ${a.case.number}`);
        li.append(link);
      }
      const actions = el("div", { class: "actions" });
      if (a.acknowledged_at) {
        actions.append(el("span", { class: "acked" }, `✓ ${L10N.acknowledged} ${a.acknowledged_by || ""} ${hhmmss(a.acknowledged_at)}`));
      } else if (a.needs_ack && canWrite) {
        const b = el("button", { type: "button", class: "primary ack" }, L10N.acknowledge);
        b.addEventListener("click", () => act(b, config.ackUrl.replace("/0/", `/${a.id}/`), {}, upsertAlert));
        actions.append(b);
      }
      if (canWrite && a.zone && a.cleared_at === null && a.level >= 2) {
        const b = el("button", { type: "button", class: "send" }, L10N.dispatch);
        b.addEventListener("click", () => act(b, config.dispatchUrl.replace("/0/", `/${a.id}/`), { count: 2 },
          (data) => data.dispatches.forEach(upsertDispatch)));
        actions.append(b);
      }
      if (actions.childNodes.length) li.append(actions);
      return li;
    }));
  }
  function upsertAlert(a) { alerts.set(a.id, a); renderAlerts(); }
  async function act(button, url, body, done) {
    button.disabled = true;
    try { done(await post(url, body)); } catch (err) { flash(err.message); button.disabled = false; }
  }

  // ------------------------------------------------------------------ responders
  function upsertResponder(r) {
    const old = responders.get(r.id);
    if (old) responderLayer.removeLayer(old.marker);
    const marker = L.circleMarker([r.lat, r.lon], {
      radius: r.kind === "station" ? 5 : 3, color: "#fff", weight: 1,
      fillColor: STATUS_COLORS[r.status] || "#718096", fillOpacity: 0.95,
    }).bindTooltip(`${escapeHtml(r.name)} · ${L10N.status[r.status]} · ${L10N.responder_kind[r.kind]} ×${r.team_size}`);
    marker.addTo(responderLayer);
    responders.set(r.id, { data: r, marker });
  }
  function upsertDispatch(d) {
    if (d.cleared_at) dispatches.delete(d.id); else dispatches.set(d.id, d);
    renderDispatches();
  }
  function renderDispatches() {
    const list = [...dispatches.values()].sort((a, b) => b.id - a.id);
    if (!list.length) {
      els.dispatches.replaceChildren(el("li", { class: "empty" }, L10N.no_dispatches));
      return;
    }
    els.dispatches.replaceChildren(...list.map((d) => {
      const li = el("li", { "data-dispatch": d.id });
      const status = d.on_scene_at ? "on_scene" : "dispatched";
      li.append(el("span", { class: "dot", style: `background:${STATUS_COLORS[status]}` }),
                el("strong", {}, d.responder_name),
                el("span", { class: "facts" },
                   ` ${L10N.travel} ${Math.round(d.travel_s / 60)} ${L10N.min} · ${L10N.dispatched_at} ${hhmmss(d.dispatched_at)}`
                   + (d.acknowledge_s !== null ? ` · ✓ ${Math.round(d.acknowledge_s)} ${L10N.seconds}` : "")
                   + (d.response_s !== null ? ` · ${L10N.on_scene} ${Math.round(d.response_s)} ${L10N.seconds}` : "")));
      if (canWrite) {
        const actions = el("div", { class: "actions" });
        const steps = [];
        if (!d.acknowledged_at) steps.push(["acknowledge", L10N.acknowledge]);
        if (!d.on_scene_at) steps.push(["on_scene", L10N.on_scene]);
        steps.push(["clear", L10N.clear]);
        steps.forEach(([step, label]) => {
          const b = el("button", { type: "button", "data-step": step }, label);
          b.addEventListener("click", () => act(b, config.stepUrl.replace("/0/", `/${d.id}/`).replace("STEP", step), {}, upsertDispatch));
          actions.append(b);
        });
        li.append(actions);
      }
      return li;
    }));
  }

  // ------------------------------------------------------------------ header
  function renderCoverage(c) {
    if (!c) return;
    els.coverage.textContent = `${c.available} ${L10N.available} · ${L10N.within_1} ${pct(c.within_60s)} · ${L10N.within_3} ${pct(c.within_180s)}`;
  }
  function renderStats(s) {
    if (!s) return;
    const parts = [];
    if (s.alert_ack_median_s !== null) parts.push(`${L10N.ack_median} ${s.alert_ack_median_s} ${L10N.seconds}`);
    if (s.on_scene_median_s !== null) parts.push(`${L10N.on_scene_median} ${s.on_scene_median_s} ${L10N.seconds}`);
    els.stats.textContent = parts.join(" · ");
  }
  function setClock(iso) { if (iso) els.clock.textContent = hhmmss(iso); }

  // ------------------------------------------------------------------ state
  function load(next) {
    state = next;
    venueLayer.clearLayers();
    const outline = L.geoJSON(state.venue.geometry, { style: { color: "#4a5568", weight: 1, dashArray: "4 4", fill: false } })
      .addTo(venueLayer);
    map.fitBounds(outline.getBounds(), { padding: [10, 10] });
    drawZones();
    renderZoneTable();
    alerts.clear();
    state.alerts.forEach((a) => alerts.set(a.id, a));
    renderAlerts();
    responderLayer.clearLayers();
    responders.clear();
    state.responders.forEach(upsertResponder);
    dispatches.clear();
    state.dispatches.forEach((d) => dispatches.set(d.id, d));
    renderDispatches();
    renderCoverage(state.coverage);
    renderStats(state.stats);
    setClock(state.clock);
  }
  load(JSON.parse(document.getElementById("board-state").textContent));

  let source = null;
  function connect() {
    if (source) source.close();
    source = new EventSource(config.streamUrl);
    source.onopen = () => { els.conn.dataset.state = "live"; els.conn.textContent = L10N.live; };
    source.onerror = () => { els.conn.dataset.state = "down"; els.conn.textContent = L10N.reconnecting; };
    const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    on("state", load);
    on("zones", (data) => { data.states.forEach(updateZone); renderZoneTable(); setClock(data.clock); });
    on("alert", upsertAlert);
    on("alerts", (list) => {
      // The open list, after alerts were superseded; keep acknowledged news the server dropped.
      const ids = new Set(list.map((a) => a.id));
      [...alerts.keys()].forEach((id) => { if (!ids.has(id)) alerts.delete(id); });
      list.forEach((a) => alerts.set(a.id, a));
      renderAlerts();
    });
    on("responder", upsertResponder);
    on("dispatch", upsertDispatch);
    on("coverage", renderCoverage);
    on("stats", renderStats);
    on("resync", () => connect());
  }
  connect();
  window.addEventListener("resize", () => map.invalidateSize());
})();
