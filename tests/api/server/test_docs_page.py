"""The interactive docs work without internet: every script and style sheet the page
names is served by the API itself, from the installed package."""

from __future__ import annotations

import re

from tests.api.conftest import Api


def _referenced(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", page) + re.findall(
        r"""url:\\s*['"]([^'"]+)['"]""", page
    )


def test_the_docs_page_names_only_local_urls(api: Api) -> None:
    response = api.client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.text
    assert "http://" not in page and "https://" not in page
    assert "cdn" not in page.lower()
    urls = _referenced(page)
    assert any(url.endswith(".js") for url in urls), urls
    assert any(url.endswith(".css") for url in urls), urls
    assert all(url.startswith("/api/v1/") for url in urls), urls


def test_the_docs_page_scripts_and_styles_are_served_with_their_types(api: Api) -> None:
    page = api.client.get("/api/v1/docs").text
    served = {url: api.client.get(url) for url in _referenced(page)}
    for url, response in served.items():
        assert response.status_code == 200, url
        if url.endswith(".js"):
            assert "javascript" in response.headers["content-type"], url
            assert "SwaggerUIBundle" in response.text
        elif url.endswith(".css"):
            assert response.headers["content-type"].startswith("text/css"), url
        elif url.endswith("openapi.json"):
            assert response.json()["openapi"].startswith("3.")


def test_there_is_no_redoc_page_to_load_from_a_cdn(api: Api) -> None:
    assert api.client.get("/api/v1/redoc").status_code == 404
    assert api.client.get("/redoc").status_code == 404
