// The query page: sends the query to the SPARQL endpoint and shows the result as a table.
// Plain JavaScript, no dependencies, nothing fetched from elsewhere.
"use strict";
(function () {
  const form = document.getElementById("query-form");
  if (!form) { return; }
  const endpoint = form.dataset.endpoint;
  const base = form.dataset.base;
  const status = document.getElementById("query-status");
  const out = document.getElementById("query-results");
  const idBase = "https://w3id.org/citykg/id/";
  const ontNs = "https://w3id.org/citykg/ontology#";

  function localHref(iri) {
    if (iri.startsWith(idBase)) { return base + "/page/" + iri.slice(idBase.length); }
    if (iri.startsWith(ontNs)) { return base + "/ontology#" + iri.slice(ontNs.length); }
    return null;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      const a = document.createElement("a");
      const local = localHref(term.value);
      a.href = local || term.value;
      if (!local) { a.rel = "nofollow noopener"; }
      a.textContent = term.value;
      td.appendChild(a);
    } else {
      td.textContent = term.value;
      const note = term["xml:lang"] || (term.datatype ? term.datatype.split("#").pop() : "");
      if (note) {
        const small = document.createElement("small");
        small.textContent = " " + note;
        td.appendChild(small);
      }
    }
    return td;
  }

  function table(doc) {
    const t = document.createElement("table");
    t.className = "results";
    const head = t.createTHead().insertRow();
    for (const v of doc.head.vars) {
      const th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const b of doc.results.bindings) {
      const tr = body.insertRow();
      for (const v of doc.head.vars) { tr.appendChild(cell(b[v])); }
    }
    return t;
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const query = document.getElementById("query-text").value;
    status.textContent = "Running…";
    out.replaceChildren();
    const started = performance.now();
    try {
      const resp = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9"
        },
        body: new URLSearchParams({ query: query }).toString()
      });
      const text = await resp.text();
      const secs = ((performance.now() - started) / 1000).toFixed(3);
      if (!resp.ok) {
        status.textContent = "Error " + resp.status + ": " + text;
        return;
      }
      const truncated = resp.headers.get("X-Citykg-Truncated");
      const ctype = resp.headers.get("Content-Type") || "";
      if (ctype.startsWith("application/sparql-results+json")) {
        const doc = JSON.parse(text);
        if (typeof doc.boolean === "boolean") {
          status.textContent = "ASK: " + doc.boolean + " (" + secs + " s)";
          return;
        }
        status.textContent = doc.results.bindings.length + " rows in " + secs + " s" +
          (truncated ? " (truncated by the server's row cap)" : "");
        out.appendChild(table(doc));
      } else {
        status.textContent = "Graph result in " + secs + " s" + (truncated ? " (truncated)" : "");
        const pre = document.createElement("pre");
        pre.textContent = text;
        out.appendChild(pre);
      }
    } catch (err) {
      status.textContent = "The request failed: " + err;
    }
  });
})();
