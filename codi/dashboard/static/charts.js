// CODI dashboard charts: inline SVG drawn here, no library, no network. Labels are SVG <text> set
// through textContent, so names from the dataset stay text.
"use strict";
var CodiCharts = (function () {
  var NS = "http://www.w3.org/2000/svg";
  var WIDTH = 1000;

  function node(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function clip(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
  }
  function reset(svg, height) {
    svg.textContent = "";
    svg.setAttribute("viewBox", "0 0 " + WIDTH + " " + height);
    svg.setAttribute("width", "100%");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    svg.style.maxWidth = WIDTH + "px";
  }
  // Diagonal stripes: the mark of an estimated number (solid fill = measured).
  function hatch(svg, id, color) {
    var defs = node("defs");
    var p = node("pattern", {id: id, width: 6, height: 6, patternUnits: "userSpaceOnUse",
                             patternTransform: "rotate(45)"});
    p.appendChild(node("rect", {width: 6, height: 6, fill: "#ffffff"}));
    p.appendChild(node("rect", {width: 3, height: 6, fill: color}));
    defs.appendChild(p);
    svg.appendChild(defs);
    return "url(#" + id + ")";
  }

  // Horizontal bars, one row each: {label, value, valueLabel, fill, stroke, title, cls, attrs}.
  function hbar(svg, rows, opts) {
    opts = opts || {};
    var rowH = 24, top = opts.top || 8, labelW = opts.labelWidth || 300, right = opts.right || 120;
    var height = top + rows.length * rowH + 8;
    reset(svg, height);
    (opts.before || function () {})(svg);
    var max = 0;
    rows.forEach(function (r) { max = Math.max(max, Math.abs(r.value || 0)); });
    var plotW = WIDTH - labelW - right;
    svg.appendChild(node("line", {x1: labelW, y1: top - 4, x2: labelW, y2: height - 4, stroke: "#9aa4b5"}));
    rows.forEach(function (r, i) {
      var y = top + i * rowH;
      var g = node("g", {"class": "row " + (r.cls || "")});
      Object.keys(r.attrs || {}).forEach(function (k) { g.setAttribute(k, r.attrs[k]); });
      // About 7 px a character at 12 px: clip to the label column, the full text in the tooltip.
      g.appendChild(node("title", {}, r.title || r.label + ": " + r.valueLabel));
      g.appendChild(node("text", {x: labelW - 8, y: y + 15, "text-anchor": "end", "class": "label"},
                         clip(r.label, Math.floor((labelW - 12) / 7))));
      var w = max > 0 && r.value ? Math.max(2, Math.abs(r.value) / max * plotW) : 0;
      if (w > 0) {
        g.appendChild(node("rect", {x: labelW, y: y + 3, width: w, height: rowH - 8, fill: r.fill || "#4c78a8",
                                    stroke: r.stroke || "none", "class": "bar"}));
      }
      g.appendChild(node("text", {x: labelW + w + 6, y: y + 15, "class": "value"}, r.valueLabel));
      svg.appendChild(g);
    });
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    var step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].filter(function (s) { return s >= m; })[0];
    return step * p;
  }
  function dateLabel(t, span) {
    var iso = new Date(t).toISOString();
    return span < 2 * 86400000 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(0, 10);
  }

  // Lines over time: series [{name, color, points: [{t (ms), v, title}]}]; a point per entry.
  function line(svg, series, opts) {
    opts = opts || {};
    var height = 270, left = 56, right = 48, top = 44, bottom = 44;
    reset(svg, height);
    var pts = [];
    series.forEach(function (s) { pts = pts.concat(s.points); });
    var tMin = Math.min.apply(null, pts.map(function (p) { return p.t; }));
    var tMax = Math.max.apply(null, pts.map(function (p) { return p.t; }));
    // Headroom above the highest point for its value label.
    var vMax = niceMax(1.1 * Math.max.apply(null, pts.map(function (p) { return p.v; })));
    var plotW = WIDTH - left - right, plotH = height - top - bottom, span = tMax - tMin;
    function x(t) { return left + (span > 0 ? (t - tMin) / span * plotW : plotW / 2); }
    function y(v) { return top + plotH - v / vMax * plotH; }
    [0, vMax / 2, vMax].forEach(function (v) {
      svg.appendChild(node("line", {x1: left, y1: y(v), x2: WIDTH - right, y2: y(v), stroke: "#e3e7ee"}));
      svg.appendChild(node("text", {x: left - 6, y: y(v) + 4, "text-anchor": "end", "class": "tick"},
                           Math.round(v)));
    });
    svg.appendChild(node("line", {x1: left, y1: top + plotH, x2: WIDTH - right, y2: top + plotH, stroke: "#9aa4b5"}));
    svg.appendChild(node("text", {x: 8, y: 16, "class": "axis-title"}, opts.yTitle || "findings"));
    // Date ticks: every point's date when few, else six evenly spaced dates.
    var ticks = [];
    pts.forEach(function (p) { if (ticks.indexOf(p.t) < 0) ticks.push(p.t); });
    ticks.sort(function (a, b) { return a - b; });
    if (ticks.length > 6 && span > 0) {
      ticks = [0, 1, 2, 3, 4, 5].map(function (i) { return tMin + span * i / 5; });
    }
    var lastX = -Infinity;
    ticks.forEach(function (t) {
      if (x(t) - lastX < 90) return;  // no overlapping dates: the point's tooltip still has its own
      lastX = x(t);
      svg.appendChild(node("line", {x1: x(t), y1: top + plotH, x2: x(t), y2: top + plotH + 4, stroke: "#9aa4b5"}));
      svg.appendChild(node("text", {x: x(t), y: top + plotH + 18, "text-anchor": "middle", "class": "tick date"},
                           dateLabel(t, span)));
    });
    var legendX = left;
    series.forEach(function (s) {
      var sorted = s.points.slice().sort(function (a, b) { return a.t - b.t; });
      var g = node("g", {"class": "series", "data-series": s.name});
      g.appendChild(node("polyline", {fill: "none", stroke: s.color, "stroke-width": 2.5,
        points: sorted.map(function (p) { return x(p.t) + "," + y(p.v); }).join(" ")}));
      sorted.forEach(function (p, i) {
        var c = node("circle", {cx: x(p.t), cy: y(p.v), r: 4.5, fill: s.color, "class": "point"});
        c.appendChild(node("title", {}, p.title));
        g.appendChild(c);
        var gap = Math.min(i > 0 ? x(p.t) - x(sorted[i - 1].t) : Infinity,
                           i < sorted.length - 1 ? x(sorted[i + 1].t) - x(p.t) : Infinity);
        if (gap >= 28 || i === sorted.length - 1) {  // values where they do not overlap, and the newest
          g.appendChild(node("text", {x: x(p.t), y: y(p.v) - 9, "text-anchor": "middle", "class": "point-value"}, p.v));
        }
      });
      svg.appendChild(g);
      svg.appendChild(node("line", {x1: legendX + 90, y1: 12, x2: legendX + 112, y2: 12, stroke: s.color,
                                    "stroke-width": 3}));
      svg.appendChild(node("text", {x: legendX + 116, y: 16, "class": "legend-text"},
                           s.name + " (" + s.points.length + ")"));
      legendX += 190;
    });
  }

  return {hbar: hbar, line: line, hatch: hatch, node: node};
})();
