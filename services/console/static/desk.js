// The desk: a type-ahead list picked with the arrow keys and Enter, the "about" switch,
// Ctrl+Enter to record, a copy button for the request number, and a phone call's Ringing /
// Answer clock with its etiquette checklist. Events are delegated to
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

  // The call's clock: the times live in the form's hidden inputs (so a refused form keeps
  // them); what the clerk sees is drawn from them.
  function showCall() {
    var box = document.querySelector("#desk-form [data-channel=phone]");
    if (!box) return;
    var rang = document.getElementById("call-rang-at").value;
    var answered = document.getElementById("call-answered-at").value;
    box.querySelector("[data-call=ring]").disabled = !!rang;
    box.querySelector("[data-call=answer]").disabled = !rang || !!answered;
    box.querySelector("[data-call-when=ringing]").hidden = !rang || !!answered;
    box.querySelector("[data-call-when=answered]").hidden = !answered;
    box.querySelector("[data-call-checklist]").hidden = !answered;
    if (rang) box.querySelector("[data-call-rang]").textContent = new Date(rang).toLocaleTimeString();
    if (rang && answered) {
      var seconds = Math.max(0, Math.floor((new Date(answered) - new Date(rang)) / 1000));
      box.querySelector("[data-call-seconds]").textContent = String(seconds);
    }
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
    var call = e.target.closest && e.target.closest("[data-call]");
    if (call) {
      var now = new Date().toISOString();
      if (call.dataset.call === "ring") document.getElementById("call-rang-at").value = now;
      if (call.dataset.call === "answer") {
        document.getElementById("call-answered-at").value = now;
        // Picked up: the caller is asked which unit first, then what happened.
        var search = document.getElementById("unit-search");
        var next = search && !search.closest("[hidden]") && !document.getElementById("unit-chosen").value
          ? search : document.getElementById("desk-text");
        if (next) next.focus();
      }
      showCall();
    }
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-channel-choice]")) {
      document.querySelectorAll("#desk-form [data-channel]").forEach(function (part) {
        part.hidden = part.dataset.channel !== t.value;
      });
    } else if (t.matches("[data-about-choice]")) {
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

  document.addEventListener("DOMContentLoaded", showCall);

  document.addEventListener("htmx:afterSwap", function (e) {
    showCall();  // a swapped-in form (refused, or fresh after recording) shows its call as it holds it
    if (e.target.id === "unit-options") {
      var search = document.getElementById("unit-search");
      search.setAttribute("aria-expanded", options().length ? "true" : "false");
    }
  });
})();
