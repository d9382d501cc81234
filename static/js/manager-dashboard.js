/* The manager's dashboard charts, drawn by the vendored Chart.js from the figures the page embeds
   (json_script #dashboard-data, the shape of /api/v1/manager/dashboard/). No inline script. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  var css = getComputedStyle(document.documentElement);
  var v = function (name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; };
  var gold = v("--gold", "#d2ad74"), text = v("--text", "#efe7db"), muted = v("--text-muted", "#b3a898");
  var line = "rgba(236, 224, 206, 0.12)", ok = v("--ok", "#a9c8a0"), danger = v("--danger", "#f0a697");
  var palette = [gold, "#8fb3c9", ok, "#c99fc0", danger, "#e8c893", "#9d9486"];

  Chart.defaults.color = muted;
  Chart.defaults.borderColor = line;
  Chart.defaults.font.family = v("--font", "monospace");
  Chart.defaults.font.size = 12;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  Chart.defaults.plugins.legend.labels.color = text;

  var money = function (n) { return "$" + Number(n).toLocaleString("en-US", { maximumFractionDigits: 0 }); };
  var labelOf = function (iso) { var p = iso.split("-"); return Number(p[1]) + "/" + Number(p[2]); };
  var title = function (s) { return s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, " "); };
  var make = function (id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { canvas.dataset.chart = id; new Chart(canvas, config); canvas.dataset.drawn = "1"; }
  };

  make("chart-revenue", {
    type: "bar",
    data: {
      labels: data.revenue.by_day.map(function (d) { return labelOf(d.date); }),
      datasets: [{ label: "Revenue (" + data.revenue.currency + ")", data: data.revenue.by_day.map(function (d) { return Number(d.amount); }),
                   backgroundColor: gold, borderRadius: 2 }]
    },
    options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return money(c.parsed.y); } } } },
               scales: { y: { beginAtZero: true, ticks: { callback: money } }, x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } } } }
  });

  var channels = Object.keys(data.bookings.by_channel);
  make("chart-channels", {
    type: "doughnut",
    data: { labels: channels.map(title), datasets: [{ data: channels.map(function (k) { return data.bookings.by_channel[k]; }),
            backgroundColor: palette, borderColor: v("--ink-1", "#14110f") }] },
    options: { plugins: { legend: { position: "right" } } }
  });

  var s = data.bookings.by_status || {};
  var outcomes = [["Completed", s.completed || 0, ok], ["Confirmed", s.confirmed || 0, gold], ["Cancelled", data.bookings.cancelled, danger],
                  ["No-show", data.bookings.no_show, "#c99fc0"]];
  make("chart-outcomes", {
    type: "bar",
    data: { labels: outcomes.map(function (o) { return o[0]; }),
            datasets: [{ data: outcomes.map(function (o) { return o[1]; }), backgroundColor: outcomes.map(function (o) { return o[2]; }), borderRadius: 2 }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } } }
  });

  var tiers = Object.keys(data.members.by_tier);
  make("chart-tiers", {
    type: "bar",
    data: { labels: tiers, datasets: [{ data: tiers.map(function (k) { return data.members.by_tier[k]; }), backgroundColor: [gold, "#8fb3c9", ok], borderRadius: 2 }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } }
  });

  var c = data.concierge;
  make("chart-concierge", {
    type: "bar",
    data: { labels: ["Conversations", "Bookings", "Contained", "Handoffs"],
            datasets: [{ data: [c.conversations, c.bookings, c.contained || 0, c.handoffs], backgroundColor: [muted, gold, ok, danger], borderRadius: 2 }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } }
  });

  var techs = data.utilisation.technicians;
  make("chart-utilisation", {
    type: "bar",
    data: { labels: techs.map(function (t) { return t.name; }),
            datasets: [{ label: "Booked share of working time", data: techs.map(function (t) { return Math.round(t.utilisation * 100); }), backgroundColor: gold, borderRadius: 2 }] },
    options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (x) { return x.parsed.y + "%"; } } } },
               scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (n) { return n + "%"; } } }, x: { grid: { display: false } } } }
  });
})();
