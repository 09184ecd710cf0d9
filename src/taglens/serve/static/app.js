// The taglens page: files and caption in, suggestions out as chips; chosen tags are copied to the clipboard.
// Plain JavaScript served by taglens itself (no CDN, no build step), so the page works offline.
"use strict";
(function () {
  const CAP = 30; // Instagram's limit of hashtags in a post
  const $ = (id) => document.getElementById(id);
  const form = $("post"), drop = $("drop"), input = $("files"), thumbs = $("thumbs");
  const text = $("text"), tags = $("tags"), message = $("message"), status = $("status");
  const chipsBox = $("chips"), chosenBox = $("chosen"), counter = $("counter");
  const copyButton = $("copy"), copied = $("copied"), keyRow = $("key-row"), keyInput = $("key");

  let files = [];          // File objects of the post, in order
  let suggestions = [];    // [{tag, score, reason, source}] of the latest answer
  let chosen = [];         // tags the user picked, in the order picked
  let seq = 0, inflight = null, timer = null;

  keyInput.value = sessionStorage.getItem("taglens-key") || "";
  if (keyInput.value) keyRow.hidden = false;

  function say(text) { message.textContent = text || ""; }

  function existingTags() {
    const seen = new Set();
    for (const m of tags.value.matchAll(/[\p{L}\p{N}][\p{L}\p{N}\p{M}_]*/gu)) seen.add(m[0].toLowerCase());
    for (const m of text.value.matchAll(/#([\p{L}\p{N}][\p{L}\p{N}\p{M}_]*)/gu)) seen.add(m[1].toLowerCase());
    return [...seen].filter((t) => !/^\d+$/.test(t));
  }

  // -- files --------------------------------------------------------------------------------------------------
  function addFiles(list) {
    const bad = [];
    for (const f of list) {
      if (f.type && !f.type.startsWith("image/") && !f.type.startsWith("video/")) { bad.push(f.name); continue; }
      files.push(f);
    }
    if (bad.length) say(`${bad.join(", ")}: not a photo or video, left out`);
    else say("");
    renderThumbs();
    suggestSoon(0);
  }

  function renderThumbs() {
    thumbs.replaceChildren();
    files.forEach((f, i) => {
      const li = document.createElement("li");
      const url = URL.createObjectURL(f);
      const media = document.createElement(f.type.startsWith("video/") ? "video" : "img");
      media.src = url;
      if (media.tagName === "IMG") media.alt = f.name; else media.muted = true;
      media.addEventListener(media.tagName === "IMG" ? "load" : "loadeddata", () => URL.revokeObjectURL(url));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "\u00d7";
      remove.setAttribute("aria-label", `Remove ${f.name}`);
      remove.addEventListener("click", () => { files.splice(i, 1); renderThumbs(); suggestSoon(0); input.focus(); });
      const name = document.createElement("span");
      name.textContent = f.name;
      li.append(media, remove, name);
      thumbs.append(li);
    });
  }

  input.addEventListener("change", () => { addFiles([...input.files]); input.value = ""; });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  }
  drop.addEventListener("drop", (e) => addFiles([...(e.dataTransfer ? e.dataTransfer.files : [])]));

  // -- asking the server --------------------------------------------------------------------------------------
  function suggestSoon(delay) {
    clearTimeout(timer);
    timer = setTimeout(suggestNow, delay);
  }

  async function suggestNow() {
    clearTimeout(timer);
    if (!files.length && !text.value.trim() && !existingTags().length) {
      suggestions = []; renderChips(); status.textContent = ""; return;
    }
    const body = new FormData();
    for (const f of files) body.append("files", f, f.name);
    body.append("text", text.value);
    body.append("tags", tags.value);
    body.append("k", "15");
    const headers = {};
    if (keyInput.value) headers["X-API-Key"] = keyInput.value;
    if (inflight) inflight.abort();
    const mine = ++seq, controller = new AbortController();
    inflight = controller;
    status.textContent = "thinking\u2026";
    let response, answer;
    try {
      response = await fetch("/v1/suggest", { method: "POST", body, headers, signal: controller.signal });
      answer = await response.json();
    } catch (err) {
      if (err.name === "AbortError") return;
      if (mine === seq) { status.textContent = ""; say(`The server did not answer (${err.message}).`); }
      return;
    }
    if (mine !== seq) return; // a newer request is on its way
    inflight = null;
    if (!response.ok) {
      status.textContent = "";
      if (response.status === 401) { keyRow.hidden = false; keyInput.focus(); }
      say(answer && answer.error ? answer.error : `The server answered ${response.status}.`);
      return;
    }
    say("");
    suggestions = answer.suggestions || [];
    const weak = answer.left_out_weak ? ` (${answer.left_out_weak} with weak evidence left out)` : "";
    status.textContent = `${suggestions.length} in ${Math.round(answer.timings.total_ms)} ms${weak}`;
    renderChips();
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); suggestNow(); });
  text.addEventListener("input", () => { renderChosen(); suggestSoon(500); });
  tags.addEventListener("input", () => { renderChosen(); suggestSoon(500); });
  keyInput.addEventListener("change", () => { sessionStorage.setItem("taglens-key", keyInput.value); suggestNow(); });

  // -- chips and the chosen tags ------------------------------------------------------------------------------
  function renderChips() {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.tag : undefined;
    chipsBox.replaceChildren();
    for (const s of suggestions) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.dataset.tag = s.tag;
      chip.setAttribute("aria-pressed", String(chosen.includes(s.tag)));
      chip.title = `${s.reason || s.source} (score ${s.score.toFixed(3)})`;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = s.score.toFixed(2);
      score.setAttribute("aria-label", `score ${s.score.toFixed(2)}`);
      chip.append(`#${s.tag}`, score);
      chip.addEventListener("click", () => toggle(s.tag, chip));
      chipsBox.append(chip);
      if (s.tag === focused) chip.focus();
    }
    renderChosen();
  }

  function toggle(tag, chip) {
    const at = chosen.indexOf(tag);
    if (at >= 0) chosen.splice(at, 1);
    else if (existingTags().length + chosen.length >= CAP) {
      say(`Instagram allows ${CAP} hashtags a post: remove one before adding #${tag}.`);
      return;
    } else { chosen.push(tag); say(""); }
    chip.setAttribute("aria-pressed", String(at < 0));
    renderChosen();
  }

  function renderChosen() {
    const total = existingTags().length + chosen.length;
    counter.textContent = `${total} / ${CAP}`;
    counter.classList.toggle("full", total >= CAP);
    counter.title = "hashtags in the post (yours and the chosen ones), of Instagram's 30";
    chosenBox.textContent = chosen.map((t) => `#${t}`).join(" ");
    copyButton.disabled = chosen.length === 0;
    copied.textContent = "";
  }

  copyButton.addEventListener("click", async () => {
    const value = chosen.map((t) => `#${t}`).join(" ");
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(value); ok = true; } catch (err) { ok = false; }
    }
    if (!ok) { // plain http from another machine is not a secure context: the older way
      const area = document.createElement("textarea");
      area.value = value; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
      document.body.append(area); area.select();
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      area.remove(); copyButton.focus();
    }
    copied.textContent = ok ? `Copied ${chosen.length} tag${chosen.length === 1 ? "" : "s"}.` : "";
    if (!ok) say("Copying is not allowed here: select the tags above and copy them by hand.");
  });

  renderChosen();
})();
