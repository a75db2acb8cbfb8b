// Dashboard: totals, progress per stage, active workers and leaderboards from /data.
"use strict";
(function () {
  var c = ccdump;
  function pct(part, whole) { return whole > 0 ? (100 * part / whole).toFixed(1) + "%" : "0.0%"; }
  function stage(id, s, passed, eligible) {
    var tr = document.getElementById(id);
    tr.querySelector(".open").textContent = c.num(s.open);
    tr.querySelector(".pending").textContent = c.num(s.pending);
    tr.querySelector(".passed").textContent = c.num(passed) + " (" + pct(passed, eligible) + ")";
    tr.querySelector(".fill").style.width = pct(passed, eligible);
  }
  function render(d) {
    var st = d.stages, eligible = d.total_jobs - st.banned;
    c.text("completion", d.completion_float.toFixed(2) + "%");
    c.text("jobs-done", c.num(st.done) + " / " + c.num(eligible));
    c.text("total-chunks", c.num(d.total_chunks));
    c.text("total-pairs", c.num(d.total_pairs_scraped));
    c.text("total-workers", c.num(d.total_connected_workers));
    c.text("eta", d.eta);
    c.text("banned", c.num(st.banned));
    ["HYBRID", "CPU", "GPU"].forEach(function (t) { c.text("workers-" + t, c.num(d.workers[t] || 0)); });
    // A job has passed the CPU stage once it is GPU-open, GPU-pending or done.
    stage("stage-cpu", st.cpu, st.gpu.open + st.gpu.pending + st.done, eligible);
    stage("stage-gpu", st.gpu, st.done, eligible);
    c.fill(document.querySelector("#workers tbody"), d.active_workers.map(function (w) {
      var a = document.createElement("a");
      a.href = "worker/" + encodeURIComponent(w.type.toLowerCase()) + "/" + encodeURIComponent(w.display_name);
      a.textContent = w.display_name;
      return c.row([a, w.type, w.nickname, w.job === null ? "–" : "#" + w.job, w.progress,
                    c.num(w.jobs_completed), c.ago(w.last_seen, d.generated_at)]);
    }));
    c.fill(document.querySelector("#board-main tbody"), d.leaderboard.map(function (r, i) {
      return c.row([String(i + 1), r.nickname, c.num(r.jobs), c.num(r.pairs)]);
    }));
    c.fill(document.querySelector("#board-cpu tbody"), d.cpu_leaderboard.map(function (r, i) {
      return c.row([String(i + 1), r.nickname, c.num(r.jobs)]);
    }));
  }
  c.start(render);
})();
