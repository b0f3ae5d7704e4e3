// CODI dashboard: renders the embedded dataset. Every value from the dataset goes through
// textContent or setAttribute, never innerHTML, so text from Dockerfiles cannot become markup.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("codi-data").textContent);
  var runs = data.runs || [];
  var sortKey = "created_at", sortDir = -1, stackFilter = "";
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function bytes(v) {
    if (v === null || v === undefined) return "unknown";
    var units = ["B", "KB", "MB", "GB"], size = Math.abs(v), i = 0;
    while (size >= 1000 && i < units.length - 1) { size /= 1000; i++; }
    return (v < 0 ? "-" : "") + (i === 0 ? size.toFixed(0) : size.toFixed(1)) + " " + units[i];
  }
  function safeHref(p) {
    // Only relative or file paths: never a javascript: or other scheme from the dataset.
    if (typeof p !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(p) && !/^file:/i.test(p)) return null;
    return p;
  }
  function value(run, key) {
    var b = run.best_candidate || {};
    switch (key) {
      case "size": return run.original.size;
      case "best_size": return b.size;
      case "delta": return b.size_delta_pct;
      case "candidates": return run.candidate_count;
      default: return run[key];
    }
  }
  function visible() {
    var rows = runs.filter(function (r) { return !stackFilter || r.stack === stackFilter; });
    rows.sort(function (a, b) {
      var x = value(a, sortKey), y = value(b, sortKey);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sortDir;
    });
    return rows;
  }
  function renderTable() {
    var body = document.getElementById("runs-body");
    body.textContent = "";
    var rows = visible();
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-run-id", r.run_id);
      var idCell = el("td");
      var href = r.paths && safeHref(r.paths.report_html);
      if (href) { var a = el("a", r.run_id); a.setAttribute("href", href); idCell.appendChild(a); }
      else idCell.textContent = r.run_id;
      tr.appendChild(idCell);
      tr.appendChild(el("td", r.stack, "stack"));
      tr.appendChild(el("td", r.project_name));
      tr.appendChild(el("td", r.created_at));
      tr.appendChild(el("td", bytes(r.original.size) + " (" + r.original.kind + ")", "num"));
      var b = r.best_candidate;
      tr.appendChild(el("td", b ? bytes(b.size) : "-", "num"));
      var pct = b && b.size_delta_pct !== null ? b.size_delta_pct : null;
      tr.appendChild(el("td", pct === null ? "-" : (pct > 0 ? "+" : "") + pct.toFixed(1) + "%",
                        "num " + (pct === null ? "" : pct <= 0 ? "good" : "bad")));
      tr.appendChild(el("td", r.candidate_count, "num"));
      tr.appendChild(el("td", (r.slowest_stages || []).map(function (st) {
        return st.stage + " " + Math.round(st.total_ms) + " ms";
      }).join(", ") || "-", "stages"));
      tr.appendChild(el("td", r.assist_summary || ""));
      body.appendChild(tr);
    });
    document.getElementById("runs-empty").hidden = rows.length > 0;
    document.querySelectorAll("th.sortable").forEach(function (th) {
      th.classList.remove("sorted-asc", "sorted-desc");
      if (th.getAttribute("data-key") === sortKey) th.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
    });
    renderChart(rows);
  }
  function renderStacks() {
    var body = document.getElementById("stacks-body");
    (data.stacks || []).forEach(function (s) {
      var tr = el("tr");
      tr.appendChild(el("td", s.stack, "stack"));
      tr.appendChild(el("td", s.run_count, "num"));
      tr.appendChild(el("td", s.with_recommendation, "num"));
      tr.appendChild(el("td", s.mean_size_delta_pct === null ? "-" : s.mean_size_delta_pct.toFixed(1) + "%", "num"));
      tr.appendChild(el("td", s.latest_run));
      body.appendChild(tr);
    });
    var select = document.getElementById("stack-filter");
    (data.stacks || []).forEach(function (s) {
      var opt = el("option", s.stack); opt.value = s.stack; select.appendChild(opt);
    });
    select.addEventListener("change", function () { stackFilter = select.value; renderTable(); });
  }
  function renderScans() {
    var body = document.getElementById("scans-body");
    (data.scans || []).forEach(function (s) {
      var tr = el("tr");
      tr.appendChild(el("td", s.scan_id));
      tr.appendChild(el("td", s.status, s.status === "complete" ? "good" : "bad"));
      tr.appendChild(el("td", s.started_at));
      tr.appendChild(el("td", s.repos, "num"));
      tr.appendChild(el("td", s.cached, "num"));
      tr.appendChild(el("td", s.failed, "num"));
      tr.appendChild(el("td", s.findings, "num"));
      body.appendChild(tr);
    });
    document.getElementById("scans-section").hidden = !(data.scans || []).length;
  }
  function renderSkipped() {
    var list = document.getElementById("skipped");
    (data.skipped || []).forEach(function (s) { list.appendChild(el("li", s.path + ": " + s.reason)); });
    document.getElementById("skipped-section").hidden = !(data.skipped || []).length;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function renderChart(rows) {
    // Size before (original) and after (recommended candidate) per run, as grouped bars.
    var chart = document.getElementById("chart");
    chart.textContent = "";
    var barW = 14, gap = 18, left = 70, top = 10, height = 180;
    var width = Math.max(360, left + rows.length * (2 * barW + gap) + 20);
    chart.setAttribute("width", width);
    chart.setAttribute("height", height + 60);
    chart.setAttribute("viewBox", "0 0 " + width + " " + (height + 60));
    var max = 1;
    rows.forEach(function (r) {
      max = Math.max(max, r.original.size || 0, (r.best_candidate && r.best_candidate.size) || 0);
    });
    chart.appendChild(svg("line", {x1: left, y1: top + height, x2: width - 10, y2: top + height, stroke: "#888"}));
    chart.appendChild(svg("text", {x: 4, y: top + 10, "font-size": 11}, bytes(max)));
    chart.appendChild(svg("text", {x: 4, y: top + height, "font-size": 11}, "0"));
    rows.forEach(function (r, i) {
      var x = left + i * (2 * barW + gap);
      var before = r.original.size || 0, after = (r.best_candidate && r.best_candidate.size) || 0;
      var hb = before / max * height, ha = after / max * height;
      var g = svg("g", {"class": "bar-group", "data-run-id": r.run_id});
      var rb = svg("rect", {"class": "bar before", x: x, y: top + height - hb, width: barW, height: hb, fill: "#8a9bb8"});
      rb.appendChild(svg("title", {}, r.run_id + " before: " + bytes(r.original.size)));
      var ra = svg("rect", {"class": "bar after", x: x + barW, y: top + height - ha, width: barW, height: ha, fill: "#2f9e5a"});
      ra.appendChild(svg("title", {}, r.run_id + " after: " + (r.best_candidate ? bytes(r.best_candidate.size) : "no candidate")));
      g.appendChild(rb); g.appendChild(ra);
      g.appendChild(svg("text", {x: x, y: top + height + 14, "font-size": 10}, String(i + 1)));
      chart.appendChild(g);
    });
  }
  document.getElementById("generated").textContent =
    data.run_count + " run(s) under " + data.runs_root + ", generated " + data.generated_at;
  document.querySelectorAll("th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      renderTable();
    });
  });
  renderStacks();
  renderScans();
  renderSkipped();
  renderTable();
  document.body.setAttribute("data-rendered", "true");
})();
