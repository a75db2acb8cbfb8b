// Worker page: one worker's record and recent progress log from <page>/data.
"use strict";
(function () {
  var c = ccdump;
  function render(w) {
    c.text("name", w.display_name);
    c.text("type", w.type);
    c.text("nickname", w.user_nickname);
    c.text("job", w.shard_number === "N/A" ? "none" : "#" + w.shard_number);
    c.text("progress", w.progress);
    c.text("jobs-completed", c.num(w.jobs_completed));
    c.text("first-seen", c.clock(w.first_seen));
    c.text("last-seen", c.clock(w.last_seen));
    c.fill(document.querySelector("#log tbody"), w.log.map(function (e) {
      return c.row([c.clock(e.at), e.job === null ? "–" : "#" + e.job, e.progress]);
    }));
  }
  c.start(render);
})();
