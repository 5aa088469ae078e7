// Territory map: district → streets → communities → grids, one level at a time.
(function () {
  "use strict";
  const config = document.getElementById("map-config").dataset;
  const labels = JSON.parse(document.getElementById("map-labels").textContent);
  const tops = JSON.parse(document.getElementById("top-codes").textContent);
  const titleEl = document.getElementById("area-title");
  const summaryEl = document.getElementById("area-summary");
  const listEl = document.getElementById("children");
  const crumbsEl = document.getElementById("crumbs");
  const infoEl = document.getElementById("grid-info");

  const map = L.map("map", { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  map.setView([29.557, 106.55], 13);
  const palette = ["#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#6b46c1", "#2c7a7b",
                   "#975a16", "#b83280", "#4a5568", "#276749", "#9c4221"];
  let layer = null;
  const byCode = new Map();

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function gridInfo(p) {
    const rows = [[labels.code, p.code], [labels.name, p.name], [labels.community, p.community],
                  [labels.street, p.street], [labels.area, p.area_km2 + " " + labels.km2]];
    infoEl.replaceChildren();
    rows.forEach(([k, v]) => { infoEl.append(el("dt", {}, k), el("dd", {}, v)); });
    infoEl.hidden = false;
    return rows.map(([k, v]) => `<b>${k}</b> ${escapeHtml(v)}`).join("<br>");
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function select(feature, lyr) {
    const p = feature.properties;
    if (p.level === "grid") {
      const html = gridInfo(p);
      lyr.bindPopup(html).openPopup();
      listEl.querySelectorAll("button").forEach((b) => b.classList.toggle("active", b.dataset.code === p.code));
    } else {
      show(p.code);
    }
  }

  async function show(code) {
    summaryEl.textContent = labels.loading;
    let data;
    try {
      const res = await fetch(config.childrenUrl.replace("CODE", encodeURIComponent(code)), {
        headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!res.ok) throw new Error(res.status);
      data = await res.json();
    } catch (e) {
      summaryEl.textContent = labels.error;
      return;
    }
    infoEl.hidden = true;
    titleEl.textContent = data.area.name;
    const feats = data.children.features;
    const childLevel = feats.length ? feats[0].properties.level : null;
    summaryEl.textContent = `${data.area.level_label} · ${data.area.code}` +
      (childLevel && data.area.level !== "grid" ? ` · ${feats.length} ${labels.level[childLevel]}` : "");
    crumbsEl.replaceChildren();
    data.lineage.forEach((a, i) => {
      if (i) crumbsEl.append(" › ");
      if (a.code === data.area.code) crumbsEl.append(el("span", { "aria-current": "location" }, a.name));
      else {
        const b = el("button", { type: "button", class: "link", "data-code": a.code }, a.name);
        b.addEventListener("click", () => show(a.code));
        crumbsEl.append(b);
      }
    });
    if (layer) layer.remove();
    byCode.clear();
    layer = L.geoJSON(data.children, {
      style: (f) => {
        const i = feats.indexOf(f);
        return { color: "#1a202c", weight: f.properties.level === "grid" ? 1 : 2, fillOpacity: 0.35,
                 fillColor: palette[i % palette.length] };
      },
      onEachFeature: (f, lyr) => {
        byCode.set(f.properties.code, lyr);
        lyr.bindTooltip(escapeHtml(f.properties.name), { sticky: true });  // a tooltip string is HTML
        lyr.on("click", () => select(f, lyr));
      },
    }).addTo(map);
    if (feats.length) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    listEl.replaceChildren();
    feats.forEach((f) => {
      const p = f.properties;
      const li = el("li");
      const b = el("button", { type: "button", "data-code": p.code, "data-level": p.level }, p.name);
      b.addEventListener("click", () => select(f, byCode.get(p.code)));
      li.append(b);
      listEl.append(li);
    });
    if (data.area.level === "grid" && feats.length) gridInfo(feats[0].properties);
  }

  if (tops.length === 1) {
    show(tops[0]);
  } else {
    titleEl.textContent = titleEl.textContent;
    tops.forEach((code) => {
      const li = el("li");
      const b = el("button", { type: "button", "data-code": code }, code);
      b.addEventListener("click", () => show(code));
      li.append(b);
      listEl.append(li);
    });
    if (tops.length) show(tops[0]);
  }
})();
