/* Dashboard charts (ECharts). Every mark is a link: a click opens the cases it counts. */
(function () {
  "use strict";
  // ECharts renders tooltip strings as HTML: names come from administrators, so escape them.
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const el = document.getElementById("chart-data");
  if (!el || !window.echarts) return;
  const data = JSON.parse(el.textContent);
  const wall = document.body.classList.contains("wall");
  const text = wall ? "#e2e8f0" : "#1a202c";
  const charts = [];
  function chart(id, option, onClick) {
    const node = document.getElementById(id);
    if (!node) return null;
    const c = echarts.init(node, null, { renderer: "canvas" });
    c.setOption(Object.assign({ textStyle: { color: text }, animation: false }, option));
    if (onClick) c.on("click", onClick);
    charts.push(c);
    return c;
  }
  const go = (url) => { if (url) window.location.href = url; };

  const t = data.trend;
  chart("trend-chart", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { color: text } },
    grid: { left: 40, right: 45, top: 36, bottom: 24 },
    xAxis: { type: "category", data: t.months },
    yAxis: [{ type: "value" }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: t.labels.received, type: "bar", data: t.received },
      { name: t.labels.due, type: "bar", data: t.due },
      { name: t.labels.closed, type: "bar", data: t.closed },
      { name: t.labels.closure, type: "line", yAxisIndex: 1, data: t.closure },
    ],
  }, (p) => go(p.seriesIndex === 2 ? t.closed_urls[p.dataIndex] : t.received_urls[p.dataIndex]));

  const cat = data.category;
  chart("category-chart", {
    tooltip: {},
    grid: { left: 110, right: 20, top: 10, bottom: 20 },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: cat.names.slice().reverse() },
    series: [{ type: "bar", data: cat.values.slice().reverse(), itemStyle: { color: "#2b6cb0" } }],
  }, (p) => go(cat.urls[cat.urls.length - 1 - p.dataIndex]));

  chart("channel-chart", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "70%"], data: data.channel,
               label: { color: text } }],
  }, (p) => go(data.channel[p.dataIndex] && data.channel[p.dataIndex].url));

  const m = data.map;
  if (m.geojson.features.length) {
    echarts.registerMap("pingan-area", m.geojson);
    const values = m.data.map((d) => d.value);
    chart("map-chart", {
      tooltip: { trigger: "item", formatter: (p) => `${esc((p.data && p.data.label) || p.name)}: ${esc(p.value || 0)}` },
      visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, left: 0, bottom: 0,
                   inRange: { color: ["#fff5f5", "#feb2b2", "#c53030"] },
                   textStyle: { color: text } },
      series: [{ type: "map", map: "pingan-area", roam: true, name: m.label, data: m.data,
                 label: { show: m.data.length <= 30, formatter: (p) => (p.data && p.data.label) || "" },
                 emphasis: { label: { show: true } } }],
    }, (p) => go(p.data && p.data.url));
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
