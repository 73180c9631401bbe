"""The wall's own files: logo, background, custom CSS and the QR code, served by the app."""

from __future__ import annotations

from pathlib import Path

from tests.factories import make_settings, running

LOGO = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><circle r='5'/></svg>"


async def test_the_files_of_a_wall_come_from_the_app(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(LOGO, encoding="utf-8")
    (tmp_path / "wall.css").write_text(".card { border-radius: 0 }", encoding="utf-8")
    walls = [{"slug": "main", "logo": str(tmp_path / "logo.svg"),
              "custom_css": str(tmp_path / "wall.css"),
              "qr": {"url": "https://example.com/mitmachen", "text": "Jetzt mitmachen"}},
             {"slug": "plain"}]
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", walls=walls)
    async with running(settings) as server, server.client() as browser:
        page = await browser.get("/wall/main")
        assert page.status_code == 200
        for path in ("/wall/main/logo?v=", "/wall/main/custom.css?v=", "/wall/main/qr.svg?v="):
            assert path in page.text

        logo = await browser.get("/wall/main/logo")
        assert logo.status_code == 200 and logo.text == LOGO
        assert logo.headers["content-type"] == "image/svg+xml"
        # An SVG opened on its own must not run scripts.
        assert "default-src 'none'" in logo.headers["content-security-policy"]
        css = await browser.get("/wall/main/custom.css")
        assert css.headers["content-type"].startswith("text/css")
        assert css.text == ".card { border-radius: 0 }"
        qr = await browser.get("/wall/main/qr.svg")
        assert qr.headers["content-type"] == "image/svg+xml"
        assert qr.text.startswith("<svg") and "<path" in qr.text

        for path in ("/wall/plain/logo", "/wall/plain/custom.css", "/wall/plain/qr.svg",
                     "/wall/plain/background", "/wall/nope/logo"):
            assert (await browser.get(path)).status_code == 404, path
