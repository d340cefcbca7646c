/* searchapp: optional enhancements. Every page works without this file.
   Document page: n/p keys and the previous/next links walk through the marks; the
   expansions toggle switches without a reload. Glossary: live filtering. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function matchNavigation() {
    var marks = Array.prototype.slice.call(document.querySelectorAll(".document mark"));
    var prev = document.getElementById("prev-match");
    var next = document.getElementById("next-match");
    var status = document.getElementById("match-status");
    if (!marks.length) { return; }
    var current = -1;
    var total = status ? status.textContent : "";

    function paragraphOf(el) { return el.closest(".para"); }

    function show(i) {
      if (current >= 0) { marks[current].classList.remove("current"); }
      current = (i + marks.length) % marks.length;
      var mark = marks[current];
      mark.classList.add("current");
      mark.setAttribute("tabindex", "-1");
      var old = document.querySelector(".para.targeted");
      if (old) { old.classList.remove("targeted"); }
      var para = paragraphOf(mark);
      if (para) {
        para.classList.add("targeted");
        if (history.replaceState) { history.replaceState(history.state, "", "#" + para.id); }
      }
      mark.focus({ preventScroll: true });
      mark.scrollIntoView({ block: "center" });
      if (status) { status.textContent = "Match " + (current + 1) + " of " + marks.length + " · " + total; }
    }

    // start from the paragraph the reader arrived at
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target) {
      for (var k = 0; k < marks.length; k++) {
        if (target.contains(marks[k])) { current = k - 1; break; }
        if (target.compareDocumentPosition(marks[k]) & Node.DOCUMENT_POSITION_FOLLOWING) { current = k - 1; break; }
      }
    }

    function step(delta) {
      if (current < 0 && delta < 0) { show(marks.length - 1); } else { show(current + delta); }
    }
    if (next) { next.addEventListener("click", function (e) { e.preventDefault(); step(1); }); }
    if (prev) { prev.addEventListener("click", function (e) { e.preventDefault(); step(-1); }); }
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) { return; }
      if (e.key === "n") { e.preventDefault(); step(1); }
      else if (e.key === "p") { e.preventDefault(); step(-1); }
    });
  }

  function expansionToggle() {
    var toggle = document.getElementById("toggle-expansions");
    if (!toggle) { return; }
    toggle.setAttribute("role", "button");
    toggle.addEventListener("click", function (e) {
      e.preventDefault();
      var on = document.body.classList.toggle("show-expansions");
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "Show source text only" : "Show abbreviations expanded";
      var url = new URL(location.href);
      if (on) { url.searchParams.set("expand", "1"); } else { url.searchParams.delete("expand"); }
      var link = new URL(url.toString());
      if (on) { link.searchParams.delete("expand"); } else { link.searchParams.set("expand", "1"); }
      toggle.href = link.pathname + link.search + link.hash;
      if (history.replaceState) { history.replaceState(history.state, "", url.toString()); }
    });
  }

  function glossaryFilter() {
    var input = document.querySelector("input[data-filter-table]");
    if (!input) { return; }
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    var count = document.getElementById("glossary-count");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var hit = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (count) { count.textContent = shown + " entries shown" + (needle ? " for “" + input.value.trim() + "”" : "") + "."; }
    });
  }

  function cleanPermalinks() {
    // leave empty filters and the default order out of the URL: shorter permalinks
    var form = document.querySelector("form.search-form");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && (el.value === "" || (el.name === "sort" && el.value === "relevance"))) { el.disabled = true; }
      });
    });
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
    });
  }

  // Abbreviations in snippets: reachable by keyboard, their expansion shown on focus
  // (CSS shows the title after a focused abbr; hover keeps the native tooltip).
  function focusableAbbreviations() {
    Array.prototype.forEach.call(document.querySelectorAll(".snippet abbr[title]"), function (abbr) {
      abbr.tabIndex = 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusableAbbreviations();
    cleanPermalinks();
    matchNavigation();
    expansionToggle();
    glossaryFilter();
  });
})();
