// opswiki editor: live preview, a line-numbered gutter, drafts kept in this
// browser, attachments by paste or drop, and saving through the JSON API so a
// concurrent edit becomes a merge or a visible conflict, never a lost edit.
// Without this file the form still posts and saves.
(() => {
  "use strict";

  const form = document.getElementById("editor");
  if (!form || !window.fetch) return;

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };

  const ta = $("content"), gutter = $("gutter"), preview = $("preview"), live = $("live-problems"),
    status = $("status"), base = $("base"), msg = $("message"), pathIn = $("path"), saveBtn = $("save");
  const d = form.dataset, draftKey = d.draftKey, uploadURL = d.upload, maxUpload = +d.maxUpload || 0;
  const leaveURL = d.pageUrl || ($("cancel") || {}).href || "/";
  const isNew = !!pathIn && pathIn.type !== "hidden";
  const clean = ta.value, cleanPath = isNew ? pathIn.value : "", saveLabel = saveBtn.textContent;
  const narrow = matchMedia("(max-width: 50rem)");
  const OFFLINE = "the server cannot be reached. Nothing is lost: your text stays here and as a draft in this browser.";
  let saving = false, savedOK = false, leaving = false, barPending = false;
  let previewTimer = 0, draftTimer = 0, seq = 0, shown = 0, marks = {}, gutterSig = "";

  form.classList.add("enhanced");
  ta.setAttribute("wrap", "off"); // one visual line per source line, so the gutter lines up

  // from: who set the message, so a recovered preview clears only its own.
  const say = (text, kind, from) => {
    status.textContent = text || "";
    status.className = kind || "muted";
    status.dataset.from = from || "";
  };

  // Resolves to {status, ok, body} for any HTTP answer; rejects only when offline.
  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    if (!(body instanceof FormData)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    const r = await fetch(url, { method, body, headers, credentials: "same-origin" });
    const j = await r.json().catch(() => ({}));
    return { status: r.status, ok: r.ok, body: j || {} };
  }
  const errorText = (res) => (res.body.error && res.body.error.message) ||
    (res.status === 413 ? "too large for the server." : `the server answered ${res.status}.`);

  const countLines = (v) => v.split("\n").length;
  function gotoLine(n, selectLine) {
    const v = ta.value, s = Math.min(v.length, v.split("\n", n - 1).join("\n").length + (n > 1 ? 1 : 0));
    const e = v.indexOf("\n", s) < 0 ? v.length : v.indexOf("\n", s);
    ta.focus({ preventScroll: true });
    ta.setSelectionRange(s, selectLine ? e : s);
    const lh = gutter.firstChild ? gutter.firstChild.offsetHeight : 20;
    ta.scrollTop = Math.max(0, (n - 1) * lh - ta.clientHeight / 3);
    ta.scrollIntoView({ block: "nearest" });
  }

  // Rebuilt only when the line count or the marks change: typing within a
  // line must stay cheap on long runbooks.
  function renderGutter() {
    const n = countLines(ta.value), sig = n + JSON.stringify(marks);
    if (sig !== gutterSig) {
      gutterSig = sig;
      const frag = document.createDocumentFragment();
      for (let i = 1; i <= n; i++) {
        const line = frag.appendChild(el("div", null, String(i))), m = marks[i];
        if (m) { line.className = m.sev; line.title = m.text; }
      }
      gutter.textContent = "";
      gutter.appendChild(frag);
    }
    gutter.scrollTop = ta.scrollTop;
  }

  function showProblems(list) {
    marks = {};
    live.textContent = "";
    for (const p of list || []) {
      const sev = p.severity === "error" ? "error" : "warning", li = live.appendChild(el("li", sev));
      const label = (p.line > 0 ? `line ${p.line}: ` : "") + p.message;
      if (!(p.line > 0)) { li.textContent = label; continue; }
      const b = li.appendChild(el("button", "goto", label));
      b.type = "button";
      b.addEventListener("click", () => gotoLine(p.line));
      const m = marks[p.line];
      marks[p.line] = { sev: m && m.sev === "error" ? "error" : sev, text: m ? m.text + "\n" + p.message : p.message };
    }
    renderGutter();
  }

  async function refreshPreview() {
    clearTimeout(previewTimer);
    const n = ++seq, quiet = () => !status.textContent || status.dataset.from === "preview";
    let res;
    try {
      res = await call("POST", "/-/api/preview", { path: (pathIn ? pathIn.value.trim() : d.page) || "untitled.md", content: ta.value });
    } catch (e) {
      if (n >= shown && quiet()) say("Preview unavailable: " + OFFLINE, "error", "preview");
      return;
    }
    if (n < shown) return; // a newer answer is already on screen
    shown = n;
    if (!res.ok) { if (quiet()) say("Preview failed: " + errorText(res), "error", "preview"); return; }
    preview.innerHTML = res.body.html || ""; // sanitised by the server
    const stale = form.querySelector(".problems"); // the server's list, as of page load
    if (stale) stale.hidden = true;
    showProblems(res.body.problems);
    if (status.dataset.from === "preview") say("");
  }

  const dirty = () => ta.value !== clean || (isNew && pathIn.value !== cleanPath);

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
  const draftSoon = () => { clearTimeout(draftTimer); draftTimer = setTimeout(storeDraft, 500); };

  function changed() {
    renderGutter();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 250);
    draftSoon();
  }

  function ago(t) {
    const m = Math.round((Date.now() - t) / 60000), fmt = (n, w) => `${n} ${w}${n === 1 ? "" : "s"} ago`;
    if (!(m >= 0)) return "earlier";
    if (m < 1) return "a moment ago";
    if (m < 60) return fmt(m, "minute");
    if (m < 1440) return fmt(Math.round(m / 60), "hour");
    return m < 20160 ? fmt(Math.round(m / 1440), "day") : new Date(t).toLocaleDateString();
  }

  function offerDraft() {
    let dr;
    try { dr = JSON.parse(localStorage.getItem(draftKey)); } catch (e) { return; }
    if (!dr || typeof dr.content !== "string" || dr.content === ta.value) return;
    const older = typeof dr.base === "string" && dr.base !== base.value;
    const bar = el("div", "draft-bar"), restore = el("button", "button primary", "Restore draft"),
      discard = el("button", "button", "Discard");
    restore.type = discard.type = "button";
    bar.append(el("span", null, `You have an unsaved draft from ${ago(new Date(dr.saved_at).getTime())}.` +
      (older ? " It began from an older version; saving it merges it with the current one." : "")), restore, discard);
    form.insertBefore(bar, form.querySelector(".panes"));
    barPending = true;
    const close = () => { barPending = false; bar.remove(); ta.focus(); };
    restore.addEventListener("click", () => {
      ta.value = dr.content;
      if (typeof dr.message === "string") msg.value = dr.message;
      if (isNew && dr.path) pathIn.value = dr.path;
      // The server merges three ways from the base: it must be where the draft began.
      if (older) base.value = dr.base;
      close();
      changed();
    });
    discard.addEventListener("click", () => {
      try { localStorage.removeItem(draftKey); } catch (e) { /* nothing stored then */ }
      close();
    });
  }

  async function save() {
    if (saving || savedOK) return;
    if (isNew) {
      if (!pathIn.reportValidity()) return;
      d.page = pathIn.value.trim().replace(/^\/+/, "").replace(/\.md$/i, "");
    }
    saving = saveBtn.disabled = true;
    saveBtn.textContent = "Saving…";
    say("Saving…");
    storeDraft(); // a failed save must never cost the text
    const url = "/-/api/pages/" + d.page.split("/").map(encodeURIComponent).join("/");
    try {
      const res = await call("PUT", url, { content: ta.value, base: base.value, message: msg.value }), b = res.body;
      if (res.ok) return saved(b);
      if (res.status === 409 && b.conflict) {
        showConflict(b);
        say(b.deleted ? "Not saved: someone deleted this page meanwhile. Save again to create it anew."
          : "Not saved: both of you changed the same lines. Resolve the marked places and save again.", "error");
      } else if (res.status === 422 && b.problems) {
        showProblems(b.problems);
        say("Not saved: fix the errors marked beside the text.", "error");
      } else say("Not saved: " + errorText(res), "error");
    } catch (e) {
      say("Not saved: " + OFFLINE, "error");
    }
    saving = saveBtn.disabled = false;
    saveBtn.textContent = saveLabel;
  }
  function saved(b) {
    savedOK = leaving = true;
    clearTimeout(draftTimer);
    try { if (draftKey) localStorage.removeItem(draftKey); } catch (e) { /* nothing stored then */ }
    const u = new URL(b.url || "/" + d.page, location.href);
    if (b.merged) u.searchParams.set("merged", "1");
    saveBtn.textContent = "Saved";
    say("Saved.");
    location.assign(u.href);
  }

  function side(label, cls, text, open) {
    const det = el("details"), pre = el("pre", "side " + cls, text);
    det.open = open;
    pre.id = "conflict-" + cls;
    det.append(el("summary", null, label), pre);
    return det;
  }
  // Same wording and ids as the server-rendered panel in edit.html.
  function showConflict(c) {
    const yours = typeof c.yours === "string" ? c.yours : ta.value;
    let sec = $("conflict");
    if (!sec) {
      sec = form.parentNode.insertBefore(el("section", "conflict"), form);
      sec.id = "conflict";
      sec.setAttribute("aria-label", "Conflict");
    }
    const who = c.author ? ` The other change was made by ${c.author}.` : "", sides = el("div", "sides");
    let p = el("p", null, "Your text is safe: it is in the editor below, merged with their change. " +
      "Each place where both of you changed the same lines is marked with ");
    p.append(el("code", null, "<<<<<<< your edit"), ", ", el("code", null, "======="), " and ",
      el("code", null, ">>>>>>> current version"), ". Keep what should stay, delete the markers, and save again." + who);
    sides.append(side("Your text", "yours", yours, true));
    if (c.deleted) p = el("p", null, "Your text is safe in the editor below. Save again to create the page anew." + who);
    else sides.append(side("Current version", "theirs", c.theirs || "", false));
    sec.textContent = "";
    sec.append(el("h2", null, c.deleted ? "Someone deleted this page while you were editing"
      : "Someone else changed this page while you were editing"), p, sides);
    if (typeof c.base === "string") {
      base.value = c.base;
      const del = document.querySelector("#delete-form input[name=base]");
      if (del) del.value = c.base;
    }
    if (typeof c.merged_with_markers === "string") ta.value = c.merged_with_markers;
    changed();
    storeDraft();
    const m = /^<{7}/m.exec(ta.value);
    if (m) gotoLine(countLines(ta.value.slice(0, m.index)), true);
  }

  function insert(text) {
    ta.focus();
    // execCommand keeps the insertion on the undo stack (and fires input).
    if (!document.execCommand("insertText", false, text)) {
      ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, "end");
      changed();
    }
  }
  // One at a time, so several files land in the order they were given.
  async function upload(files) {
    for (const f of Array.from(files)) {
      if (maxUpload && f.size > maxUpload) {
        say(`Could not attach ${f.name}: larger than the limit of ${+(maxUpload / 1048576).toFixed(1)} MB.`, "error");
        continue;
      }
      const fd = new FormData();
      fd.append("file", f, f.name || "pasted");
      say(`Uploading ${f.name}…`);
      try {
        const res = await call("POST", uploadURL, fd);
        if (res.ok && res.body.markdown) { insert(res.body.markdown); say(`Attached ${res.body.path || f.name}.`); }
        else say(`Could not attach ${f.name}: ${errorText(res)}`, "error");
      } catch (e) {
        say(`Could not attach ${f.name}: the server cannot be reached.`, "error");
      }
    }
  }
  const hasFiles = (ev) => !!ev.dataTransfer && Array.from(ev.dataTransfer.types).includes("Files");

  function leave() {
    if (dirty() && !confirm("Leave the editor? Your unsaved text stays in this browser as a draft.")) return;
    storeDraft();
    leaving = true;
    location.assign(leaveURL);
  }

  // Phones show the source alone; the preview is one tap (or Ctrl+Enter) away.
  const toggle = el("button", "button preview-toggle", "Preview");
  toggle.type = "button";
  toggle.setAttribute("aria-pressed", "false");
  toggle.setAttribute("aria-controls", "preview");
  status.parentNode.insertBefore(toggle, status);
  function togglePreview() {
    if (!narrow.matches) return refreshPreview();
    const on = form.classList.toggle("show-preview");
    toggle.setAttribute("aria-pressed", String(on));
    if (on) { refreshPreview(); preview.parentNode.scrollIntoView({ block: "start" }); }
  }
  toggle.addEventListener("click", togglePreview);

  ta.addEventListener("input", changed);
  ta.addEventListener("scroll", () => { gutter.scrollTop = ta.scrollTop; });
  msg.addEventListener("input", draftSoon);
  if (isNew) pathIn.addEventListener("input", changed); // the path decides the kind, and so the checks
  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(); });

  if (uploadURL) {
    ta.addEventListener("paste", (ev) => {
      const cd = ev.clipboardData;
      // Office apps add a picture of copied cells or text beside it as rich text: the text is what was meant.
      if (!cd || !cd.files.length || (cd.getData("text/plain") && cd.getData("text/html"))) return;
      ev.preventDefault();
      upload(cd.files);
    });
    // Drops anywhere on the form attach, so a near miss does not open the file instead.
    form.addEventListener("dragover", (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      ta.classList.add("dropping");
    });
    form.addEventListener("dragleave", () => ta.classList.remove("dropping"));
    form.addEventListener("drop", (ev) => {
      ta.classList.remove("dropping");
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      upload(ev.dataTransfer.files);
    });
  }

  document.addEventListener("keydown", (ev) => {
    const mod = ev.ctrlKey || ev.metaKey, key = ev.key || ""; // autofill sends keydowns without a key
    if (mod && !ev.altKey && key.toLowerCase() === "s") { ev.preventDefault(); save(); }
    else if (mod && key === "Enter") { ev.preventDefault(); togglePreview(); }
    else if (key === "Escape" && !mod && !ev.isComposing && !ev.defaultPrevented &&
      ev.target.id !== "q" && !document.querySelector("dialog[open]")) leave();
  });
  addEventListener("beforeunload", (ev) => {
    storeDraft();
    if (leaving || savedOK || !dirty()) return;
    ev.preventDefault();
    ev.returnValue = "";
  });
  // Back from the saved page: this editor's base is stale, so start over.
  addEventListener("pageshow", (ev) => { if (ev.persisted && savedOK) location.reload(); });

  renderGutter();
  refreshPreview();
  if (draftKey) offerDraft();
})();
