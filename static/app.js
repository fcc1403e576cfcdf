// opswiki keyboard shortcuts and code copy buttons. Pages work without this
// file; it only adds conveniences.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Copy buttons on code blocks: one click to copy a command at 03:00.
  function addCopyButtons() {
    document.querySelectorAll(".code-block").forEach(function (block) {
      if (block.querySelector(".copy")) return;
      var code = block.querySelector("code") || block.querySelector("pre");
      if (!code) return;
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "copy";
      btn.textContent = "Copy";
      btn.setAttribute("aria-label", "Copy code to clipboard");
      btn.addEventListener("click", function () {
        // textContent is the code as written: innerText doubles the line
        // breaks of the highlighter's line boxes, which would break a
        // command continued with a backslash.
        var text = code.textContent.replace(/\n$/, "");
        var done = function () {
          btn.textContent = "Copied";
          setTimeout(function () { btn.textContent = "Copy"; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
        } else {
          fallbackCopy(text);
          done();
        }
      });
      block.appendChild(btn);
    });
  }

  // Plain-HTTP wikis on a LAN have no Clipboard API; select-and-copy works.
  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(ta);
  }

  function showHelp() {
    var d = document.getElementById("help");
    if (d && !d.open && d.showModal) d.showModal();
  }

  var pendingG = 0;
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var q = document.getElementById("q");
    if (typing(ev.target)) {
      if (ev.key === "Escape" && ev.target === q) q.blur();
      return;
    }
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (ev.key === "h") { location.href = "/"; ev.preventDefault(); return; }
      if (ev.key === "c") { location.href = "/-/changes"; ev.preventDefault(); return; }
    }
    pendingG = 0;
    switch (ev.key) {
      case "/":
        if (q) { q.focus(); q.select(); ev.preventDefault(); }
        break;
      case "?":
        showHelp();
        ev.preventDefault();
        break;
      case "g":
        pendingG = Date.now();
        break;
      case "e":
        var edit = document.querySelector("a[data-edit]");
        if (edit) { location.href = edit.href; ev.preventDefault(); }
        break;
    }
  });

  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-help]")) showHelp();
  });

  // The footer's clone URL is rendered as a path, since pages are cached
  // whole for every host name; show the address this browser used.
  function showCloneURL() {
    document.querySelectorAll("a[data-clone]").forEach(function (a) {
      var href = a.getAttribute("href");
      a.textContent = href.charAt(0) === "/" ? location.origin + href : href;
    });
  }

  // On a phone the page's own text comes first: the facts and the table
  // of contents start folded, a tap away. Pages work without this.
  function foldOnPhones() {
    if (!window.matchMedia || !window.matchMedia("(max-width: 50rem)").matches) return;
    document.querySelectorAll("details.fold[open]").forEach(function (d) {
      d.removeAttribute("open");
    });
  }

  // Offline copies (sw.js): every page read here is kept on this device,
  // and a service's runbooks when asked; signing out forgets them all.
  function offline() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    var forget = document.querySelector("[data-forget-offline]");
    navigator.serviceWorker.register("/-/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var worker = reg.active;
      if (!worker) return;
      if (forget) {
        worker.postMessage({ type: "forget" });
        return;
      }
      if (document.querySelector("article.page")) {
        worker.postMessage({ type: "keep", urls: [location.pathname] });
      }
      document.querySelectorAll("button[data-keep-offline]").forEach(function (btn) {
        var status = btn.parentNode.querySelector("[data-keep-status]");
        btn.hidden = false;
        btn.addEventListener("click", function () {
          var urls = btn.getAttribute("data-keep-offline").split(" ").filter(Boolean);
          worker.postMessage({ type: "keep", urls: urls });
          if (status) status.textContent = "Saving " + urls.length + " runbooks on this device…";
        });
      });
      navigator.serviceWorker.addEventListener("message", function (ev) {
        var status = document.querySelector("[data-keep-status]");
        if (ev.data && ev.data.type === "kept" && status && ev.data.urls.length > 1) {
          status.textContent = ev.data.urls.length + " runbooks are readable offline on this device.";
        }
      });
    }).catch(function () { /* no offline copies: the wiki works as before */ });
  }

  function init() {
    offline();
    foldOnPhones();
    addCopyButtons();
    showCloneURL();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
