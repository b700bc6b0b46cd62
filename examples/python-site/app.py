"""A dynamic site that puts its comments in its pages' HTML: each request for an article
fetches the thread that the comment server renders (GET /api/v1/thread.html) and puts it
under the article, as a WordPress, Django or Rails template would. Python's standard
library only.

    COMMENTS=http://127.0.0.1:8080 PORT=8082 python3 examples/python-site/app.py

then open http://127.0.0.1:8082/article. A test runs this file.
"""

import html
import os
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMENTS = os.environ.get("COMMENTS", "http://127.0.0.1:8080")
PORT = int(os.environ.get("PORT", "8082"))


def thread(page, lang, article_url):
    """The comment server's HTML for `page`, or a note when it cannot be reached."""
    query = urllib.parse.urlencode({"page": page, "lang": lang})
    request = urllib.request.Request(
        f"{COMMENTS}/api/v1/thread.html?{query}",
        # The article's address: where the form sends its reader back.
        headers={"Referer": article_url},
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return "<p>The comments are unavailable right now.</p>"


class Site(BaseHTTPRequestHandler):
    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path != "/article":
            self.send_error(404)
            return
        host = self.headers.get("Host", f"127.0.0.1:{PORT}")
        title = "Un article"
        body = (
            f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body>"
            f"<article><h1>{html.escape(title)}</h1><p>Le texte.</p></article>"
            # The comment server's HTML is escaped already, by its templates.
            + thread(path, "fr", f"http://{host}{path}")
            + "</body></html>"
        ).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", PORT), Site).serve_forever()
