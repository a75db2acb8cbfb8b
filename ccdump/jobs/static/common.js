// Shared helpers of the tracker pages. Data is inserted with textContent only (never innerHTML):
// nicknames and progress strings come from workers.
"use strict";
var ccdump = (function () {
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function ago(epoch, now) {
    var s = Math.max(0, Math.round(now - epoch));
    if (s < 60) { return s + "s ago"; }
    if (s < 3600) { return Math.floor(s / 60) + "m ago"; }
    return Math.floor(s / 3600) + "h ago";
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c; }
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(tbody, rows) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function clock(epoch) { return new Date(epoch * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC"; }
  // Render now from the embedded JSON, then poll; a failed poll keeps the last good state.
  function start(render) {
    var root = document.querySelector("main");
    var initial = JSON.parse(document.getElementById("initial-data").textContent);
    render(initial);
    text("updated", "as of " + clock(initial.generated_at || Date.now() / 1000));
    setInterval(function () {
      fetch(window.CCDUMP_DATA_URL, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (data) {
          render(data);
          root.dataset.refreshes = String(Number(root.dataset.refreshes) + 1);
          text("updated", "updated " + clock(data.generated_at || Date.now() / 1000));
        })
        .catch(function (e) { text("updated", "refresh failed: " + e.message); });
    }, window.CCDUMP_REFRESH_MS);
  }
  return { text: text, num: num, ago: ago, row: row, fill: fill, clock: clock, start: start };
})();
