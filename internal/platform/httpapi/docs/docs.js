// GoodGo API reference: fetches /openapi.json and renders its operations grouped by tag, with parameters and
// request/response schemas. Everything is built with DOM calls and textContent (never innerHTML), so text
// from the document cannot inject markup, and the page runs under a CSP without inline script.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];
  const MAX_DEPTH = 8;
  let spec = null;

  // el builds an element: el("td", {class: "x"}, "text", childNode, ...).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // resolve follows a local $ref ("#/components/schemas/Order") and returns [schema, name].
  function resolve(obj) {
    if (!obj || typeof obj.$ref !== "string") return [obj, null];
    const ref = obj.$ref;
    if (!ref.startsWith("#/")) return [{}, ref];
    let cur = spec;
    for (const part of ref.slice(2).split("/")) {
      cur = cur && cur[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return [cur || {}, ref.split("/").pop()];
  }

  // typeLabel describes a schema's type in a few words: "string (uuid)", "array of Order", "integer | null".
  function typeLabel(schema) {
    const [s, name] = resolve(schema);
    if (!s) return "any";
    if (name) return name;
    let t = s.type;
    if (Array.isArray(t)) t = t.join(" | ");
    if (t === "array" || (Array.isArray(s.type) && s.type.includes("array"))) {
      const items = s.items ? typeLabel(s.items) : "any";
      return "array of " + items + (Array.isArray(s.type) && s.type.includes("null") ? " | null" : "");
    }
    if (!t) {
      if (s.oneOf) return "one of " + s.oneOf.map(typeLabel).join(", ");
      if (s.anyOf) return "any of " + s.anyOf.map(typeLabel).join(", ");
      if (s.allOf) return "all of " + s.allOf.map(typeLabel).join(", ");
      if (s.properties) t = "object";
      else return "any";
    }
    if (s.format) t += " (" + s.format + ")";
    if (t === "object" && s.additionalProperties && typeof s.additionalProperties === "object") {
      t = "map of " + typeLabel(s.additionalProperties);
    }
    return t;
  }

  // constraints lists what a value must satisfy besides its type.
  function constraints(s) {
    const out = [];
    if (s.enum) out.push("one of: " + s.enum.map((v) => JSON.stringify(v)).join(", "));
    if (s.const !== undefined) out.push("always " + JSON.stringify(s.const));
    if (s.minimum !== undefined) out.push("≥ " + s.minimum);
    if (s.exclusiveMinimum !== undefined) out.push("> " + s.exclusiveMinimum);
    if (s.maximum !== undefined) out.push("≤ " + s.maximum);
    if (s.exclusiveMaximum !== undefined) out.push("< " + s.exclusiveMaximum);
    if (s.multipleOf !== undefined) out.push("multiple of " + s.multipleOf);
    if (s.minLength !== undefined) out.push("min length " + s.minLength);
    if (s.maxLength !== undefined) out.push("max length " + s.maxLength);
    if (s.pattern) out.push("pattern " + s.pattern);
    if (s.minItems !== undefined) out.push("min items " + s.minItems);
    if (s.maxItems !== undefined) out.push("max items " + s.maxItems);
    if (s.uniqueItems) out.push("unique items");
    if (s.default !== undefined) out.push("default " + JSON.stringify(s.default));
    if (s.examples && s.examples.length) out.push("e.g. " + JSON.stringify(s.examples[0]));
    else if (s.example !== undefined) out.push("e.g. " + JSON.stringify(s.example));
    if (s.readOnly) out.push("read-only");
    if (s.writeOnly) out.push("write-only");
    if (s.deprecated) out.push("deprecated");
    return out;
  }

  // objectOf returns the schema whose properties describe s: s itself, its items for arrays, or nothing.
  function objectOf(schema) {
    let [s] = resolve(schema);
    if (s && (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"))) && s.items) {
      [s] = resolve(s.items);
    }
    return s && s.properties ? s : null;
  }

  // renderSchema renders the properties of an object schema as a nested list; seen guards against cycles.
  function renderSchema(schema, seen, depth, isRequest) {
    const [s, name] = resolve(schema);
    const box = el("div", { class: "schema" });
    if (!s) return box;
    if (name && seen.has(name)) {
      box.append(el("div", { class: "ref" }, "↻ " + name + " (see above)"));
      return box;
    }
    if (depth > MAX_DEPTH) {
      box.append(el("div", { class: "ref" }, "… " + typeLabel(schema)));
      return box;
    }
    const nextSeen = new Set(seen);
    if (name) nextSeen.add(name);
    const obj = objectOf(schema);
    if (!obj) {
      box.append(el("div", {}, el("span", { class: "type" }, typeLabel(schema)),
        constraints(s).length ? el("span", { class: "constraint" }, " — " + constraints(s).join("; ")) : null));
      if (s.description) box.append(el("p", { class: "desc" }, s.description));
      return box;
    }
    if (obj.description && depth === 0) box.append(el("p", { class: "desc" }, obj.description));
    const required = new Set(obj.required || []);
    for (const [prop, propSchema] of Object.entries(obj.properties)) {
      const [ps] = resolve(propSchema);
      const line = el("div", { class: "prop" },
        el("span", { class: "name mono" }, prop),
        required.has(prop) ? el("span", { class: "req", title: "required" }, " *") : null,
        " ", el("span", { class: "type" }, typeLabel(propSchema)),
        constraints(ps || {}).length ? el("span", { class: "constraint" }, " — " + constraints(ps).join("; ")) : null);
      if (ps && ps.description) line.append(el("div", { class: "desc muted" }, ps.description));
      if (objectOf(propSchema)) {
        const nested = el("details", {}, el("summary", { class: "muted" }, "fields"));
        nested.addEventListener("toggle", function once() {
          if (nested.open && nested.childElementCount === 1) nested.append(renderSchema(propSchema, nextSeen, depth + 1, isRequest));
        });
        line.append(nested);
      }
      box.append(line);
    }
    if (isRequest && obj.additionalProperties === false && depth === 0) {
      box.append(el("div", { class: "constraint" }, "No other fields are accepted."));
    }
    return box;
  }

  function renderContent(content, isRequest) {
    const out = [];
    for (const [ctype, media] of Object.entries(content || {})) {
      out.push(el("div", { class: "ctype" }, ctype));
      if (media && media.schema) out.push(renderSchema(media.schema, new Set(), 0, isRequest));
    }
    return out;
  }

  function needsAuth(op) {
    const sec = op.security !== undefined ? op.security : spec.security;
    return Array.isArray(sec) && sec.length > 0 && sec.every((req) => Object.keys(req).length > 0);
  }

  function renderParameters(params) {
    const rows = params.map((p) => {
      const [param] = resolve(p);
      const [schema] = resolve(param.schema || {});
      return el("tr", {},
        el("td", {}, el("span", { class: "mono" }, param.name), param.required ? el("span", { class: "req" }, " *") : null),
        el("td", {}, param.in),
        el("td", {}, el("span", { class: "type" }, typeLabel(param.schema || {})),
          constraints(schema || {}).length ? el("div", { class: "constraint" }, constraints(schema).join("; ")) : null),
        el("td", { class: "desc" }, param.description || ""));
    });
    return el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "In"), el("th", {}, "Type"), el("th", {}, "Description"))),
      el("tbody", {}, rows));
  }

  function renderOperation(path, method, op, pathParams) {
    const id = op.operationId || method + "-" + path;
    const summary = el("summary", {},
      el("span", { class: "method " + method }, method.toUpperCase()),
      el("span", { class: "path mono" }, path),
      el("span", { class: "muted" }, op.summary || ""),
      needsAuth(op) ? el("span", { class: "lock", title: "needs a bearer access token" }, "auth") : null);
    const body = el("div", { class: "op-body" });
    const details = el("details", { class: "op" + (op.deprecated ? " deprecated" : ""), id: id }, summary, body);
    // Build the body on first open: large documents stay fast.
    details.addEventListener("toggle", () => {
      if (!details.open || body.childElementCount) return;
      if (op.description) body.append(el("p", { class: "desc" }, op.description));
      body.append(el("div", { class: "muted mono" }, "operationId: " + id));
      const params = [...(pathParams || []), ...(op.parameters || [])];
      if (params.length) body.append(el("h3", {}, "Parameters"), renderParameters(params));
      if (op.requestBody) {
        const [rb] = resolve(op.requestBody);
        body.append(el("h3", {}, "Request body" + (rb.required ? " (required)" : "")));
        if (rb.description) body.append(el("p", { class: "desc" }, rb.description));
        body.append(...renderContent(rb.content, true));
      }
      body.append(el("h3", {}, "Responses"));
      for (const [status, r] of Object.entries(op.responses || {})) {
        const [resp] = resolve(r);
        const ok = /^[23]/.test(status);
        body.append(el("div", {}, el("span", { class: "status " + (ok ? "ok" : "err") }, status), " ", resp.description || ""));
        if (resp.headers) {
          for (const [h, hv] of Object.entries(resp.headers)) {
            const [hdr] = resolve(hv);
            body.append(el("div", { class: "constraint" }, "header " + h + ": " + typeLabel(hdr.schema || {}) +
              (hdr.description ? " — " + hdr.description : "")));
          }
        }
        body.append(...renderContent(resp.content, false));
      }
    });
    details.dataset.search = [method, path, op.summary, op.operationId, ...(op.tags || [])].join(" ").toLowerCase();
    return details;
  }

  function render() {
    const info = spec.info || {};
    document.title = (info.title || "API") + " — reference";
    document.getElementById("title").textContent = info.title || "API reference";
    const sub = document.getElementById("subtitle");
    sub.replaceChildren("Version " + (info.version || "?") + " · OpenAPI " + (spec.openapi || "?") + " · ",
      el("a", { href: "/openapi.json" }, "openapi.json"));
    if (info.description) sub.append(el("div", { class: "desc" }, info.description));

    const groups = new Map();
    for (const t of spec.tags || []) groups.set(t.name, { tag: t, ops: [] });
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        for (const tag of op.tags && op.tags.length ? op.tags : ["Other"]) {
          if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
          groups.get(tag).ops.push(renderOperation(path, method, op, item.parameters));
        }
      }
    }
    if (groups.has("Other")) {
      const other = groups.get("Other"); // untagged operations go last
      groups.delete("Other");
      groups.set("Other", other);
    }
    const content = document.getElementById("content");
    const toc = document.getElementById("toc");
    content.replaceChildren();
    toc.replaceChildren();
    for (const [name, g] of groups) {
      if (!g.ops.length) continue;
      const anchor = "tag-" + name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      const section = el("section", { class: "tag", id: anchor }, el("h2", {}, name),
        g.tag.description ? el("p", { class: "desc muted" }, g.tag.description) : null, g.ops);
      content.append(section);
      toc.append(el("a", { href: "#" + anchor }, name + " (" + g.ops.length + ")"));
    }
    if (!content.childElementCount) content.append(el("p", { class: "muted" }, "The document has no operations yet."));
    openFromHash();
  }

  function openFromHash() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }

  function applyFilter(text) {
    const q = text.trim().toLowerCase();
    for (const section of document.querySelectorAll("section.tag")) {
      let shown = 0;
      for (const op of section.querySelectorAll("details.op")) {
        const match = !q || op.dataset.search.includes(q);
        op.hidden = !match;
        if (match) shown++;
      }
      section.hidden = shown === 0;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("filter").addEventListener("input", (e) => applyFilter(e.target.value));
    window.addEventListener("hashchange", openFromHash);
    fetch("/openapi.json", { headers: { Accept: "application/json" } })
      .then((r) => {
        if (!r.ok) throw new Error("GET /openapi.json answered " + r.status);
        return r.json();
      })
      .then((doc) => {
        spec = doc;
        render();
      })
      .catch((err) => {
        document.getElementById("content").replaceChildren(el("p", { class: "error" }, "Could not load the API document: " + err.message));
      });
  });
})();
