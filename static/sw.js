// opswiki offline copies: the pages a person has opened, and the runbooks
// of the services they chose, stay readable when the network (or the wiki)
// is gone, each saying how old it is. Served as /-/sw.js for the scope "/".
"use strict";

var PAGES = "opswiki-pages-v1";   // page views, newest copy of each
var ASSETS = "opswiki-assets-v1"; // content-hashed assets, never stale
var MAX_PAGES = 300;
var SAVED_AT = "X-Opswiki-Saved-At";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });

// A page view is a navigation to a wiki path; the server's own routes
// (/-/…) and git are not kept, nor the raw files.
function isPage(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/-/") !== 0 &&
    url.pathname.indexOf("/wiki.git") !== 0 && !/\.[a-z0-9]+$/i.test(url.pathname);
}

function key(url) { return url.origin + url.pathname; }

// keep stores a copy of a page answer with the time it was saved.
function keep(url, resp) {
  if (!resp || resp.status !== 200 || (resp.headers.get("Content-Type") || "").indexOf("text/html") !== 0) {
    return Promise.resolve();
  }
  return resp.clone().text().then(function (html) {
    var headers = new Headers(resp.headers);
    headers.set(SAVED_AT, new Date().toISOString());
    headers.delete("Content-Length");
    headers.delete("Content-Encoding");
    return caches.open(PAGES).then(function (cache) {
      return cache.put(key(url), new Response(html, { status: 200, headers: headers })).then(function () { return trim(cache); });
    });
  });
}

// trim drops the oldest copies beyond MAX_PAGES.
function trim(cache) {
  return cache.keys().then(function (keys) {
    var extra = keys.length - MAX_PAGES;
    return Promise.all(keys.slice(0, Math.max(0, extra)).map(function (k) { return cache.delete(k); }));
  });
}

function age(savedAt) {
  var mins = Math.round((Date.now() - Date.parse(savedAt)) / 60000);
  if (!(mins >= 0)) return "at an unknown time";
  if (mins < 1) return "less than a minute ago";
  if (mins < 90) return mins + (mins === 1 ? " minute ago" : " minutes ago");
  var hours = Math.round(mins / 60);
  if (hours < 48) return hours + " hours ago";
  return Math.round(hours / 24) + " days ago";
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

// offlineCopy answers with the saved page and a notice, at the top of its
// content, of how old the copy is.
function offlineCopy(cached) {
  var savedAt = cached.headers.get(SAVED_AT) || "";
  return cached.text().then(function (html) {
    var when = savedAt ? savedAt.replace("T", " ").replace(/\.\d+Z$/, " UTC") : "";
    var notice = '<p class="notice offline" role="status" id="offline-notice">Offline: the wiki cannot be reached. ' +
      "This is the copy saved " + escapeHTML(age(savedAt)) + (when ? " (" + escapeHTML(when) + ")" : "") +
      "; it may be out of date.</p>";
    var at = html.indexOf("<main");
    if (at >= 0) at = html.indexOf(">", at) + 1;
    html = at > 0 ? html.slice(0, at) + notice + html.slice(at) : notice + html;
    var headers = new Headers(cached.headers);
    headers.set("Cache-Control", "no-store");
    return new Response(html, { status: 200, headers: headers });
  });
}

// offlineList answers a page that was never saved: what is readable.
function offlineList(url) {
  return caches.open(PAGES).then(function (cache) { return cache.keys(); }).then(function (keys) {
    var items = keys.map(function (k) {
      var p = new URL(k.url).pathname;
      return '<li><a href="' + escapeHTML(p) + '">' + escapeHTML(decodeURIComponent(p)) + "</a></li>";
    }).join("");
    var html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      "<title>Offline · opswiki</title></head><body><main><h1>Offline</h1><p>The wiki cannot be reached and " +
      escapeHTML(url.pathname) + " was never saved on this device.</p>" +
      (items ? "<p>These pages are saved here:</p><ul>" + items + "</ul>" : "<p>No page is saved on this device yet.</p>") +
      "</main></body></html>";
    return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
  });
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/-/static/") === 0) {
    // Content-hashed: a stored copy is always right.
    ev.respondWith(caches.open(ASSETS).then(function (cache) {
      return cache.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) {
          if (resp.ok) cache.put(req, resp.clone());
          return resp;
        });
      });
    }));
    return;
  }
  if (req.mode !== "navigate" || !isPage(url)) return;
  // The network first: the page as it is now, kept for later (not the
  // page filled in with one alert's labels: its plain copy is kept).
  ev.respondWith(fetch(req).then(function (resp) {
    if (!url.search) ev.waitUntil(keep(url, resp));
    return resp;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(key(url)); }).then(function (hit) {
      return hit ? offlineCopy(hit) : offlineList(url);
    });
  }));
});

// Messages from the pages: keep these pages now (the page being read, the
// runbooks of a chosen service), or forget everything (signed out).
self.addEventListener("message", function (ev) {
  var msg = ev.data || {};
  if (msg.type === "keep" && Array.isArray(msg.urls)) {
    ev.waitUntil(Promise.all(msg.urls.map(function (u) {
      var url = new URL(u, self.location.origin);
      if (!isPage(url)) return null;
      return fetch(url.href, { credentials: "same-origin" }).then(function (resp) { return keep(url, resp); }, function () {});
    })).then(function () {
      if (ev.source) ev.source.postMessage({ type: "kept", urls: msg.urls });
    }));
  } else if (msg.type === "forget") {
    ev.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(ASSETS)]));
  }
});
