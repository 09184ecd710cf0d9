"""The page at / in a real headless Chromium (Debian's chromium, driven by Playwright for Python).

Skips, saying why, where chromium or Playwright is absent. TAGLENS_SCREENSHOT=PATH saves the page, once the tags
are chosen, to PATH (docs/serve.png was taken so); otherwise into the test's temporary folder.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("TAGLENS_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CAPTION = "Slow Sunday morning, first cup of the day"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed "
                                                                 "(pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set TAGLENS_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 960, "height": 1000}, base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    requests_out: list[str] = []
    context.on("request", lambda r: requests_out.append(r.url))
    pg = context.new_page()
    pg.requests_out = requests_out
    yield pg
    context.close()


def _suggested(page, action) -> float:
    """Run ``action`` and wait for the answer to the request it sends; returns seconds from the upload's end
    (the request sent) to the chips being on the page."""
    with page.expect_request(lambda r: r.url.endswith("/v1/suggest")) as sent:
        action()
    t0 = time.perf_counter()
    response = sent.value.response()
    assert response is not None and response.status == 200
    page.wait_for_function("document.querySelectorAll('#chips .chip').length > 0 && "
                           "/ in \\d+ ms/.test(document.getElementById('status').textContent)")
    return time.perf_counter() - t0


def test_upload_caption_choose_two_and_copy(page, server, photo, tmp_path):
    page.goto("/")
    page.fill("#text", CAPTION)
    shown_after = _suggested(page, lambda: page.set_input_files("#files", str(photo)))
    print(f"\nsuggestions on the page {1000 * shown_after:.0f} ms after the upload was sent")
    chips = page.locator("#chips .chip")
    # the page shows what the API answers (k 15, the weak ones left out, as `suggest --json`), and says how many went
    import httpx

    answer = httpx.post(f"{server.url}/v1/suggest", files=[("files", (photo.name, photo.read_bytes(), "image/jpeg"))],
                        data={"text": CAPTION, "k": "15"}, timeout=120).json()
    assert [chips.nth(i).get_attribute("data-tag") for i in range(chips.count())] == \
        [s["tag"] for s in answer["suggestions"]] and chips.count() >= 5
    assert ("with weak evidence left out" in page.text_content("#status")) == bool(answer.get("left_out_weak"))
    assert page.locator("#thumbs img").get_attribute("alt") == "coffee.jpg"
    first, second = chips.nth(0), chips.nth(1)
    tags = [first.get_attribute("data-tag"), second.get_attribute("data-tag")]
    assert all(tags) and first.get_attribute("title")  # evidence on hover
    first.click()
    second.click()
    assert first.get_attribute("aria-pressed") == "true" and second.get_attribute("aria-pressed") == "true"
    assert page.text_content("#counter") == "2 / 30"
    assert page.text_content("#chosen") == f"#{tags[0]} #{tags[1]}"
    page.mouse.move(0, 0)
    shot = Path(os.environ.get("TAGLENS_SCREENSHOT") or tmp_path / "serve.png")
    page.screenshot(path=str(shot), full_page=True)
    page.click("#copy")
    page.wait_for_function("document.getElementById('copied').textContent.startsWith('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == f"#{tags[0]} #{tags[1]}"
    second.click()  # a second click takes it out again
    assert second.get_attribute("aria-pressed") == "false" and page.text_content("#counter") == "1 / 30"
    elsewhere = [u for u in page.requests_out if not u.startswith((server.url, "blob:", "data:"))]
    assert elsewhere == []  # nothing from a CDN


def test_keyboard_only(page, photo):
    choosers = []
    # registered before the page loads, so that Playwright intercepts every chooser (expect_file_chooser after the
    # page loaded missed one now and then: the key press could come before interception was on)
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.goto("/")
    page.keyboard.press("Tab")  # the file picker is the first stop
    assert page.evaluate("document.activeElement.id") == "files"
    page.keyboard.press("Enter")
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "Enter on the file picker opened no file chooser"
    page.keyboard.press("Tab")
    page.keyboard.type("Coffee before the market #sunday")
    _suggested(page, lambda: choosers[0].set_files(str(photo)))
    # from the caption: Tab through the tags box, the Suggest button, to the first chip
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('chip')"):
            break
    tag = page.evaluate("document.activeElement.dataset.tag")
    assert tag
    page.keyboard.press("Space")
    assert page.get_attribute(f'.chip[data-tag="{tag}"]', "aria-pressed") == "true"
    assert page.text_content("#counter") == "2 / 30"  # #sunday in the caption counts toward the cap
    while page.evaluate("document.activeElement.id") != "copy":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('copied').textContent.startsWith('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == f"#{tag}"


def test_a_bad_file_gets_a_clear_message(page, tmp_path):
    page.goto("/")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    page.set_input_files("#files", str(notes))
    assert "notes.txt: not a photo or video" in page.text_content("#message")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    page.set_input_files("#files", str(broken))
    page.wait_for_function("document.getElementById('message').textContent.includes('broken.jpg')")
    assert page.text_content("#message") == "broken.jpg: not an image (unrecognised format)"
    assert page.locator("#chips .chip").count() == 0


def test_api_docs_render_offline(page, server):
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=60_000)
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert {"/v1/suggest", "/v1/suggest/batch", "/healthz"} <= {p.strip().replace("\u200b", "") for p in paths}
    elsewhere = [u for u in page.requests_out if not u.startswith((server.url, "blob:", "data:"))]
    assert elsewhere == []
