// opswiki search suggestions: pages listed under a search box as you type,
// from the same API as the search page (GET /-/api/search with suggest=1,
// which skips facet counts). Keyboard first: ArrowDown/ArrowUp move through
// the list, Enter opens the highlighted page (the top one when none is
// highlighted: the runbook at 03:00 is one keystroke away), Escape closes
// the list (Enter then searches) and a second Escape leaves the box. Without this
// file the box is a plain form that opens the search page.
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var LIMIT = 8;
  var MIN_CHARS = 2;
  var lists = 0;

  // pageURL turns a hit's path ("runbooks/db/Disk Full") into its URL.
  function pageURL(path) {
    return "/" + path.split("/").map(encodeURIComponent).join("/");
  }

  function attach(input) {
    if (!input || input.getAttribute("data-suggest-on")) return;
    input.setAttribute("data-suggest-on", "1");
    var host = input.form || input.parentNode;
    host.classList.add("suggest-host");

    var listID = "suggest-" + (++lists);
    var list = document.createElement("ul");
    list.id = listID;
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested pages");
    list.hidden = true;
    host.appendChild(list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listID);

    var timer = 0;
    var sent = 0;        // number of the latest request
    var controller = null;
    var shownFor = null; // the query the list shows
    var hits = [];
    var active = -1;
    var leaving = false; // a suggestion was opened: the form must not also submit

    function isOpen() { return !list.hidden; }

    function open() {
      if (!hits.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function setActive(i) {
      var items = list.children;
      if (active >= 0 && items[active]) {
        items[active].classList.remove("active");
        items[active].setAttribute("aria-selected", "false");
      }
      active = i;
      if (active >= 0 && items[active]) {
        items[active].classList.add("active");
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        if (items[active].scrollIntoView) items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(i, newTab) {
      var hit = hits[i];
      if (!hit) return;
      var url = pageURL(hit.path);
      close();
      if (newTab) {
        window.open(url, "_blank", "noopener");
      } else {
        // The Enter that picked the page may still submit the form (a
        // keypress arrives after the keydown was handled): let it not.
        leaving = true;
        location.href = url;
      }
    }

    function render(query, newHits) {
      // A page highlighted stays highlighted when it is still listed.
      var keep = active >= 0 && hits[active] ? hits[active].path : null;
      hits = newHits;
      shownFor = query;
      list.setAttribute("data-query", query);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.textContent = "";
      hits.forEach(function (hit, i) {
        var li = document.createElement("li");
        li.id = listID + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var badge = document.createElement("span");
        badge.className = "badge kind-" + (hit.kind || "page");
        badge.textContent = hit.kind || "page";
        var title = document.createElement("span");
        title.className = "suggest-title";
        title.textContent = hit.title || hit.path || "Home";
        var path = document.createElement("span");
        path.className = "suggest-path";
        path.textContent = "/" + hit.path;
        li.appendChild(badge);
        li.appendChild(title);
        li.appendChild(path);
        // Keep the focus in the box while the mouse picks a page.
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
        li.addEventListener("click", function (ev) { go(i, ev.ctrlKey || ev.metaKey || ev.shiftKey); });
        li.addEventListener("mousemove", function () { if (active !== i) setActive(i); });
        list.appendChild(li);
      });
      if (hits.length && document.activeElement === input) {
        open();
        for (var i = 0; keep !== null && i < hits.length; i++) {
          if (hits[i].path === keep) setActive(i);
        }
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < MIN_CHARS) {
        sent++; // a late answer for a longer query must not reopen the list
        render(query, []);
        return;
      }
      var n = ++sent; // from now on, answers to earlier requests are ignored
      if (controller) controller.abort();
      controller = null;
      if (query === shownFor) {
        open();
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = "/-/api/search?" + new URLSearchParams({ q: query, limit: String(LIMIT), suggest: "1" }).toString();
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller ? controller.signal : undefined })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) {
          if (n !== sent) return; // an answer to an older query: ignore it
          render(query, data && data.hits ? data.hits : []);
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      setActive(-1); // Enter now means the words typed, not an older pick
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    if (input.form) {
      input.form.addEventListener("submit", function (ev) {
        if (leaving) ev.preventDefault();
      });
    }

    input.addEventListener("keydown", function (ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.isComposing) return;
      switch (ev.key) {
        case "ArrowDown":
          if (!hits.length) return;
          ev.preventDefault();
          if (!isOpen()) { open(); setActive(0); return; }
          setActive(active + 1 < hits.length ? active + 1 : -1);
          break;
        case "ArrowUp":
          if (!isOpen()) return;
          ev.preventDefault();
          setActive(active < 0 ? hits.length - 1 : active - 1);
          break;
        case "Enter":
          if (isOpen() && hits.length && (active >= 0 || shownFor === input.value.trim())) {
            ev.preventDefault();
            go(active >= 0 ? active : 0, ev.shiftKey);
          } else {
            close(); // the form submits: the search page
          }
          break;
        case "Escape":
          ev.preventDefault();
          if (isOpen()) {
            close();
            ev.stopPropagation(); // the first Escape only closes the list
          } else {
            input.blur();
          }
          break;
        case "Tab":
          close();
          break;
      }
    });

    input.addEventListener("blur", function () { close(); });
    input.addEventListener("focus", function () {
      if (hits.length && input.value.trim() === shownFor) open();
    });
  }

  function init() {
    attach(document.getElementById("q"));
    document.querySelectorAll("input[data-suggest]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
