"use strict";
// The timeline: every lane drawn on one canvas, a pixel column at a time. Where several
// bars share a column, the kind that matters most wins its colour (a failure among passes),
// and a bar narrower than a pixel still gets one: no test is ever invisible.
(() => {
  const source = document.getElementById("tl-data");
  const canvas = document.getElementById("tl-canvas");
  if (!source || !canvas) return;
  const data = JSON.parse(source.textContent);
  const tip = document.getElementById("tl-tip");
  const range = document.getElementById("tl-range");
  const ctx = canvas.getContext("2d");
  const LEFT = 230, ROW = 18, BAR_TOP = 2, BAR = 14, HEAD = 22, AXIS = 22;
  const BACKGROUND = "#f6f8fa";
  const colours = data.kinds.map((kind) => kind[1]);
  const firstTest = data.kinds.findIndex((kind) => kind[0] === "passed");
  const span = Math.max(0.001, ...data.groups.map((group) => group.span));
  const rows = [];
  let height = AXIS;
  for (const group of data.groups) {
    if (group.name) {
      rows.push({ y: height, head: group.name });
      height += HEAD;
    }
    for (const lane of group.lanes) {
      rows.push({ y: height, lane, label: null });
      height += ROW;
    }
  }
  height += 4;
  let t0 = 0, t1 = span, width = 0;

  const plotWidth = () => Math.max(1, width - LEFT);
  const scale = () => plotWidth() / (t1 - t0);

  // The pixel columns [x0, x1) a bar covers in the current view: at least one, or null.
  function columns(bar, W, k) {
    const start = bar[0], end = bar[0] + bar[1];
    if (end < t0 || start > t1) return null;
    const x0 = Math.min(W - 1, Math.max(0, Math.floor((start - t0) * k)));
    const x1 = Math.max(x0 + 1, Math.min(W, Math.ceil((end - t0) * k)));
    return [x0, x1];
  }

  function paintLane(lane, y, W, k) {
    const rank = new Int8Array(W).fill(-1);
    const edges = [];
    for (const bar of lane.bars) {
      const c = columns(bar, W, k);
      if (c === null) continue;
      for (let x = c[0]; x < c[1]; x++) if (bar[2] > rank[x]) rank[x] = bar[2];
      if (bar[2] >= firstTest && c[1] - c[0] >= 6) edges.push(c[0]);
    }
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(LEFT, y + BAR_TOP, W, BAR);
    for (let x = 0; x < W; ) {
      const kind = rank[x];
      let end = x + 1;
      while (end < W && rank[end] === kind) end++;
      if (kind >= 0) {
        ctx.fillStyle = colours[kind];
        ctx.fillRect(LEFT + x, y + BAR_TOP, end - x, BAR);
      }
      x = end;
    }
    ctx.fillStyle = "rgba(31,35,40,0.35)"; // where one wide test ends and the next begins
    for (const x of edges) if (x > 0) ctx.fillRect(LEFT + x, y + BAR_TOP, 1, BAR);
  }

  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function paintAxis(W, k) {
    const step = niceStep((t1 - t0) / Math.max(1, W / 90));
    const digits = Math.min(6, Math.max(0, -Math.floor(Math.log10(step))));
    ctx.fillStyle = "#57606a";
    ctx.font = "11px system-ui, sans-serif";
    for (let n = Math.ceil(t0 / step); n * step <= t1 + step * 1e-6; n++) {
      const x = LEFT + (n * step - t0) * k;
      ctx.fillRect(Math.round(x), AXIS - 6, 1, 6);
      ctx.fillText(`${(n * step).toFixed(digits)}s`, Math.round(x) + 3, AXIS - 9);
    }
  }

  // A lane's name, its end kept (the worker), cut to fit the label column.
  function fit(text, room) {
    if (ctx.measureText(text).width <= room) return text;
    let lo = 0, hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText("…" + text.slice(text.length - mid)).width <= room) lo = mid;
      else hi = mid - 1;
    }
    return "…" + text.slice(text.length - lo);
  }

  function draw() {
    const W = plotWidth(), k = scale();
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    paintAxis(W, k);
    ctx.textBaseline = "middle";
    for (const row of rows) {
      ctx.fillStyle = "#1f2328";
      if (row.head !== undefined) {
        ctx.font = "600 12px system-ui, sans-serif";
        ctx.fillText(fit(row.head, width - 8), 4, row.y + HEAD / 2 + 2);
        continue;
      }
      ctx.font = "12px ui-monospace, SFMono-Regular, Menlo, monospace";
      if (row.label === null) row.label = fit(row.lane.name, LEFT - 12);
      ctx.fillText(row.label, 4, row.y + ROW / 2 + 1);
      paintLane(row.lane, row.y, W, k);
    }
    ctx.textBaseline = "alphabetic";
    range.textContent = `${t0.toFixed(3)}–${t1.toFixed(3)} s of ${span.toFixed(3)} s`;
  }

  function resize() {
    width = Math.max(LEFT + 200, canvas.parentElement.clientWidth);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (const row of rows) if (row.lane) row.label = null;
    draw();
  }

  function setView(a, b) {
    const length = Math.min(span, Math.max(1e-4, b - a));
    t0 = Math.min(Math.max(0, a), span - length);
    t1 = t0 + length;
    draw();
  }

  function zoom(factor, at) {
    const length = (t1 - t0) * factor, part = (at - t0) / (t1 - t0);
    setView(at - part * length, at - part * length + length);
  }

  const timeAt = (x) => t0 + ((x - LEFT) / plotWidth()) * (t1 - t0);
  const centre = () => (t0 + t1) / 2;

  // The bar under a point: the one that won its pixel's colour, and how many tests share it.
  function hit(x, y) {
    const row = rows.find((r) => r.lane && y >= r.y && y < r.y + ROW);
    if (!row || x < LEFT || x >= width) return null;
    const W = plotWidth(), k = scale(), column = Math.floor(x - LEFT);
    let best = null, tests = 0;
    for (const bar of row.lane.bars) {
      const c = columns(bar, W, k);
      if (c === null || column < c[0] || column >= c[1]) continue;
      if (bar[3] >= 0) tests++;
      if (!best || bar[2] > best[2] || (bar[2] === best[2] && bar[1] > best[1])) best = bar;
    }
    return best && { bar: best, lane: row.lane, tests };
  }

  function describe(found) {
    const [start, length, kind, ref, attempt] = found.bar;
    if (ref < 0) {
      const end = start + length;
      return [data.notes[-ref - 1], `${found.lane.name}: ${start.toFixed(3)}–${end.toFixed(3)} s`];
    }
    const [id, category, attempts] = data.tests[ref];
    const lines = [
      id,
      `${data.kinds[kind][2]} · ${length.toFixed(3)} s · attempt ${attempt} of ${attempts}`,
      `${category} · worker ${found.lane.worker} · started ${start.toFixed(3)} s into the run`,
    ];
    if (found.tests > 1) lines.push(`${found.tests} tests share this pixel: zoom in to tell them apart`);
    return lines;
  }

  function show(found, x, y) {
    if (!found) {
      tip.hidden = true;
      return;
    }
    tip.replaceChildren(
      ...describe(found).map((line) => {
        const div = document.createElement("div");
        div.textContent = line;
        return div;
      }),
    );
    tip.hidden = false;
    const left = Math.min(x + 14, Math.max(0, width - tip.offsetWidth - 4));
    tip.style.left = `${left}px`;
    tip.style.top = `${y + 16}px`;
  }

  function openFailure(found) {
    const ref = found.bar[3];
    const index = ref >= 0 ? data.tests[ref][3] : -1;
    const entry = index >= 0 ? document.getElementById(`failure-${index}`) : null;
    if (!entry) return false;
    entry.hidden = false;
    entry.open = true;
    entry.scrollIntoView({ block: "start" });
    return true;
  }

  let drag = null, dragged = false, pinned = false;
  canvas.addEventListener("mousedown", (e) => {
    if (e.offsetX >= LEFT) drag = { x: e.clientX, t0, t1 };
    dragged = false;
  });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 2) dragged = true;
    const shift = (-dx / plotWidth()) * (drag.t1 - drag.t0);
    setView(drag.t0 + shift, drag.t1 + shift);
  });
  window.addEventListener("mouseup", () => {
    drag = null;
  });
  canvas.addEventListener("mousemove", (e) => {
    if (!pinned && !drag) show(hit(e.offsetX, e.offsetY), e.offsetX, e.offsetY);
  });
  canvas.addEventListener("mouseleave", () => {
    if (!pinned) tip.hidden = true;
  });
  canvas.addEventListener("click", (e) => {
    if (dragged) return;
    const found = hit(e.offsetX, e.offsetY);
    if (found && openFailure(found)) return;
    pinned = !!found && !pinned;
    show(found, e.offsetX, e.offsetY);
  });
  canvas.addEventListener("dblclick", () => setView(0, span));
  canvas.addEventListener(
    "wheel",
    (e) => {
      if (e.offsetX < LEFT) return;
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        zoom(Math.exp(e.deltaY * 0.002), timeAt(e.offsetX));
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        const shift = ((e.deltaX || e.deltaY) / plotWidth()) * (t1 - t0);
        setView(t0 + shift, t1 + shift);
      }
    },
    { passive: false },
  );
  canvas.addEventListener("keydown", (e) => {
    const step = (t1 - t0) / 5;
    const keys = {
      "+": () => zoom(0.5, centre()),
      "=": () => zoom(0.5, centre()),
      "-": () => zoom(2, centre()),
      "0": () => setView(0, span),
      ArrowLeft: () => setView(t0 - step, t1 - step),
      ArrowRight: () => setView(t0 + step, t1 + step),
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  });
  for (const button of document.querySelectorAll("[data-zoom]")) {
    const action = { in: () => zoom(0.5, centre()), out: () => zoom(2, centre()) };
    button.addEventListener("click", action[button.dataset.zoom] || (() => setView(0, span)));
  }
  window.addEventListener("resize", resize);
  resize();

  // For tools and tests: where things are drawn, and the view.
  window.netraTimeline = {
    span,
    background: BACKGROUND,
    view: () => [t0, t1],
    setView,
    layout: () => ({
      left: LEFT,
      width: plotWidth(),
      barTop: BAR_TOP,
      barHeight: BAR,
      lanes: rows.filter((row) => row.lane).map((row) => row.y),
    }),
    describe: (x, y) => {
      const found = hit(x, y);
      return found && describe(found);
    },
  };
})();

// Failures: a filter by text, category and outcome, and folding all of them at once.
(() => {
  const text = document.getElementById("failure-text");
  if (!text) return;
  const category = document.getElementById("failure-category");
  const outcome = document.getElementById("failure-outcome");
  const count = document.getElementById("failure-count");
  const items = Array.from(document.querySelectorAll("details.failure"));
  const haystacks = new Map();
  function apply() {
    const words = text.value.trim().toLowerCase();
    let shown = 0;
    for (const item of items) {
      let keep =
        (!category.value || item.dataset.category === category.value) &&
        (!outcome.value || item.dataset.outcome === outcome.value);
      if (keep && words) {
        if (!haystacks.has(item)) haystacks.set(item, item.textContent.toLowerCase());
        keep = haystacks.get(item).includes(words);
      }
      item.hidden = !keep;
      if (keep) shown++;
    }
    count.textContent = `${shown} of ${items.length} shown`;
  }
  text.addEventListener("input", apply);
  category.addEventListener("change", apply);
  outcome.addEventListener("change", apply);
  for (const button of document.querySelectorAll("[data-fold]")) {
    button.addEventListener("click", () => {
      for (const item of items) if (!item.hidden) item.open = button.dataset.fold === "open";
    });
  }
})();
