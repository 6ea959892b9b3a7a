"""The page a browser gets when a preview cannot be reached."""

from __future__ import annotations

from starlette.types import Send

UNAVAILABLE_HTML = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Preview not running</title>
<meta http-equiv="refresh" content="2">
<style>
body{font-family:system-ui,sans-serif;display:grid;place-content:center;min-height:100vh;
margin:0;color:#334155;background:#f8fafc;text-align:center}
h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:0;color:#64748b}
</style></head>
<body><main><h1>This preview is not running</h1>
<p>This page tries again every 2 seconds. If it stays here, open the project in Tessera
and deploy it again.</p></main></body>
</html>
"""


async def send_unavailable(send: Send) -> None:
    """Answers 502 with a small page that retries by itself every 2 s: a server caught
    restarting (a Flask reload, a sandbox being replaced) is back a moment later."""
    await send(
        {
            "type": "http.response.start",
            "status": 502,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(UNAVAILABLE_HTML)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": UNAVAILABLE_HTML, "more_body": False})
