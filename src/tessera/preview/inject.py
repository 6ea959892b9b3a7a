"""The script Tessera adds to every HTML page a preview serves.

It has two parts, each present when the proxy serves what it talks to:

- **storage.** Browsers treat a preview (``{port}-{sandbox}.localhost``) embedded in
  Tessera's page as a third-party frame, and current Chromium denies such frames
  ``localStorage`` outright (``SecurityError``), which breaks any generated app that keeps
  state there. The script gives the page a ``localStorage`` kept by Tessera for the
  sandbox instead: loaded once, synchronously, before the app's own scripts run, and saved
  back on every change. The embedded preview and the same preview opened in a new tab
  thus share one storage, and it survives reloads.
- **errors.** What goes wrong in the page is reported to Tessera (its console panel and
  the autofix): uncaught errors, unhandled promise rejections, scripts that fail to load
  (a module whose imports fail), ``console.error`` calls (the page's own ``console.error``
  still runs) and Vite's error overlay (Vite shows a module that does not compile there,
  without logging it). Reports are posted as JSON to
  ``ERRORS_PATH`` on the preview's own origin, in batches every quarter of a second:
  identical consecutive reports are counted instead of repeated, at most 20 go out a
  second, and a batch stays under the 64 KiB a ``keepalive`` request may carry.
"""

from __future__ import annotations

import re

SCRIPT_PATH = "/__tessera/preview.js"
STORAGE_PATH = "/__tessera/storage"
ERRORS_PATH = "/__tessera/errors"

_STORAGE_PART = """\
(function () {
  var endpoint = "__STORAGE__";
  var data = {};
  try {
    var request = new XMLHttpRequest();
    request.open("GET", endpoint, false);
    request.send(null);
    if (request.status === 200) data = JSON.parse(request.responseText) || {};
  } catch (error) { data = {}; }
  var pending = null;
  function save() {
    if (pending !== null) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(endpoint, { method: "PUT", body: JSON.stringify(data), keepalive: true,
        headers: { "Content-Type": "application/json" } }).catch(function () {});
    }, 0);
  }
  var storage = {
    getItem: function (key) {
      key = String(key);
      return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : null;
    },
    setItem: function (key, value) { data[String(key)] = String(value); save(); },
    removeItem: function (key) { delete data[String(key)]; save(); },
    clear: function () { data = {}; save(); },
    key: function (index) {
      var keys = Object.keys(data);
      return index < keys.length ? keys[index] : null;
    },
    get length() { return Object.keys(data).length; }
  };
  try {
    Object.defineProperty(window, "localStorage", {
      configurable: true,
      get: function () { return storage; }
    });
  } catch (error) { /* leave the browser's own storage in place */ }
})();
""".replace("__STORAGE__", STORAGE_PATH)

_ERRORS_PART = """\
(function () {
  var endpoint = "__ERRORS__";
  var PER_SECOND = 20, FLUSH_MS = 250, MAX_QUEUE = 100, MAX_BATCH_CHARS = 48000;
  var MAX_MESSAGE = 2000, MAX_STACK = 4000;
  var post = typeof window.fetch === "function" ? window.fetch.bind(window) : null;
  var beacon = navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : null;
  var queue = [], timer = null, windowStart = 0, sentInWindow = 0;

  function cut(value, limit) {
    var text = value === undefined || value === null ? "" : String(value);
    return text.length > limit ? text.slice(0, limit) : text;
  }
  function describe(value) {
    if (value instanceof Error) return value.name + ": " + value.message;
    if (typeof value === "string") return value;
    try {
      var json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch (error) { /* a cycle: fall back to String */ }
    return String(value);
  }
  function format(args) {
    var parts = [], next = 0;
    if (typeof args[0] === "string" && args.length > 1 && /%[sdifoOc]/.test(args[0])) {
      next = 1;
      parts.push(args[0].replace(/%([sdifoOc%])/g, function (all, kind) {
        if (kind === "%") return "%";
        if (next >= args.length) return all;
        var value = args[next++];
        return kind === "c" ? "" : describe(value);
      }));
    }
    for (; next < args.length; next++) parts.push(describe(args[next]));
    return parts.join(" ");
  }
  function stackOf(values) {
    for (var i = 0; i < values.length; i++) {
      if (values[i] instanceof Error && values[i].stack) return String(values[i].stack);
    }
    return "";
  }
  function send(batch) {
    var body = JSON.stringify(batch);
    try {
      if (post) {
        post(endpoint, { method: "POST", body: body, keepalive: true,
          headers: { "Content-Type": "application/json" } }).catch(function () {});
      } else if (beacon) {
        beacon(endpoint, body);
      }
    } catch (error) { /* reporting must never break the page */ }
  }
  function flush() {
    timer = null;
    var now = Date.now();
    if (now - windowStart >= 1000) { windowStart = now; sentInWindow = 0; }
    var batch = [], chars = 0;
    while (queue.length && sentInWindow < PER_SECOND) {
      var size = JSON.stringify(queue[0].report).length;
      if (batch.length && chars + size > MAX_BATCH_CHARS) break;
      batch.push(queue.shift().report);
      chars += size;
      sentInWindow++;
    }
    if (batch.length) send(batch);
    if (queue.length) {
      timer = setTimeout(flush, sentInWindow >= PER_SECOND ? 1000 - (now - windowStart) : 0);
    }
  }
  function report(fields) {
    try {
      fields.message = cut(fields.message, MAX_MESSAGE);
      fields.stack = cut(fields.stack, MAX_STACK);
      fields.page = cut(location.href, 500);
      if (!fields.message) return;
      var key = fields.kind + "\\n" + fields.message + "\\n" + fields.stack;
      var last = queue[queue.length - 1];
      if (last && last.key === key) { last.report.count++; return; }
      if (queue.length >= MAX_QUEUE) return;
      fields.count = 1;
      queue.push({ key: key, report: fields });
      if (timer === null) timer = setTimeout(flush, FLUSH_MS);
    } catch (error) { /* reporting must never break the page */ }
  }

  window.addEventListener("error", function (event) {
    var error = event.error;
    report({ kind: "error", message: event.message || describe(error),
      file: cut(event.filename, 1000), line: event.lineno || null,
      column: event.colno || null, stack: error && error.stack ? error.stack : "" });
  });
  window.addEventListener("error", function (event) {
    var target = event.target;
    if (!target || target === window || target.nodeName !== "SCRIPT") return;
    report({ kind: "error", stack: "", message: "The page could not load the script " +
      (target.src || "(inline)") + " (or a module it imports)" });
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    report({ kind: "rejection", message: "Uncaught (in promise) " + describe(reason),
      stack: reason && reason.stack ? reason.stack : "" });
  });
  var consoleError = console.error;
  console.error = function () {
    var args = Array.prototype.slice.call(arguments);
    try {
      return consoleError.apply(this, arguments);
    } finally {
      report({ kind: "console", message: format(args), stack: stackOf(args) });
    }
  };

  function readOverlay(overlay) {
    var root = overlay.shadowRoot;
    if (!root) return;
    function text(selector) {
      var element = root.querySelector(selector);
      return element ? element.textContent : "";
    }
    report({ kind: "overlay", message: text(".message-body"), file: text(".file"),
      stack: text(".frame") });
  }
  function watch(parent, onAdded) {
    new MutationObserver(function (changes) {
      for (var i = 0; i < changes.length; i++) {
        var added = changes[i].addedNodes;
        for (var j = 0; j < added.length; j++) onAdded(added[j]);
      }
    }).observe(parent, { childList: true });
  }
  function watchBody(body) {
    var overlays = body.querySelectorAll("vite-error-overlay");
    for (var i = 0; i < overlays.length; i++) readOverlay(overlays[i]);
    watch(body, function (node) {
      if (node.nodeName === "VITE-ERROR-OVERLAY") readOverlay(node);
    });
  }
  if (typeof MutationObserver === "function") {
    if (document.body) watchBody(document.body);
    else watch(document.documentElement, function (node) {
      if (node.nodeName === "BODY") watchBody(node);
    });
  }
})();
""".replace("__ERRORS__", ERRORS_PATH)


def preview_script(*, storage: bool = True, errors: bool = True) -> str:
    """The script: the storage part first (the app's scripts may read storage at once),
    then the error reports."""
    return (_STORAGE_PART if storage else "") + (_ERRORS_PART if errors else "")


PREVIEW_SCRIPT = preview_script()
"""The whole script (both parts)."""

_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_TAG = f'<script src="{SCRIPT_PATH}"></script>'.encode()


def inject_script(html: bytes) -> bytes:
    """``html`` with the preview script as the first element of ``<head>`` (or first of all)."""
    match = _HEAD.search(html)
    at = match.end() if match else 0
    return html[:at] + _TAG + html[at:]
