"use strict";
// The review page: a gallery of files (flagged first) and a viewer that edits the plan on the
// server. Every edit is one request; the answer is the saved plan, which the page redraws.
(function () {
  const $ = (id) => document.getElementById(id);
  let current = null; // {file, plan}
  let zoom = 1;
  let drag = null;

  async function api(path, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(opts.body); }
    const res = await fetch(path, opts);
    const data = res.headers.get("content-type", "").includes("json") ? await res.json() : null;
    if (!res.ok) { throw new Error((data && data.error) || res.statusText); }
    return data;
  }
  function say(text) { $("status").textContent = text; }
  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }

  async function showGallery() {
    current = null;
    $("viewer").hidden = true; $("gallery").hidden = false;
    history.replaceState(null, "", "/");
    const data = await api("/api/files");
    const g = $("gallery"); g.replaceChildren();
    for (const f of data.files) {
      const card = el("div", "card" + (f.flags ? " flagged" : ""));
      card.dataset.id = f.id;
      if (f.kind === "image") { const img = el("img"); img.src = "/api/files/" + f.id + "/media"; img.alt = ""; card.append(img); }
      else { card.append(el("div", "thumb", "video")); }
      const meta = el("div", "meta");
      meta.append(el("span", "", f.name + " "));
      if (f.flags) meta.append(el("span", "badge", f.flags + " flag" + (f.flags > 1 ? "s" : "")));
      meta.append(el("div", "", f.planned ? f.boxes + " boxes" + (f.rendered ? ", rendered" : "") : "not planned yet"));
      card.append(meta);
      card.addEventListener("click", () => openFile(f.id));
      g.append(card);
    }
    say(data.files.length + " files");
  }

  async function openFile(id) {
    say("opening (a plan is made on first open)...");
    const data = await api("/api/files/" + id + "/plan");
    current = data;
    $("gallery").hidden = true; $("viewer").hidden = false;
    $("title").textContent = data.file.name;
    $("result").textContent = "";
    const stage = $("stage"); stage.replaceChildren();
    const video = data.plan.input.kind === "video";
    const media = document.createElement(video ? "video" : "img");
    media.id = "media";
    media.src = "/api/files/" + id + "/media";
    if (video) { media.controls = true; media.addEventListener("timeupdate", draw); media.preload = "auto"; }
    stage.append(media);
    $("video-controls").hidden = !video;
    $("show-output").checked = false;
    $("show-output").disabled = !data.file.rendered;
    if (video) { $("r-end").value = Math.min(1, data.plan.input.duration || 1); }
    say("");
    draw();
  }

  function frameNow() {
    const p = current.plan;
    if (p.input.kind !== "video") return { index: 0, time: 0 };
    const t = $("media").currentTime || 0;
    return { index: Math.round(t * (p.input.fps || 25)), time: t };
  }
  function regionBox(r, at) {
    if (at < r.start || at > r.end || !r.keyframes.length) return null;
    const k = r.keyframes;
    if (at <= k[0].at) return k[0].box;
    for (let i = 1; i < k.length; i++) {
      if (at <= k[i].at) { const w = (at - k[i - 1].at) / (k[i].at - k[i - 1].at); return k[i - 1].box.map((v, j) => v + w * (k[i].box[j] - v)); }
    }
    return k[k.length - 1].box;
  }
  function place(div, box) {
    const p = current.plan.input;
    div.style.left = (100 * box[0] / p.width) + "%"; div.style.top = (100 * box[1] / p.height) + "%";
    div.style.width = (100 * (box[2] - box[0]) / p.width) + "%"; div.style.height = (100 * (box[3] - box[1]) / p.height) + "%";
  }

  function draw() {
    if (!current) return;
    const p = current.plan, stage = $("stage");
    stage.style.width = (p.input.width * zoom) + "px"; stage.style.height = (p.input.height * zoom) + "px";
    const media = $("media");
    media.style.width = "100%"; media.style.height = "100%";
    stage.querySelectorAll(".box, .region").forEach((e) => e.remove());
    stage.classList.toggle("hide-boxes", !$("show-boxes").checked);
    const now = frameNow();
    const fr = p.frames.find((f) => f.index === now.index);
    if (fr) fr.boxes.forEach((b, k) => {
      const d = el("div", "box" + (b.kind ? " kind-" + b.kind : "") + (b.rejected ? " rejected" : ""));
      d.title = (b.kind || "face") + ", " + b.origin + " score " + b.score.toFixed(2) + (b.rejected ? " - rejected by " + b.by + " at " + b.at + " (click to restore)" : " (click to reject)");
      d.dataset.box = k; place(d, b.box);
      d.addEventListener("mousedown", (e) => e.stopPropagation());
      d.addEventListener("click", (e) => { e.stopPropagation(); decide(now.index, k, !b.rejected); });
      stage.append(d);
    });
    p.regions.forEach((r, i) => {
      const at = r.unit === "frame" ? now.index : now.time;
      const box = regionBox(r, at);
      if (!box) return;
      const d = el("div", "region"); d.dataset.region = i; place(d, box);
      const h = el("div", "handle"); d.append(h);
      d.addEventListener("mousedown", (e) => { e.stopPropagation(); e.preventDefault(); drag = { mode: e.target === h ? "resize" : "move", i, box: box.slice(), start: pt(e), div: d }; });
      stage.append(d);
    });
    const flags = $("flags"); flags.replaceChildren();
    p.flags.forEach((f) => {
      const li = el("li", "", (p.input.kind === "video" ? "t=" + (f.time || 0).toFixed(2) + "s " : "") + f.kind + ": " + f.message);
      li.addEventListener("click", () => { if (p.input.kind === "video") seek(f.time || 0); });
      flags.append(li);
      if (f.box && f.frame === now.index) { const d = el("div", "box flag"); place(d, f.box); stage.insertBefore(d, media.nextSibling); }
    });
    drawTimeline();
  }

  function drawTimeline() {
    const p = current.plan;
    if (p.input.kind !== "video") return;
    const c = $("timeline"), g = c.getContext("2d");
    const n = p.input.frame_count || 1, W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    const tracks = {};
    for (const f of p.frames) for (const b of f.boxes) {
      const t = tracks[b.track] || (tracks[b.track] = { first: f.index, last: f.index });
      t.first = Math.min(t.first, f.index); t.last = Math.max(t.last, f.index);
    }
    const ids = Object.keys(tracks); const row = Math.max(3, Math.min(10, (H - 20) / Math.max(1, ids.length)));
    ids.forEach((id, r) => { const t = tracks[id]; g.fillStyle = "#30c060"; g.fillRect(W * t.first / n, 10 + r * row, Math.max(2, W * (t.last - t.first + 1) / n), row - 1); });
    g.fillStyle = "#4090ff";
    for (const r of p.regions) { const fps = p.input.fps || 25; const s = r.unit === "frame" ? r.start : r.start * fps, e = r.unit === "frame" ? r.end : r.end * fps; g.fillRect(W * s / n, H - 8, Math.max(2, W * (e - s) / n), 6); }
    g.fillStyle = "#e0a030";
    for (const f of p.flags) g.fillRect(W * f.frame / n - 1, 0, 3, 10);
    g.fillStyle = "#fff"; g.fillRect(W * frameNow().index / n, 0, 1, H);
  }
  function seek(t) { const m = $("media"); m.currentTime = t; m.pause(); }

  function pt(e) {
    const r = $("stage").getBoundingClientRect(), p = current.plan.input;
    return [Math.max(0, Math.min(p.width, (e.clientX - r.left) / r.width * p.width)), Math.max(0, Math.min(p.height, (e.clientY - r.top) / r.height * p.height))];
  }
  function regionBody(box) {
    const b = box.map((v) => Math.round(v * 100) / 100);
    if (current.plan.input.kind !== "video") return { box: b };
    const t = frameNow().time;
    let s = parseFloat($("r-start").value), e = parseFloat($("r-end").value);
    if (!(s <= t)) s = t; if (!(e >= t)) e = t;
    return { box: b, start: s, end: Math.min(e, current.plan.input.duration || e), at: t };
  }
  // A moved or resized region: the box becomes its keyframe at this moment; its span and its other
  // keyframes stay as they are (the start/end fields are for new regions).
  function movedBody(box) {
    const b = box.map((v) => Math.round(v * 100) / 100);
    if (current.plan.input.kind !== "video") return { box: b };
    const now = frameNow();
    return { box: b, at: now.time, frame: now.index };
  }
  async function save(promise, what) {
    try { current = await promise; say(what + " saved to the plan"); } catch (err) { say("refused: " + err.message); }
    draw();
  }
  function decide(frame, box, rejected) {
    save(api("/api/files/" + current.file.id + "/boxes", { method: "POST", body: { frame, box, rejected, by: "reviewer" } }), rejected ? "rejection" : "restore");
  }

  function setup() {
    const stage = $("stage");
    stage.addEventListener("mousedown", (e) => {
      if (!current || e.button !== 0) return;
      e.preventDefault();
      const d = el("div", "region"); d.id = "drawing"; stage.append(d);
      drag = { mode: "draw", start: pt(e), div: d };
    });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      const q = pt(e), s = drag.start;
      if (drag.mode === "draw") drag.box = [Math.min(s[0], q[0]), Math.min(s[1], q[1]), Math.max(s[0], q[0]), Math.max(s[1], q[1])];
      else if (drag.mode === "move") { const dx = q[0] - s[0], dy = q[1] - s[1], b = drag.box; drag.moved = [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]; }
      else { const b = drag.box; drag.moved = [b[0], b[1], Math.max(b[0] + 2, q[0]), Math.max(b[1] + 2, q[1])]; }
      place(drag.div, drag.mode === "draw" ? drag.box : drag.moved);
    });
    window.addEventListener("mouseup", () => {
      if (!drag) return;
      const d = drag; drag = null;
      const id = current.file.id;
      if (d.mode === "draw") {
        d.div.remove();
        if (!d.box || d.box[2] - d.box[0] < 2 || d.box[3] - d.box[1] < 2) return;
        save(api("/api/files/" + id + "/regions", { method: "POST", body: regionBody(d.box) }), "region");
      } else if (d.moved) {
        const p = current.plan.input, m = d.moved;
        const w = m[2] - m[0], h = m[3] - m[1];
        const x1 = Math.max(0, Math.min(p.width - w, m[0])), y1 = Math.max(0, Math.min(p.height - h, m[1]));
        const box = d.mode === "move" ? [x1, y1, x1 + w, y1 + h] : [m[0], m[1], Math.min(p.width, m[2]), Math.min(p.height, m[3])];
        save(api("/api/files/" + id + "/regions/" + d.i, { method: "PUT", body: movedBody(box) }), "region");
      }
    });
    $("back").addEventListener("click", showGallery);
    $("show-boxes").addEventListener("change", draw);
    $("zoom").addEventListener("input", (e) => { zoom = e.target.value / 100; draw(); });
    $("show-output").addEventListener("change", (e) => {
      $("media").src = "/api/files/" + current.file.id + (e.target.checked ? "/output?v=" + Date.now() : "/media");
    });
    $("timeline").addEventListener("click", (e) => {
      const r = e.target.getBoundingClientRect(), p = current.plan.input;
      seek((e.clientX - r.left) / r.width * (p.duration || 0));
    });
    $("next-flag").addEventListener("click", () => {
      const t = frameNow().time;
      const next = current.plan.flags.map((f) => f.time || 0).filter((x) => x > t + 1e-3).sort((a, b) => a - b)[0];
      if (next !== undefined) seek(next); else say("no flag after this point");
    });
    $("render").addEventListener("click", render);
  }

  async function render() {
    const id = current.file.id;
    const bar = $("progress"); bar.hidden = false; bar.value = 0; $("result").textContent = "";
    try { await api("/api/files/" + id + "/render", { method: "POST" }); } catch (err) { say("render refused: " + err.message); bar.hidden = true; return; }
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 300));
      const job = await api("/api/files/" + id + "/render");
      bar.value = job.progress;
      if (job.state === "running") continue;
      bar.hidden = true;
      if (job.state === "done") {
        current.file.rendered = true;
        $("show-output").disabled = false; $("show-output").checked = true;
        $("media").src = "/api/files/" + id + "/output?v=" + Date.now();
        $("result").textContent = "rendered: " + job.output + " (" + job.message + ")";
        $("result").dataset.state = "done";
      } else { $("result").textContent = "render failed: " + job.message; $("result").dataset.state = "failed"; }
      return;
    }
  }

  document.addEventListener("DOMContentLoaded", () => { setup(); showGallery().catch((e) => say(e.message)); });
})();
