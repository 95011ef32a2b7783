// The SPARQL query page. The form works without this script: it sends the query in the URL (GET),
// so every results page can be bookmarked and shared. The script posts a query too long for a URL
// instead, says that the query is running, and runs it on Ctrl+Enter. It writes only textContent.
"use strict";

(function () {
  function $(id) { return document.getElementById(id); }

  // The path and query string a GET of the form would send; line breaks go as CR LF, as forms send them.
  function target(form) {
    const fields = new URLSearchParams(new FormData(form)).toString().replace(/%0A/g, "%0D%0A");
    return new URL(form.action).pathname + "?" + fields;
  }

  function submit(event) {
    event.preventDefault();
    const form = event.target;
    const tooLong = target(form).length > Number(form.dataset.maxTarget);
    form.method = tooLong ? "post" : "get";
    $("status").textContent = tooLong ? "Running (sent by POST: the query is too long for a link)…" : "Running…";
    form.submit();
  }

  function runOnCtrlEnter(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("query-form").requestSubmit();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("query-form").addEventListener("submit", submit);
    $("query").addEventListener("keydown", runOnCtrlEnter);
  });
  // Back to a page the browser kept: it is no longer running anything.
  window.addEventListener("pageshow", function () { $("status").textContent = ""; });
})();
