// Case maps: the small map of a case's place, and the click-to-set picker of the intake forms.
(function () {
  "use strict";
  const config = (document.getElementById("map-config") || {}).dataset || {};
  const outlineStyle = { color: "#2b6cb0", weight: 1, fillOpacity: 0.04 };
  const pointStyle = { radius: 8, color: "#b91c1c", weight: 2, fillColor: "#b91c1c", fillOpacity: 0.6 };

  function baseMap(id) {
    const map = L.map(id, { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    map.setView([29.557, 106.55], 13);
    return map;
  }

  function readJSON(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // The case page: its grid and its point.
  const caseEl = document.getElementById("case-map");
  if (caseEl) {
    const data = readJSON("case-map-data");
    const map = baseMap(caseEl);
    const layers = [];
    if (data.grid) layers.push(L.geoJSON(data.grid, { style: outlineStyle }).addTo(map));
    if (data.lon !== null && data.lat !== null) {
      layers.push(L.circleMarker([data.lat, data.lon], pointStyle).addTo(map));
    }
    const group = L.featureGroup(layers);
    if (layers.length) map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 17 });
  }

  // The intake forms: click sets longitude and latitude (and asks which grid that is).
  const pickerEl = document.getElementById("picker-map");
  if (pickerEl) {
    const lonInput = document.getElementById("id_lon");
    const latInput = document.getElementById("id_lat");
    const map = baseMap(pickerEl);
    const outlines = readJSON("picker-outlines") || [];
    if (outlines.length) {
      const layer = L.geoJSON({ type: "FeatureCollection", features: outlines.map((a) => ({
        type: "Feature", properties: { name: a.name, code: a.code }, geometry: a.geometry })) },
        { style: outlineStyle, interactive: false }).addTo(map);
      map.fitBounds(layer.getBounds());
    }
    let marker = null;
    function place(lat, lon) {
      if (marker) marker.setLatLng([lat, lon]);
      else marker = L.circleMarker([lat, lon], pointStyle).addTo(map);
    }
    function setPoint(lat, lon) {
      lonInput.value = lon.toFixed(6);
      latInput.value = lat.toFixed(6);
      place(lat, lon);
      // htmx listens for this to show the grid the point falls in.
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    }
    map.on("click", (e) => setPoint(e.latlng.lat, e.latlng.lng));
    const here = document.getElementById("use-my-position");
    if (here && navigator.geolocation) {
      here.hidden = false;
      here.addEventListener("click", () => {
        navigator.geolocation.getCurrentPosition((pos) => {
          setPoint(pos.coords.latitude, pos.coords.longitude);
          map.setView([pos.coords.latitude, pos.coords.longitude], 17);
        }, () => { here.disabled = true; }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
    function fromInputs() {
      const lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (Number.isFinite(lon) && Number.isFinite(lat)) place(lat, lon);
    }
    lonInput.addEventListener("change", fromInputs);
    latInput.addEventListener("change", fromInputs);
    fromInputs();
    if (marker) map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
    window.pinganPicker = map;  // lets a browser test click a known place
  }

  // A category picked by hand is the person's choice: triage no longer replaces it.
  document.addEventListener("change", (e) => {
    if (e.target && e.target.id === "id_category") {
      const flag = document.getElementById("id_category_prefilled");
      if (flag) flag.value = "";
    }
  });
})();
