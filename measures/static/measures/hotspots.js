/* Hotspot map (Gi* classes per grid) and the monthly series per category. */
(function () {
  "use strict";
  // ECharts renders tooltip strings as HTML: names come from administrators, so escape them.
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const el = document.getElementById("hotspot-data");
  if (!el || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const go = (url) => { if (url) window.location.href = url; };
  const node = document.getElementById("hotspot-map");
  if (node && d.geojson.features.length) {
    echarts.registerMap("pingan-grids", d.geojson);
    const c = echarts.init(node);
    c.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: (p) => p.data ?
        `${esc(p.data.label)}<br>${esc(d.labels.count)}: ${esc(p.data.count)}<br>z = ${esc(p.data.z)}, p = ${esc(p.data.p)}` : esc(p.name) },
      visualMap: { type: "piecewise", left: 0, bottom: 0, pieces: [
        { value: 2, label: d.labels.hot, color: "#c53030" },
        { value: 1, label: d.labels.none, color: "#edf2f7" },
        { value: 0, label: d.labels.cold, color: "#2b6cb0" }] },
      series: [{ type: "map", map: "pingan-grids", roam: true, data: d.data,
                 itemStyle: { borderColor: "#a0aec0", borderWidth: 0.3 } }],
    });
    c.on("click", (p) => go(p.data && p.data.url));
    window.addEventListener("resize", () => c.resize());
  }
  const s = document.getElementById("season-chart");
  if (s && d.series.length) {
    const c = echarts.init(s);
    c.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { type: "scroll" },
      grid: { left: 40, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: d.series[0].months },
      yAxis: { type: "value" },
      series: d.series.map((x) => ({ name: x.name, type: "line", data: x.counts, smooth: true })),
    });
    window.addEventListener("resize", () => c.resize());
  }
})();
