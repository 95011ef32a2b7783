// The SPARQL query page: runs the textarea's query with fetch() and renders the answer.
// Every value from the server is written with textContent, never as HTML.
"use strict";

(function () {
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";

  function $(id) { return document.getElementById(id); }

  function setStatus(text) { $("status").textContent = text; }

  function clearResults() {
    const table = $("result-table");
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
    table.hidden = true;
    $("result-text").textContent = "";
    $("result-text").hidden = true;
  }

  function showText(text) {
    $("result-text").textContent = text;
    $("result-text").hidden = false;
  }

  function renderTerm(term) {
    if (!term) { return document.createTextNode(""); }
    if (term.type === "uri" && /^https?:\/\//i.test(term.value)) {
      const link = document.createElement("a");
      link.href = term.value;
      link.textContent = term.value;
      return link;
    }
    let text = term.type === "bnode" ? "_:" + term.value : term.value;
    if (term["xml:lang"]) { text += "@" + term["xml:lang"]; }
    return document.createTextNode(text);
  }

  function renderTable(data) {
    const table = $("result-table");
    const variables = data.head.vars || [];
    const header = document.createElement("tr");
    for (const name of variables) {
      const cell = document.createElement("th");
      cell.textContent = name;
      header.appendChild(cell);
    }
    table.tHead.appendChild(header);
    for (const binding of data.results.bindings) {
      const row = document.createElement("tr");
      for (const name of variables) {
        const cell = document.createElement("td");
        cell.appendChild(renderTerm(binding[name]));
        row.appendChild(cell);
      }
      table.tBodies[0].appendChild(row);
    }
    table.hidden = false;
    setStatus(data.results.bindings.length + " rows");
  }

  async function showError(response) {
    const text = await response.text();
    let detail = text;
    try { detail = JSON.parse(text).error.detail; } catch (ignored) { /* not our JSON error body */ }
    setStatus("Error " + response.status);
    showText(detail);
  }

  async function showAnswer(response) {
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    if (type !== "application/sparql-results+json") {
      showText(await response.text());
      setStatus("Graph result");
      return;
    }
    const data = await response.json();
    if (typeof data.boolean === "boolean") {
      showText(String(data.boolean));
      setStatus("Boolean result");
    } else {
      renderTable(data);
    }
  }

  async function runQuery(event) {
    event.preventDefault();
    const form = event.target;
    clearResults();
    setStatus("Running…");
    $("run").disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {"Accept": ACCEPT, "Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams({query: $("query").value}),
      });
      await (response.ok ? showAnswer(response) : showError(response));
    } catch (error) {
      setStatus("The request failed: " + error.message);
    } finally {
      $("run").disabled = false;
    }
  }

  function loadExample(event) {
    $("query").value = event.currentTarget.dataset.query;
    $("query").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("query-form").addEventListener("submit", runQuery);
    for (const button of document.querySelectorAll("button.example")) {
      button.addEventListener("click", loadExample);
    }
  });
})();
