// CODI dashboard: renders the embedded dataset. Every value from the dataset goes through
// textContent or setAttribute, never innerHTML, so text from Dockerfiles cannot become markup.
(function () {
  var data = JSON.parse(document.getElementById("codi-data").textContent);
  var runs = data.runs || [], lint = data.lint || [], scans = data.scans || [], rules = data.rules || {};
  var sortKey = "created_at", sortDir = -1, stackFilter = "";
  var LEVELS = {error: "#c0392b", warning: "#e08a1e", info: "#3b7dd8", style: "#8a94a6"};
  var SAVED = "#2f9e5a", GREW = "#c0392b";

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
  function day(iso) { return iso ? String(iso).replace("T", " ").slice(0, 16) : "-"; }
  function safeHref(p) {
    // Only relative or file paths: never a javascript: or other scheme from the dataset.
    if (typeof p !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(p) && !/^file:/i.test(p)) return null;
    return p;
  }
  function ruleLabel(code) {
    var r = rules[code] || {};
    return r.name ? code + " " + r.name : code;
  }

  // Every source of findings, newest first: lint reports and scans.
  var sources = lint.map(function (r) {
    return {kind: "lint", id: "lint:" + r.path, at: r.recorded_at, findings: r.findings, by_rule: r.by_rule,
            label: "lint report " + r.source, status: r.format, details: r.files_with_findings + " file(s) with findings"};
  }).concat(scans.map(function (s) {
    return {kind: "scan", id: "scan:" + s.scan_id, at: s.started_at, findings: s.findings, by_rule: s.by_rule,
            label: "scan " + s.scan_id, status: s.status,
            details: s.repos + " repositories, " + s.cached + " cached, " + s.failed + " failed"};
  })).sort(function (a, b) { return a.at < b.at ? 1 : a.at > b.at ? -1 : 0; });

  function tile(value, label, sub) {
    var t = el("div", null, "tile");
    t.appendChild(el("div", value, "tile-value"));
    t.appendChild(el("div", label, "tile-label"));
    if (sub) t.appendChild(el("div", sub, "tile-sub"));
    document.getElementById("tiles").appendChild(t);
  }
  function renderTiles() {
    var newest = sources[0];
    tile(newest ? newest.findings : "-", "findings", newest ? newest.label + ", " + day(newest.at) : "no lint or scan yet");
    tile(newest ? Object.keys(newest.by_rule).length : "-", "rules firing", newest ? "in the newest source" : "");
    var saved = {estimated: 0, measured: 0};
    (data.projects || []).forEach(function (p) { if (p.saved_bytes > 0) saved[p.kind] += p.saved_bytes; });
    var kinds = ["measured", "estimated"].filter(function (k) { return saved[k] > 0; });
    tile(bytes(saved.estimated + saved.measured), "size saved",
         kinds.length ? kinds.map(function (k) { return bytes(saved[k]) + " " + k; }).join(", ") : "nothing saved yet");
    tile(runs.length, "runs", (data.projects || []).length + " project(s)");
  }

  function renderRules() {
    var select = document.getElementById("rule-source");
    sources.forEach(function (s) {
      var o = el("option", s.label + " (" + day(s.at) + ")"); o.value = s.id; select.appendChild(o);
    });
    var has = sources.length > 0;
    ["rule-chart", "rule-controls", "rule-legend", "rule-note"].forEach(function (id) {
      document.getElementById(id).style.display = has ? "" : "none";
    });
    document.getElementById("rule-empty").hidden = has;
    if (!has) return;
    var legend = document.getElementById("rule-legend");
    Object.keys(LEVELS).forEach(function (level) {
      var s = el("span"), sw = el("span", null, "swatch");
      sw.style.background = LEVELS[level]; s.appendChild(sw); s.appendChild(document.createTextNode(level));
      legend.appendChild(s);
    });
    function draw() {
      var src = sources.filter(function (s) { return s.id === select.value; })[0] || sources[0];
      var codes = Object.keys(src.by_rule).sort(function (a, b) { return src.by_rule[b] - src.by_rule[a] || (a < b ? -1 : 1); });
      var shown = codes.slice(0, 15);
      CodiCharts.hbar(document.getElementById("rule-chart"), shown.map(function (code) {
        var n = src.by_rule[code], level = (rules[code] || {}).level;
        return {label: ruleLabel(code), value: n, valueLabel: String(n), fill: LEVELS[level] || "#6b7a90",
                attrs: {"data-code": code}};
      }));
      var rest = codes.slice(15).reduce(function (sum, c) { return sum + src.by_rule[c]; }, 0);
      document.getElementById("rule-note").textContent = src.label + ", " + day(src.at) + ": " + src.findings +
        " finding(s) from " + codes.length + " rule(s)" + (rest ? "; " + (codes.length - 15) + " more rule(s) with " +
        rest + " finding(s) not drawn" : "") + ". Colour: the rule's default level.";
    }
    select.addEventListener("change", draw);
    draw();
  }

  function renderTrend() {
    var series = [];
    function points(kind) {
      return sources.filter(function (s) { return s.kind === kind && !isNaN(Date.parse(s.at)); }).map(function (s) {
        return {t: Date.parse(s.at), v: s.findings, title: s.label + ", " + day(s.at) + ": " + s.findings + " finding(s)"};
      });
    }
    var sp = points("scan"), lp = points("lint");
    if (sp.length) series.push({name: "fleet scans", color: "#3b5bdb", points: sp});
    if (lp.length) series.push({name: "lint reports", color: "#e08a1e", points: lp});
    document.getElementById("trend-empty").hidden = series.length > 0;
    var chart = document.getElementById("trend-chart");
    chart.style.display = series.length ? "" : "none";
    if (series.length) CodiCharts.line(chart, series, {yTitle: "findings"});
  }

  function renderSize() {
    var projects = (data.projects || []).filter(function (p) { return !stackFilter || p.stack === stackFilter; });
    var chart = document.getElementById("size-chart");
    document.getElementById("size-empty").hidden = projects.length > 0;
    chart.style.display = projects.length ? "" : "none";
    var fills = {saved: "url(#hatch-saved)", grew: "url(#hatch-grew)"};  // patterns drawn in before()
    CodiCharts.hbar(chart, projects.map(function (p) {
      var grew = p.saved_bytes !== null && p.saved_bytes < 0, color = grew ? GREW : SAVED;
      var fill = p.kind === "measured" ? color : (grew ? fills.grew : fills.saved);
      var text = p.saved_bytes === null ? "no comparable numbers" :
        (grew ? "grows " + bytes(-p.saved_bytes) : "saves " + bytes(p.saved_bytes)) +
        (p.saved_pct === null ? "" : " (" + Math.abs(p.saved_pct).toFixed(1) + "%)") + ", " + p.kind;
      return {label: p.project_name, value: p.saved_bytes, valueLabel: text, fill: fill, stroke: color,
              title: p.project_name + ": " + bytes(p.original_size) + " \u2192 " + bytes(p.recommended_size) +
                     " (" + (p.kind || "not comparable") + ", run " + p.run_id + ")",
              cls: p.kind || "none", attrs: {"data-project": p.project_name, "data-kind": p.kind || "none"}};
    }), {top: 34, labelWidth: 240, right: 280, before: function (svg) {
      CodiCharts.hatch(svg, "hatch-saved", SAVED);
      CodiCharts.hatch(svg, "hatch-grew", GREW);
      var n = CodiCharts.node, x = 240;
      [["measured", SAVED], ["estimated", fills.saved], ["larger than the original", GREW]].forEach(function (l) {
        svg.appendChild(n("rect", {x: x, y: 6, width: 16, height: 12, fill: l[1], stroke: l[1] === GREW ? GREW : SAVED,
                                   "class": "legend-swatch"}));
        svg.appendChild(n("text", {x: x + 22, y: 17, "class": "legend-text"}, l[0]));
        x += 150;
      });
    }});
  }

  function value(run, key) {
    var b = run.best_candidate || {};
    switch (key) {
      case "size": return run.original.size;
      case "best_size": return b.size;
      case "delta": return b.size_delta_pct;
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
      tr.appendChild(el("td", r.project_name));
      tr.appendChild(el("td", r.stack, "stack"));
      tr.appendChild(el("td", day(r.created_at)));
      tr.appendChild(el("td", bytes(r.original.size) + " (" + r.original.kind + ")", "num"));
      var b = r.best_candidate;
      tr.appendChild(el("td", b ? bytes(b.size) + " (" + b.kind + ")" : "-", "num"));
      var pct = b && b.size_delta_pct !== null ? b.size_delta_pct : null;
      tr.appendChild(el("td", pct === null ? "-" : (pct > 0 ? "+" : "") + pct.toFixed(1) + "%",
                        "num " + (pct === null ? "" : pct <= 0 ? "good" : "bad")));
      var idCell = el("td", null, "run-id");
      var href = r.paths && safeHref(r.paths.report_html);
      if (href) { var a = el("a", r.run_id); a.setAttribute("href", href); idCell.appendChild(a); }
      else idCell.textContent = r.run_id;
      tr.appendChild(idCell);
      tr.appendChild(el("td", r.assist_summary || "", "summary"));
      body.appendChild(tr);
    });
    document.getElementById("runs-empty").hidden = rows.length > 0;
    document.querySelectorAll("th.sortable").forEach(function (th) {
      th.classList.remove("sorted-asc", "sorted-desc");
      if (th.getAttribute("data-key") === sortKey) th.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
    });
    renderSize();
  }
  function renderSources() {
    var body = document.getElementById("sources-body");
    sources.forEach(function (s) {
      var tr = el("tr");
      [s.label, day(s.at), s.status].forEach(function (v) { tr.appendChild(el("td", v)); });
      tr.appendChild(el("td", s.findings, "num"));
      tr.appendChild(el("td", Object.keys(s.by_rule).length, "num"));
      tr.appendChild(el("td", s.details));
      body.appendChild(tr);
    });
    document.getElementById("sources-section").hidden = !sources.length;
  }
  function renderDiagnostics() {
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
    var stages = document.getElementById("stages-body");
    runs.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", r.run_id));
      tr.appendChild(el("td", r.candidate_count, "num"));
      tr.appendChild(el("td", (r.slowest_stages || []).map(function (st) {
        return st.stage + " " + Math.round(st.total_ms) + " ms";
      }).join(", ") || "-"));
      stages.appendChild(tr);
    });
    document.getElementById("dataset-info").textContent = "Dataset schema v" + data.schema_version +
      ", generated " + data.generated_at + " from " + data.runs_root + ".";
    var select = document.getElementById("stack-filter");
    (data.stacks || []).forEach(function (s) {
      var opt = el("option", s.stack); opt.value = s.stack; select.appendChild(opt);
    });
    select.addEventListener("change", function () { stackFilter = select.value; renderTable(); });
    var list = document.getElementById("skipped");
    (data.skipped || []).forEach(function (s) { list.appendChild(el("li", s.path + ": " + s.reason)); });
    document.getElementById("skipped-section").hidden = !(data.skipped || []).length;
  }

  document.getElementById("generated").textContent = runs.length + " run(s), " + lint.length + " lint report(s), " +
    scans.length + " scan(s); generated " + day(data.generated_at) + " UTC";
  document.querySelectorAll("th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      renderTable();
    });
  });
  renderTiles();
  renderRules();
  renderTrend();
  renderDiagnostics();
  renderSources();
  renderTable();
  document.body.setAttribute("data-rendered", "true");
})();
