// The desk: a type-ahead list picked with the arrow keys and Enter, the "about" switch,
// Ctrl+Enter to record, and a copy button for the request number. Events are delegated to
// the document, so a form htmx swaps in works at once.
(function () {
  function options() { return Array.from(document.querySelectorAll("#unit-options [role=option]")); }

  function activate(list, index) {
    var search = document.getElementById("unit-search");
    list.forEach(function (li, i) {
      li.classList.toggle("active", i === index);
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (list[index]) {
      search.setAttribute("aria-activedescendant", list[index].id);
      list[index].scrollIntoView({ block: "nearest" });
    }
  }

  function pick(li) {
    var unit = li.dataset.unit;
    var search = document.getElementById("unit-search");
    document.getElementById("unit-chosen").value = unit;
    search.value = unit;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    document.getElementById("unit-options").innerHTML = "";
    var label = document.getElementById("unit-chosen-label");
    label.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = unit + (li.dataset.name ? " · " + li.dataset.name : "");
    label.appendChild(strong);
    htmx.ajax("GET", "/desk/glance?unit=" + encodeURIComponent(unit), { target: "#glance", swap: "innerHTML" });
    var text = document.getElementById("desk-text");
    if (text && text.value.trim()) htmx.trigger(text, "desk-refresh");
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.id === "unit-search") {
      var list = options();
      var at = list.findIndex(function (li) { return li.classList.contains("active"); });
      if (e.key === "ArrowDown" && list.length) { e.preventDefault(); activate(list, Math.min(at + 1, list.length - 1)); }
      else if (e.key === "ArrowUp" && list.length) { e.preventDefault(); activate(list, Math.max(at - 1, 0)); }
      else if (e.key === "Enter") {
        // Enter in the search picks a unit; it never records a half-written request.
        e.preventDefault();
        if (list.length) pick(list[at >= 0 ? at : 0]);
      } else if (e.key === "Escape") { document.getElementById("unit-options").innerHTML = ""; }
    } else if (t.id === "desk-text" && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      t.form.requestSubmit();
    }
  });

  document.addEventListener("input", function (e) {
    if (e.target.id === "unit-search") {
      var chosen = document.getElementById("unit-chosen");
      if (chosen.value && chosen.value !== e.target.value) {
        chosen.value = "";
        document.getElementById("unit-chosen-label").textContent = "";
      }
    }
  });

  document.addEventListener("click", function (e) {
    var li = e.target.closest && e.target.closest("#unit-options [role=option]");
    if (li) pick(li);
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy && navigator.clipboard) navigator.clipboard.writeText(copy.dataset.copy);
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-about-choice]")) {
      document.querySelectorAll("#desk-form [data-about]").forEach(function (part) {
        var on = part.dataset.about.split(" ").indexOf(t.value) >= 0;
        part.hidden = !on;
        part.querySelectorAll("input, select").forEach(function (el) { el.disabled = !on; });
      });
      var search = document.getElementById("unit-search");
      if (search) search.disabled = false;
    } else if (t.matches("[data-refresh]")) {
      var text = document.getElementById("desk-text");
      if (text && text.value.trim()) htmx.trigger(text, "desk-refresh");
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "unit-options") {
      var search = document.getElementById("unit-search");
      search.setAttribute("aria-expanded", options().length ? "true" : "false");
    }
  });
})();
