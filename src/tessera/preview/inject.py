"""The script Tessera adds to every HTML page a preview serves.

Browsers treat a preview (``{port}-{sandbox}.localhost``) embedded in Tessera's page as a
third-party frame, and current Chromium denies such frames ``localStorage`` outright
(``SecurityError``), which breaks any generated app that keeps state there. The script
gives the page a ``localStorage`` kept by Tessera for the sandbox instead: loaded once,
synchronously, before the app's own scripts run, and saved back on every change. The
embedded preview and the same preview opened in a new tab thus share one storage, and it
survives reloads.
"""

from __future__ import annotations

import re

SCRIPT_PATH = "/__tessera/preview.js"
STORAGE_PATH = "/__tessera/storage"

PREVIEW_SCRIPT = """\
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

_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_TAG = f'<script src="{SCRIPT_PATH}"></script>'.encode()


def inject_script(html: bytes) -> bytes:
    """``html`` with the preview script as the first element of ``<head>`` (or first of all)."""
    match = _HEAD.search(html)
    at = match.end() if match else 0
    return html[:at] + _TAG + html[at:]
