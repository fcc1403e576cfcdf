// opswiki editor: live preview, a line-numbered gutter, drafts kept in this
// browser, attachments by paste or drop, and saving through the JSON API so a
// concurrent edit becomes a merge or a visible conflict, never a lost edit.
// Without this file the form still posts and saves.
(function () {
  "use strict";

  var form = document.getElementById("editor");
  if (!form || !window.fetch || !window.FormData) return;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  var ta = $("content"), gutter = $("gutter"), preview = $("preview"), live = $("live-problems"),
    status = $("status"), base = $("base"), msg = $("message"), pathIn = $("path"), saveBtn = $("save");
  var d = form.dataset, draftKey = d.draftKey, uploadURL = d.upload, maxUpload = +d.maxUpload || 0;
  var leaveURL = d.pageUrl || ($("cancel") || {}).href || "/";
  var isNew = !!pathIn && pathIn.type !== "hidden";
  var clean = ta.value, cleanPath = isNew ? pathIn.value : "";
  var saveLabel = saveBtn.textContent;
  var saving = false, savedOK = false, leaving = false, barPending = false;
  var previewTimer = 0, draftTimer = 0, seq = 0, shown = 0, marks = {}, gutterSig = "";
  var narrow = window.matchMedia("(max-width: 50rem)");
  var OFFLINE = "the server cannot be reached. Nothing is lost: your text stays here and as a draft in this browser.";

  form.classList.add("enhanced");
  ta.setAttribute("wrap", "off"); // one visual line per source line, so the gutter lines up

  // from: who set the message, so a recovered preview clears only its own.
  function say(text, kind, from) {
    status.textContent = text || "";
    status.className = kind || "muted";
    status.dataset.from = from || "";
  }

  function call(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body instanceof FormData) opts.body = body;
    else if (body) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; })
        .then(function (j) { return { status: r.status, ok: r.ok, body: j || {} }; });
    });
  }
  function errorText(res) {
    var e = res.body.error;
    if (e && e.message) return e.message;
    return res.status === 413 ? "too large for the server." : "the server answered " + res.status + ".";
  }

  function countLines(v) { return v.split("\n").length; }
  function gotoLine(n, selectLine) {
    var v = ta.value, s = v.split("\n", n - 1).join("\n").length + (n > 1 ? 1 : 0), e = v.indexOf("\n", s);
    if (s > v.length) s = v.length;
    if (e < 0) e = v.length;
    ta.focus({ preventScroll: true });
    ta.setSelectionRange(s, selectLine ? e : s);
    var lh = gutter.firstChild ? gutter.firstChild.offsetHeight : 20;
    ta.scrollTop = Math.max(0, (n - 1) * lh - ta.clientHeight / 3);
    ta.scrollIntoView({ block: "nearest" });
  }

  // Rebuilt only when the line count or the marks change: typing within a
  // line must stay cheap on long runbooks.
  function renderGutter() {
    var n = countLines(ta.value), sig = n + JSON.stringify(marks);
    if (sig !== gutterSig) {
      gutterSig = sig;
      var frag = document.createDocumentFragment();
      for (var i = 1; i <= n; i++) {
        var line = el("div", null, String(i)), m = marks[i];
        if (m) { line.className = m.sev; line.title = m.text; }
        frag.appendChild(line);
      }
      gutter.textContent = "";
      gutter.appendChild(frag);
    }
    gutter.scrollTop = ta.scrollTop;
  }

  function showProblems(list) {
    marks = {};
    live.textContent = "";
    (list || []).forEach(function (p) {
      var sev = p.severity === "error" ? "error" : "warning", li = el("li", sev);
      var label = (p.line > 0 ? "line " + p.line + ": " : "") + p.message;
      if (p.line > 0) {
        var b = el("button", "goto", label);
        b.type = "button";
        b.addEventListener("click", function () { gotoLine(p.line); });
        li.appendChild(b);
        var m = marks[p.line];
        marks[p.line] = { sev: m && m.sev === "error" ? "error" : sev, text: m ? m.text + "\n" + p.message : p.message };
      } else li.textContent = label;
      live.appendChild(li);
    });
    renderGutter();
  }

  function refreshPreview() {
    clearTimeout(previewTimer);
    var n = ++seq;
    var quiet = function () { return !status.textContent || status.dataset.from === "preview"; };
    call("POST", "/-/api/preview", { path: pathIn ? pathIn.value.trim() : d.page + ".md", content: ta.value })
      .then(function (res) {
        if (n < shown) return; // a newer answer is already on screen
        shown = n;
        if (!res.ok) { if (quiet()) say("Preview failed: " + errorText(res), "error", "preview"); return; }
        preview.innerHTML = res.body.html || ""; // sanitised by the server
        var stale = form.querySelector(".problems"); // the server's list, as of page load
        if (stale) stale.hidden = true;
        showProblems(res.body.problems);
        if (status.dataset.from === "preview") say("");
      }, function () { if (n >= shown && quiet()) say("Preview unavailable: " + OFFLINE, "error", "preview"); });
  }

  function dirty() { return ta.value !== clean || (isNew && pathIn.value !== cleanPath); }

  function storeDraft() {
    clearTimeout(draftTimer);
    // While the restore bar is open, the old draft is what is at stake.
    if (!draftKey || savedOK || barPending) return;
    try {
      if (!dirty()) localStorage.removeItem(draftKey);
      else localStorage.setItem(draftKey, JSON.stringify({ content: ta.value, message: msg.value, base: base.value,
        path: pathIn ? pathIn.value : "", saved_at: new Date().toISOString() }));
    } catch (e) { /* private mode or full storage: the text is still in the page */ }
  }
  function draftSoon() { clearTimeout(draftTimer); draftTimer = setTimeout(storeDraft, 500); }

  function changed() {
    renderGutter();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 250);
    draftSoon();
  }

  function ago(t) {
    var m = Math.round((Date.now() - t) / 60000);
    var fmt = function (n, w) { return n + " " + w + (n === 1 ? "" : "s") + " ago"; };
    if (!(m >= 0)) return "earlier";
    if (m < 1) return "a moment ago";
    if (m < 60) return fmt(m, "minute");
    if (m < 1440) return fmt(Math.round(m / 60), "hour");
    if (m < 20160) return fmt(Math.round(m / 1440), "day");
    return new Date(t).toLocaleDateString();
  }

  function offerDraft() {
    var dr;
    try { dr = JSON.parse(localStorage.getItem(draftKey)); } catch (e) { return; }
    if (!dr || typeof dr.content !== "string" || dr.content === ta.value) return;
    var older = typeof dr.base === "string" && dr.base !== base.value;
    var bar = el("div", "draft-bar"), restore = el("button", "button primary", "Restore draft"),
      discard = el("button", "button", "Discard");
    restore.type = discard.type = "button";
    bar.append(el("span", null, "You have an unsaved draft from " + ago(new Date(dr.saved_at).getTime()) + "." +
      (older ? " It began from an older version; saving it merges it with the current one." : "")), restore, discard);
    form.insertBefore(bar, form.querySelector(".panes"));
    barPending = true;
    var close = function () { barPending = false; bar.remove(); ta.focus(); };
    restore.addEventListener("click", function () {
      ta.value = dr.content;
      if (typeof dr.message === "string") msg.value = dr.message;
      if (isNew && dr.path) { pathIn.value = dr.path; syncName(); }
      // The server merges three ways from the base: it must be where the draft began.
      if (older) base.value = dr.base;
      close();
      changed();
    });
    discard.addEventListener("click", function () {
      try { localStorage.removeItem(draftKey); } catch (e) { /* nothing stored then */ }
      close();
    });
  }

  function syncName() { d.page = pathIn.value.trim().replace(/^\/+/, "").replace(/\.md$/i, ""); }

  function save() {
    if (saving || savedOK) return;
    if (isNew && !pathIn.reportValidity()) return;
    saving = true;
    saveBtn.disabled = true;
    saveBtn.textContent = "Saving…";
    say("Saving…");
    storeDraft(); // a failed save must never cost the text
    var url = "/-/api/pages/" + d.page.split("/").map(encodeURIComponent).join("/");
    call("PUT", url, { content: ta.value, base: base.value, message: msg.value }).then(function (res) {
      var b = res.body;
      if (res.ok) return saved(b);
      if (res.status === 409 && b.conflict) {
        showConflict(b);
        say("Not saved: someone else changed this page. Resolve the marked places and save again.", "error");
      } else if (res.status === 422 && b.problems) {
        showProblems(b.problems);
        say("Not saved: fix the errors marked beside the text.", "error");
      } else say("Not saved: " + errorText(res), "error");
      done();
    }, function () { say("Not saved: " + OFFLINE, "error"); done(); });
  }
  function done() { saving = false; saveBtn.disabled = false; saveBtn.textContent = saveLabel; }
  function saved(b) {
    savedOK = leaving = true;
    clearTimeout(draftTimer);
    try { if (draftKey) localStorage.removeItem(draftKey); } catch (e) { /* nothing stored then */ }
    var u = new URL(b.url || "/" + d.page, location.href);
    if (b.merged) u.searchParams.set("merged", "1");
    saveBtn.textContent = "Saved";
    say("Saved.");
    location.assign(u.href);
  }

  function side(label, cls, text, open) {
    var det = el("details"), pre = el("pre", "side " + cls, text);
    det.open = open;
    pre.id = "conflict-" + cls;
    det.append(el("summary", null, label), pre);
    return det;
  }
  function showConflict(c) {
    var yours = typeof c.yours === "string" ? c.yours : ta.value;
    var sec = $("conflict");
    if (!sec) {
      sec = el("section", "conflict");
      sec.id = "conflict";
      sec.setAttribute("aria-label", "Conflict");
      form.parentNode.insertBefore(sec, form);
    }
    var p = el("p", null, "Your text is safe: it is in the editor below, merged with their change. " +
      "Each place where both of you changed the same lines is marked with ");
    p.append(el("code", null, "<<<<<<< your edit"), ", ", el("code", null, "======="), " and ",
      el("code", null, ">>>>>>> current version"), ". Keep what should stay, delete the markers, and save again." +
      (c.author ? " The other change was made by " + c.author + "." : ""));
    var sides = el("div", "sides");
    sides.append(side("Your text", "yours", yours, true), side("Current version", "theirs", c.theirs || "", false));
    sec.textContent = "";
    sec.append(el("h2", null, "Someone else changed this page while you were editing"), p, sides);
    if (typeof c.base === "string") {
      base.value = c.base;
      var del = document.querySelector("#delete-form input[name=base]");
      if (del) del.value = c.base;
    }
    if (typeof c.merged_with_markers === "string") ta.value = c.merged_with_markers;
    changed();
    storeDraft();
    var m = /^<{7}/m.exec(ta.value);
    if (m) gotoLine(countLines(ta.value.slice(0, m.index)), true);
  }

  function insert(text) {
    ta.focus();
    // execCommand keeps the insertion on the undo stack (and fires input).
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, "end");
      changed();
    }
  }
  // One at a time, so several files land in the order they were given.
  function upload(files) {
    files = Array.prototype.slice.call(files);
    var next = function () {
      var f = files.shift();
      if (!f) return;
      if (maxUpload && f.size > maxUpload) {
        say("Could not attach " + f.name + ": larger than the limit of " +
          (maxUpload / 1048576).toFixed(1).replace(/\.0$/, "") + " MB.", "error");
        return next();
      }
      var fd = new FormData();
      fd.append("file", f, f.name || "pasted");
      say("Uploading " + f.name + "…");
      call("POST", uploadURL, fd).then(function (res) {
        if (res.ok && res.body.markdown) { insert(res.body.markdown); say("Attached " + (res.body.path || f.name) + "."); }
        else say("Could not attach " + f.name + ": " + errorText(res), "error");
      }, function () { say("Could not attach " + f.name + ": the server cannot be reached.", "error"); }).then(next);
    };
    next();
  }
  function hasFiles(ev) {
    var t = ev.dataTransfer && ev.dataTransfer.types;
    return !!t && Array.prototype.indexOf.call(t, "Files") >= 0;
  }

  function leave() {
    if (dirty() && !confirm("Leave the editor? Your unsaved text stays in this browser as a draft.")) return;
    storeDraft();
    leaving = true;
    location.assign(leaveURL);
  }

  // Phones show the source alone; the preview is one tap (or Ctrl+Enter) away.
  var toggle = el("button", "button preview-toggle", "Preview");
  toggle.type = "button";
  toggle.setAttribute("aria-pressed", "false");
  toggle.setAttribute("aria-controls", "preview");
  var head = form.querySelector(".pane.source .pane-head");
  if (head) head.insertBefore(toggle, status);
  function togglePreview() {
    if (!narrow.matches) return refreshPreview();
    var on = form.classList.toggle("show-preview");
    toggle.setAttribute("aria-pressed", String(on));
    if (on) { refreshPreview(); preview.parentNode.scrollIntoView({ block: "start" }); }
  }
  toggle.addEventListener("click", togglePreview);

  ta.addEventListener("input", changed);
  ta.addEventListener("scroll", function () { gutter.scrollTop = ta.scrollTop; });
  msg.addEventListener("input", draftSoon);
  if (isNew) pathIn.addEventListener("input", function () { syncName(); changed(); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); save(); });

  if (uploadURL) {
    ta.addEventListener("paste", function (ev) {
      var cd = ev.clipboardData;
      // Office apps add a picture of copied text beside the text: the text is what was meant.
      if (!cd || !cd.files || !cd.files.length || cd.getData("text/plain")) return;
      ev.preventDefault();
      upload(cd.files);
    });
    // Drops anywhere on the form attach, so a near miss does not open the file instead.
    form.addEventListener("dragover", function (ev) {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      ta.classList.add("dropping");
    });
    form.addEventListener("dragleave", function () { ta.classList.remove("dropping"); });
    form.addEventListener("drop", function (ev) {
      ta.classList.remove("dropping");
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      upload(ev.dataTransfer.files);
    });
  }

  document.addEventListener("keydown", function (ev) {
    var mod = ev.ctrlKey || ev.metaKey;
    if (mod && !ev.altKey && (ev.key === "s" || ev.key === "S")) { ev.preventDefault(); save(); }
    else if (mod && ev.key === "Enter") { ev.preventDefault(); togglePreview(); }
    else if (ev.key === "Escape" && !mod && !ev.isComposing && !ev.defaultPrevented &&
      ev.target.id !== "q" && !document.querySelector("dialog[open]")) leave();
  });
  window.addEventListener("beforeunload", function (ev) {
    storeDraft();
    if (leaving || savedOK || !dirty()) return;
    ev.preventDefault();
    ev.returnValue = "";
  });
  // Back from the saved page: the editor's base is stale, so start over.
  window.addEventListener("pageshow", function (ev) { if (ev.persisted && savedOK) location.reload(); });

  if (isNew && !d.page) syncName();
  renderGutter();
  refreshPreview();
  if (draftKey) offerDraft();
})();
