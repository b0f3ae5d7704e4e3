// The API reference, drawn from /openapi.json with plain DOM calls (text only, never innerHTML).
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

let spec = null;

function resolve(schema) {
  // Follow local "$ref"s ("#/components/schemas/Name"); anything else is returned as it is.
  let seen = 0;
  while (schema && schema.$ref && seen < 20) {
    const parts = schema.$ref.replace(/^#\//, "").split("/");
    schema = parts.reduce((node, key) => (node ? node[key] : undefined), spec);
    seen += 1;
  }
  return schema || {};
}

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.split("/").pop() : null;
}

function typeText(schema) {
  if (!schema) return "";
  const name = refName(schema);
  if (name) return name;
  if (schema.anyOf || schema.oneOf) return (schema.anyOf || schema.oneOf).map(typeText).join(" | ");
  if (schema.type === "array") return typeText(schema.items) + "[]";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  return schema.type || (schema.const !== undefined ? JSON.stringify(schema.const) : "any");
}

function propertiesTable(schema) {
  const target = resolve(schema);
  const props = target.properties || {};
  const required = new Set(target.required || []);
  if (!Object.keys(props).length) return el("p", { class: "meta" }, "type: " + typeText(schema));
  const body = el("tbody");
  for (const [name, prop] of Object.entries(props)) {
    const info = resolve(prop);
    const note = prop.description || info.description || "";
    const dflt = prop.default !== undefined ? " (default " + JSON.stringify(prop.default) + ")" : "";
    body.append(el("tr", { "data-field": name },
      el("td", null, el("code", null, name), required.has(name) ? el("span", { class: "req" }, " *") : null),
      el("td", null, typeText(prop)),
      el("td", null, note + dflt)));
  }
  return el("table", null, el("thead", null, el("tr", null, el("th", null, "field"), el("th", null, "type"),
    el("th", null, "notes"))), body);
}

function example(schema, depth) {
  // A starting body for "Try it": required fields with placeholder values.
  const target = resolve(schema);
  if (depth > 3) return null;
  if (target.default !== undefined) return target.default;
  if (target.anyOf) return example(target.anyOf.find((s) => s.type !== "null") || target.anyOf[0], depth + 1);
  switch (target.type) {
    case "object": {
      const out = {};
      for (const name of target.required || []) out[name] = example((target.properties || {})[name], depth + 1);
      return out;
    }
    case "array": return [];
    case "integer": case "number": return 0;
    case "boolean": return false;
    case "string": return "";
    default: return null;
  }
}

function requestSchema(op) {
  const content = op.requestBody && op.requestBody.content;
  return content && content["application/json"] ? content["application/json"].schema : null;
}

function tryIt(method, path, op) {
  const params = (op.parameters || []).filter((p) => p.in === "path" || p.in === "query");
  const inputs = {};
  const form = el("div", { class: "try" }, el("h4", null, "Try it"));
  for (const p of params) {
    inputs[p.name] = el("input", { name: p.name, placeholder: typeText(p.schema) });
    form.append(el("div", null, el("label", null, p.name + " (" + p.in + ") ", inputs[p.name])));
  }
  const schema = requestSchema(op);
  let text = null;
  if (schema) {
    let start = example(schema, 0) || {};
    if (start && typeof start === "object" && "dockerfile" in start) start.dockerfile = "FROM alpine:3.20\n";
    text = el("textarea", { "aria-label": "request body" });
    text.value = JSON.stringify(start, null, 2);
    form.append(text);
  }
  const answer = el("pre", { class: "answer", hidden: "" });
  const send = el("button", { type: "button" }, "Send");
  send.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const p of params) {
      const value = inputs[p.name].value;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(value));
      else if (value !== "") query.set(p.name, value);
    }
    if ([...query].length) url += "?" + query.toString();
    const headers = {};
    const key = document.getElementById("api-key").value;
    if (key) headers["X-API-Key"] = key;
    const init = { method: method.toUpperCase(), headers, credentials: "same-origin" };
    if (text) { headers["Content-Type"] = "application/json"; init.body = text.value; }
    answer.hidden = false;
    answer.textContent = "…";
    try {
      const r = await fetch(url, init);
      const body = await r.text();
      let shown = body;
      try { shown = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* not JSON: shown as it is */ }
      answer.textContent = r.status + " " + r.statusText + "\n\n" + shown;
      answer.setAttribute("data-status", String(r.status));
    } catch (err) {
      answer.textContent = "request failed: " + err;
      answer.setAttribute("data-status", "error");
    }
  });
  form.append(send, answer);
  return form;
}

function operation(method, path, op) {
  const id = (method + path).replace(/[^A-Za-z0-9]+/g, "-");
  const box = el("details", { class: "op", id: "op-" + id, "data-method": method, "data-path": path },
    el("summary", null, el("span", { class: "method " + method }, method.toUpperCase()),
      el("span", { class: "path" }, path), el("span", { class: "summary" }, op.summary || "")));
  const body = el("div", { class: "body" });
  if (op.description) body.append(el("p", null, op.description));
  const params = op.parameters || [];
  if (params.length) {
    body.append(el("h4", null, "Parameters"));
    const rows = params.map((p) => el("tr", null, el("td", null, el("code", null, p.name)), el("td", null, p.in),
      el("td", null, typeText(p.schema)), el("td", null, p.required ? "required" : "optional")));
    body.append(el("table", null, el("tbody", null, ...rows)));
  }
  const schema = requestSchema(op);
  if (schema) body.append(el("h4", null, "Request body: " + typeText(schema)), propertiesTable(schema));
  body.append(el("h4", null, "Responses"));
  const rows = Object.entries(op.responses || {}).map(([code, r]) => {
    const content = r.content && (r.content["application/json"] || Object.values(r.content)[0]);
    return el("tr", null, el("td", null, code), el("td", null, r.description || ""),
      el("td", null, content && content.schema ? typeText(content.schema) : ""));
  });
  body.append(el("table", null, el("tbody", null, ...rows)), tryIt(method, path, op));
  box.append(body);
  return box;
}

function render() {
  document.title = (spec.info.title || "API") + " " + (spec.info.version || "");
  document.getElementById("title").textContent = document.title;
  document.getElementById("description").textContent = spec.info.description || "";
  const tags = new Map();
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!tags.has(tag)) tags.set(tag, []);
      tags.get(tag).push(operation(method, path, op));
    }
  }
  const endpoints = document.getElementById("endpoints");
  const toc = document.getElementById("toc");
  for (const [tag, ops] of tags) {
    endpoints.append(el("h2", { id: "tag-" + tag }, tag), ...ops);
    toc.append(el("a", { href: "#tag-" + tag }, tag));
  }
  toc.append(el("a", { href: "#schemas" }, "schemas"));
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries((spec.components || {}).schemas || {})) {
    schemas.append(el("div", { class: "schema", id: "schema-" + name }, el("h3", null, name),
      schema.description ? el("p", { class: "meta" }, schema.description) : null, propertiesTable(schema)));
  }
  const count = document.querySelectorAll("details.op").length;
  document.getElementById("status").textContent = count + " endpoints";
  document.body.setAttribute("data-rendered", "true");
}

async function load() {
  const status = document.getElementById("status");
  try {
    const r = await fetch("openapi.json", { credentials: "same-origin" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    spec = await r.json();
    render();
  } catch (err) {
    status.textContent = "Could not load /openapi.json: " + err.message;
    document.body.setAttribute("data-rendered", "error");
  }
}

load();
