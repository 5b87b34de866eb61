// The sdecon explorer: sliders over the model compiled to JavaScript (SDECON_MODEL), charts in
// uPlot, the state in the URL's fragment. SDECON_DATA comes from sdecon.explorer.payload.
(function () {
"use strict";
const M = SDECON_MODEL, D = SDECON_DATA;
const PARAMS = new Map(D.parameters.map(p => [p.name, p]));
const PRESETS = new Map(D.presets.map(p => [p.name, p]));
const POSITIONS = 200;  // a slider's steps between its bounds (calendar years step by one)
const COLORS = {current: "#1f5fa8", compare: "#b35806", band: "rgba(31,95,168,0.16)", data: "#111"};
const MARKERS = ["#111", "#fff", "#999"];  // the fill of each data series' dots, outlined in black

// values: every parameter's value as the run takes it; on: each lever's switch.
const state = {preset: D.presets[0].name, compare: "", values: {}, on: {}};
const remembered = {};  // a lever's effects while it is switched off, to restore them
const compareRuns = new Map();
const timings = [];
let run = null, charts = [], controls = new Map(), lastDraw = 0;
// Charts off screen are redrawn when they come into view, not at every move of a slider.
const visible = new Set(), stale = new Set();
const watcher = typeof IntersectionObserver === "undefined" ? null : new IntersectionObserver(entries => {
  for (const entry of entries) {
    const u = entry.target.chart;
    if (entry.isIntersecting) {
      visible.add(u);
      if (stale.delete(u)) u.setData(chartData(u.chartSpec));
    } else visible.delete(u);
  }
});

// -- numbers ----------------------------------------------------------------------------------
function significant(x, digits) { return x === 0 || !isFinite(x) ? x : Number(x.toPrecision(digits)); }
function formatNumber(x, digits) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) {
    const [m, e] = x.toExponential(digits - 1).split("e");
    return `${Number(m)}×10${superscript(Number(e))}`;
  }
  return significant(x, digits).toLocaleString("en-US", {maximumSignificantDigits: digits});
}
function superscript(n) {
  const map = {"-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"};
  return String(n).split("").map(c => map[c] || c).join("");
}
function isCalendar(p) { return p.unit === "Year" && p.lower >= 1900; }
function shown(p, v) { return isCalendar(p) ? String(Math.round(v * 100) / 100) : formatNumber(v, 3); }
function unitOf(p, v) { return p.display === "years" && v === 1 ? "year" : p.display; }

// A slider's position (0..POSITIONS) and its value: linear, or logarithmic for wide bounds.
function toValue(p, position) {
  if (isCalendar(p)) return Number(position);
  // rounded as finely as one step needs, and no finer, so that a link stays short
  const f = position / POSITIONS;
  let v;
  if (p.log) {
    v = p.lower * Math.pow(p.upper / p.lower, f);
    v = significant(v, 1 + Math.ceil(-Math.log10(Math.pow(p.upper / p.lower, 1 / POSITIONS) - 1)));
  } else {
    const decimals = Math.max(0, Math.ceil(-Math.log10((p.upper - p.lower) / POSITIONS)) + 1);
    v = Number((p.lower + (p.upper - p.lower) * f).toFixed(Math.min(decimals, 20)));
  }
  return Math.min(p.upper, Math.max(p.lower, v));
}
function toPosition(p, v) {
  if (isCalendar(p)) return Math.round(v);
  if (p.upper === p.lower) return 0;
  const f = p.log ? Math.log(v / p.lower) / Math.log(p.upper / p.lower) : (v - p.lower) / (p.upper - p.lower);
  return Math.round(Math.min(1, Math.max(0, f)) * POSITIONS);
}

// -- state ------------------------------------------------------------------------------------
function presetValues(name) {
  const preset = PRESETS.get(name), values = {};
  for (const p of D.parameters) values[p.name] = p.name in preset.values ? preset.values[p.name] : p.default;
  return values;
}
function runValues(values, preset) { return Object.assign({}, PRESETS.get(preset).values, values); }
function changed() {
  const base = presetValues(state.preset);
  return D.parameters.filter(p => state.values[p.name] !== base[p.name]).map(p => p.name);
}

function encodeState() {
  const q = new URLSearchParams();
  q.set("preset", state.preset);
  if (state.compare) q.set("compare", state.compare);
  for (const name of changed()) q.set(name, String(state.values[name]));
  return q.toString();
}
// Apply a fragment; what cannot be applied is said in the notice, not thrown.
function decodeState(fragment) {
  const q = new URLSearchParams(fragment.replace(/^#/, "")), problems = [];
  let preset = q.get("preset") || D.presets[0].name;
  if (!PRESETS.has(preset)) { problems.push(`preset "${preset}" is not in this explorer (it has ${[...PRESETS.keys()].join(", ")})`); preset = D.presets[0].name; }
  state.preset = preset;
  const values = presetValues(preset);
  const compare = q.get("compare") || "";
  state.compare = PRESETS.has(compare) ? compare : "";
  if (compare && !state.compare) problems.push(`comparison "${compare}" is not a preset of this explorer`);
  for (const [name, text] of q) {
    if (name === "preset" || name === "compare") continue;
    const p = PARAMS.get(name), v = Number(text);
    if (!p) problems.push(`"${name}" is not a parameter this explorer sets`);
    else if (text.trim() === "" || !isFinite(v) || v < p.lower || v > p.upper) problems.push(`${name} = ${text} is not a number in [${p.lower}, ${p.upper}]`);
    else values[name] = v;
  }
  setValues(values);
  notice(problems.length ? "Ignored from the link: " + problems.join("; ") + "." : "");
}
function notice(text) {
  const el = document.getElementById("notice");
  el.textContent = text;
  el.hidden = !text;
}

// -- the runs ---------------------------------------------------------------------------------
function simulate(values, preset) { return M.run(runValues(values, preset)); }
function compareRun() {
  if (!state.compare) return null;
  if (!compareRuns.has(state.compare)) compareRuns.set(state.compare, simulate(presetValues(state.compare), state.compare));
  return compareRuns.get(state.compare);
}

// A line in the chart's units: percent, trillions, an index of one year, or as is.
function readerLine(chart, years, values, base) {
  let factor = chart.factor;
  if (chart.kind === "index") {
    const i = years.indexOf(chart.indexYear);
    factor = 1 / (base || values)[i];
  }
  return Array.from(values, v => (v === null || !isFinite(v) || (chart.log && v * factor <= 0)) ? null : v * factor);
}

function chartData(chart) {
  const years = Array.from(run.years), variable = chart.variable;
  const observed = D.observed[variable] || [];
  const xs = new Set(years);
  for (const o of observed) o.times.forEach(t => xs.add(t));
  const x = [...xs].sort((a, b) => a - b);
  // a line at every x: its own value at its years; between two of them (a mid-year data
  // point's x), the straight line the chart draws there, so that a gap stays a gap
  const at = (ys, vs) => {
    const m = new Map(ys.map((y, i) => [y, vs[i]]));
    let k = 0;
    return x.map(t => {
      if (m.has(t)) return m.get(t);
      while (k + 1 < ys.length && ys[k + 1] < t) k++;
      const a = vs[k], b = vs[k + 1];
      if (!(ys[k] < t && t < ys[k + 1]) || a === null || b === null) return null;
      return a + (b - a) * (t - ys[k]) / (ys[k + 1] - ys[k]);
    });
  };
  const points = (ys, vs) => { const m = new Map(ys.map((y, i) => [y, vs[i]])); return x.map(t => m.has(t) ? m.get(t) : null); };
  const current = readerLine(chart, years, run.values[variable]);
  const other = compareRun();
  const compare = other ? readerLine(chart, years, other.values[variable]) : years.map(() => null);
  const band = currentBand()[variable];
  let low = years.map(() => null), high = low;
  if (band) {
    const p50 = band.p50.map(v => v === null ? NaN : v);
    low = readerLine(chart, band.years, band.p5, p50);
    high = readerLine(chart, band.years, band.p95, p50);
    low = at(band.years, low); high = at(band.years, high);
  } else { low = points(years, low); high = points(years, high); }
  const data = [x, at(years, current), at(years, compare), low, high];
  for (const o of observed) {
    const base = chart.kind === "index" ? run.values[variable][years.indexOf(chart.indexYear)] : null;
    data.push(points(o.times, o.values.map(v => v === null ? null : (base ? v / base : v * chart.factor))));
  }
  return data;
}

// -- the band: the preset's as shipped, or, on request, the current settings' -------------------
// The band for your settings runs the model at each of the posterior's draws of the fitted
// parameters, everything else at your values, as `sdecon forecast` does for a scenario; its
// percentiles are numpy's (linear between order statistics).
let ownBand = null, bandJob = null;
function settingsKey() { return JSON.stringify([state.preset, state.values]); }
function ownBandReady() { return ownBand !== null && ownBand.key === settingsKey(); }
function currentBand() { return ownBandReady() ? ownBand.bands : (D.bands[state.preset] || {}); }

function percentile(sorted, p) {
  const n = sorted.length, h = (n - 1) * (p / 100), lo = Math.floor(h), t = h - lo;
  if (lo + 1 >= n) return sorted[n - 1];
  const a = sorted[lo], b = sorted[lo + 1], diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;  // numpy's _lerp
}
function bandOf(runs) {
  const bands = {}, years = Array.from(runs[0].years);
  for (const chart of D.charts) {
    const v = chart.variable, out = {years, p5: [], p50: [], p95: []};
    years.forEach((_, j) => {
      const column = runs.map(r => r[v][j]);
      if (column.some(x => x !== x)) { out.p5.push(null); out.p50.push(null); out.p95.push(null); return; }
      column.sort((a, b) => a - b);
      out.p5.push(percentile(column, 5)); out.p50.push(percentile(column, 50)); out.p95.push(percentile(column, 95));
    });
    bands[v] = out;
  }
  return bands;
}
function computeBand() {
  const P = D.posterior;
  if (!P) return;
  clearTimeout(bandJob);
  const key = settingsKey(), runs = [];
  const base = Object.assign(runValues(presetValues(state.preset), state.preset), P.stale[state.preset] || {});
  for (const name of changed()) base[name] = state.values[name];  // your edits over the calibration's
  let i = 0;
  setText("band-status", `computing the band over ${P.draws.length} draws…`);
  const step = () => {
    if (settingsKey() !== key) { bandJob = null; setText("band-status", "band stopped: the settings moved"); return; }
    for (const end = Math.min(P.draws.length, i + 25); i < end; i++) {
      const values = Object.assign({}, base);
      P.names.forEach((name, k) => { values[name] = P.draws[i][k]; });
      const r = M.run(values), kept = {years: r.years};
      for (const chart of D.charts) kept[chart.variable] = r.values[chart.variable];
      runs.push(kept);
    }
    if (i < P.draws.length) {
      bandJob = setTimeout(step, 0);
      return;
    }
    bandJob = null;
    ownBand = {key, bands: bandOf(runs)};
    const fitted = P.names.filter(n => state.values[n] !== presetValues(state.preset)[n]);
    setText("band-status", fitted.length ? `band for your settings; it draws ${fitted.join(", ")} from the posterior, not at your values` : "band for your settings");
    refresh();
  };
  step();
}

// -- charts -----------------------------------------------------------------------------------
function shadeAfter(u) {  // the years after readTo: "read with care"
  const left = u.valToPos(D.readTo, "x", true), right = u.bbox.left + u.bbox.width;
  if (left >= right) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = "rgba(0,0,0,0.045)";
  ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
  ctx.fillStyle = "#666";
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
  ctx.fillText("read with care", left + 4 * devicePixelRatio, u.bbox.top + 13 * devicePixelRatio);
  ctx.restore();
}

// A log axis labelled at whole powers of ten, at most six of them: uPlot's own log ticks,
// the others filtered out (null), so that grid lines and labels stay sparse.
function decades(u, splits) {
  const exact = splits.map(v => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-6);
  const count = exact.filter(Boolean).length, step = Math.max(1, Math.ceil(count / 6));
  let k = 0;
  return splits.map((v, i) => exact[i] && (k++ % step === 0) ? v : null);
}
function decadeLabel(v) {
  if (v === null || !(v > 0)) return "";
  const e = Math.round(Math.log10(v));
  return Math.abs(e) < 4 ? formatNumber(Math.pow(10, e), 1) : "10" + superscript(e);
}

function makeChart(chart, container) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.innerHTML = `<strong>${escapeHtml(chart.variable)}</strong> <span>${escapeHtml(chart.unit)}${chart.log ? ", log scale" : ""}</span>`;
  figure.appendChild(caption);
  const holder = document.createElement("div");
  holder.setAttribute("role", "img");
  holder.setAttribute("aria-label", `${chart.variable} by year, ${chart.unit}`);
  figure.appendChild(holder);
  const readout = document.createElement("p");
  readout.className = "readout";
  readout.setAttribute("aria-live", "off");
  figure.appendChild(readout);
  const observed = D.observed[chart.variable] || [];
  if (observed.length) {
    const key = document.createElement("p");
    key.className = "data-key";
    key.innerHTML = observed.map((o, k) =>
      `<span class="item"><span class="dot" style="background:${MARKERS[k % MARKERS.length]}"></span>data: ${escapeHtml(o.label)}</span>`).join("");
    figure.appendChild(key);
  }
  container.appendChild(figure);
  const percent = chart.kind === "percent";
  const opts = {
    width: Math.max(260, holder.clientWidth || 320), height: 200,
    scales: {x: {time: false}, y: chart.log ? {distr: 3} : {}},
    axes: [
      {values: (u, ticks) => ticks.map(t => String(t))},
      chart.log ? {size: 52, filter: decades, grid: {filter: decades}, ticks: {filter: decades},
                   values: (u, ticks) => ticks.map(decadeLabel)}
                : {size: 60, values: (u, ticks) => ticks.map(t => formatNumber(t, 3) + (percent ? "%" : ""))},
    ],
    series: [
      {label: "year", value: (u, v) => v === null ? "" : String(v)},
      {label: "your settings", stroke: COLORS.current, width: 2, spanGaps: false,
       value: (u, v) => formatNumber(v, 3)},
      {label: "compared", stroke: COLORS.compare, width: 1.75, dash: [6, 4], spanGaps: false,
       value: (u, v) => formatNumber(v, 3)},
      {label: "posterior 5%", stroke: "rgba(31,95,168,0.35)", width: 0.75, spanGaps: false, value: (u, v) => formatNumber(v, 3)},
      {label: "95%", stroke: "rgba(31,95,168,0.35)", width: 0.75, spanGaps: false, value: (u, v) => formatNumber(v, 3)},
      ...observed.map((o, k) => ({label: o.label, stroke: COLORS.data, width: 1,
                                  paths: () => null, points: {show: true, size: 6, width: 1, stroke: COLORS.data,
                                                              fill: MARKERS[k % MARKERS.length]},
                                  value: (u, v) => formatNumber(v, 3)})),
    ],
    bands: [{series: [4, 3], fill: COLORS.band}],
    legend: {show: false},
    hooks: {drawClear: [shadeAfter], draw: [() => { lastDraw = performance.now(); }],
            setCursor: [u => { readout.textContent = describe(u, u.cursor.idx); }]},
  };
  const u = new uPlot(opts, chartData(chart), holder);
  u.chartSpec = chart;
  u.holder = holder;
  figure.chart = u;
  if (watcher) watcher.observe(figure); else visible.add(u);
  return u;
}

// A chart in words, for a screen reader: "Compute Spending Share of GDP, % of GDP: 2024 0.0773%; ..."
const SPOKEN_YEARS = [2024, 2030, 2035, 2050];
function spoken(chart) {
  const years = Array.from(run.years), line = readerLine(chart, years, run.values[chart.variable]);
  const unit = chart.kind === "percent" ? "%" : "";
  const said = SPOKEN_YEARS.filter(y => years.includes(y)).map(y => `${y} ${formatNumber(line[years.indexOf(y)], 3)}${unit}`);
  return `${chart.variable}, ${chart.unit}, your settings: ${said.join("; ")}`;
}

// The values under the cursor, in words: "2030: 2.5% (baseline 1.9%; 90% band 1.7-3.1%)".
function describe(u, i) {
  if (i === null || i === undefined) return "";
  const d = u.data, unit = u.chartSpec.kind === "percent" ? "%" : "";
  const f = v => formatNumber(v, 3) + unit, parts = [];
  if (d[2][i] !== null) parts.push(`${state.compare} ${f(d[2][i])}`);
  if (d[3][i] !== null && d[4][i] !== null) parts.push(`90% band ${f(d[3][i])} to ${f(d[4][i])}`);
  for (let k = 5; k < d.length; k++) if (d[k][i] !== null) parts.push(`data ${f(d[k][i])}`);
  const here = d[1][i] !== null ? f(d[1][i]) : "";
  return `${d[0][i]}: ${here}${parts.length ? ` (${parts.join("; ")})` : ""}`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

// -- controls ---------------------------------------------------------------------------------
function about(p) {
  const unit = p.display || (p.unit === "Dmnl" ? "dimensionless" : p.unit);
  return `Unit: ${unit}. Bounds: ${shown(p, p.lower)} to ${shown(p, p.upper)}; default ${shown(p, p.default)}. ` +
         `Source: ${p.source}`;
}
// One control a parameter: a slider (a switch for a 0/1 switch), its value with its unit, and
// an "i" that opens its unit, bounds and source (also the row's tooltip).
function slider(p, parent) {
  const id = "p-" + D.parameters.indexOf(p);
  const row = document.createElement("div");
  row.className = "control";
  row.title = about(p);
  const cal = isCalendar(p);
  const control = p.switch ? `<input type="checkbox" role="switch" id="${id}">`
    : `<input type="range" id="${id}" min="${cal ? p.lower : 0}" max="${cal ? p.upper : POSITIONS}" step="1">`;
  row.innerHTML = `<label for="${id}">${escapeHtml(p.name)}</label>
    <details class="about"><summary aria-label="About ${escapeHtml(p.name)}">i</summary><p>${escapeHtml(about(p))}</p></details>
    <output for="${id}"></output>${control}`;
  if (p.switch) row.classList.add("switch");
  parent.appendChild(row);
  const input = row.querySelector("input"), output = row.querySelector("output");
  input.addEventListener(p.switch ? "change" : "input", event => {
    if (p.switch) state.values[p.name] = input.checked ? 1 : 0;
    else {
      // back at the preset's position, the preset's own value (a calibrated 0.12297, not 0.123)
      const position = Number(input.value), preset = presetValues(state.preset)[p.name];
      state.values[p.name] = position === toPosition(p, preset) ? preset : toValue(p, position);
    }
    refresh(event.timeStamp);
  });
  let synced;
  controls.set(p.name, {input, output, row, sync() {
    const v = state.values[p.name];
    if (v === synced) return;
    synced = v;
    const text = p.switch ? (v === 1 ? "on" : v === 0 ? "off" : shown(p, v)) : `${shown(p, v)} ${unitOf(p, v)}`.trim();
    if (p.switch) input.checked = v !== 0; else input.value = String(toPosition(p, v));
    output.textContent = text;
    if (!p.switch) input.setAttribute("aria-valuetext", text);
  }});
}

// A lever is on when a preset or a link sets one of its effects away from "no policy"; from
// then on its switch says, so that moving an effect to zero does not switch it off.
function leverOn(lever) {
  return Object.keys(lever.effects).some(n => state.values[n] !== PARAMS.get(n).default);
}
function setValues(values) {
  state.values = values;
  D.levers.forEach((lever, k) => { state.on[k] = leverOn(lever); });
}
function buildLevers(parent) {
  D.levers.forEach((lever, k) => {
    const box = document.createElement("fieldset");
    box.className = "lever";
    const id = "lever-" + k;
    box.innerHTML = `<legend><input type="checkbox" role="switch" id="${id}"><label for="${id}">${escapeHtml(lever.title)}</label></legend>`;
    parent.appendChild(box);
    const inner = document.createElement("div");
    box.appendChild(inner);
    for (const name of [...Object.keys(lever.effects), lever.start]) slider(PARAMS.get(name), inner);
    const toggle = box.querySelector("input");
    toggle.addEventListener("change", event => {
      state.on[k] = toggle.checked;
      for (const [name, suggested] of Object.entries(lever.effects)) {
        if (toggle.checked) state.values[name] = remembered[name] !== undefined ? remembered[name] : suggested;
        else { remembered[name] = state.values[name]; state.values[name] = PARAMS.get(name).default; }
      }
      refresh(event.timeStamp);
    });
    let synced;
    controls.set("lever:" + k, {sync() {
      const on = state.on[k];
      if (on === synced) return;
      synced = on;
      toggle.checked = on;
      inner.querySelectorAll("input").forEach(i => { i.disabled = !on; });
      box.classList.toggle("off", !on);
    }});
  });
}

function buildControls() {
  const panel = document.getElementById("controls");
  const groups = [];
  for (const p of D.parameters) if (!groups.includes(p.group)) groups.push(p.group);
  const order = ["Key assumptions", "Policy levers", ...groups.filter(g => g !== "Key assumptions" && g !== "Policy levers")];
  for (const group of order) {
    const details = document.createElement("details");
    details.open = group === "Key assumptions" || group === "Policy levers";
    details.innerHTML = `<summary>${escapeHtml(group)}</summary>`;
    panel.appendChild(details);
    if (group === "Policy levers") buildLevers(details);
    else for (const p of D.parameters) if (p.group === group) slider(p, details);
  }
  for (const select of [document.getElementById("preset"), document.getElementById("compare")]) {
    for (const p of D.presets) {
      const option = document.createElement("option");
      option.value = p.name; option.textContent = p.name; option.title = p.title;
      select.appendChild(option);
    }
  }
  document.getElementById("preset").addEventListener("change", event => {
    // a new history entry, so that Back returns to the settings the preset replaced
    state.preset = event.target.value; setValues(presetValues(state.preset)); refresh(event.timeStamp, true);
  });
  document.getElementById("compare").addEventListener("change", event => {
    state.compare = event.target.value; refresh(event.timeStamp);
  });
  document.getElementById("reset").addEventListener("click", event => {
    setValues(presetValues(state.preset)); refresh(event.timeStamp);
  });
  document.getElementById("download").addEventListener("click", download);
  const bandButton = document.getElementById("band");
  if (D.posterior) bandButton.addEventListener("click", computeBand); else bandButton.hidden = true;
}

// -- one update: run, redraw, write the state where it shows ----------------------------------
let lastGood = null;  // the last state the model ran, to fall back on
let speaking = null;
function refresh(since, remember) {
  const start = performance.now();
  lastDraw = NaN;
  try {
    run = simulate(state.values, state.preset);
  } catch (error) {  // e.g. a delay's order below 1: say so, and keep the last run that worked
    if (lastGood === null) throw error;
    Object.assign(state, JSON.parse(lastGood));
    run = simulate(state.values, state.preset);
    notice(`The model cannot run those settings (${error.message}); they are undone.`);
  }
  lastGood = JSON.stringify(state);
  const ran = performance.now() - start;
  for (const u of charts) {
    if (visible.has(u)) u.setData(chartData(u.chartSpec)); else stale.add(u);
  }
  // the charts in words, once the slider rests: a screen reader needs no frame-by-frame text
  clearTimeout(speaking);
  speaking = setTimeout(() => { for (const u of charts) u.holder.setAttribute("aria-label", spoken(u.chartSpec)); }, 250);
  const banded = Object.keys(currentBand()).length > 0, own = ownBandReady();
  setHtml("key", `<span class="key current"></span> your settings` +
    (state.compare ? ` <span class="key compare"></span> ${escapeHtml(state.compare)} as shipped` : "") +
    (banded ? ` <span class="key band"></span> ${own ? "your settings" : escapeHtml(state.preset) + " as shipped"}: ` +
              `90% band over ${own ? D.posterior.draws.length + " " : ""}posterior draws` : "") +
    ` <span class="dot"></span> data`);
  for (const c of controls.values()) c.sync();
  document.getElementById("preset").value = state.preset;
  document.getElementById("compare").value = state.compare;
  const edits = changed();
  const preset = PRESETS.get(state.preset);
  setText("story", preset.title);
  setText("headline", headline());
  if (ownBand !== null && !ownBandReady() && !bandJob) setText("band-status", "");
  setText("status",
    `${state.preset}${edits.length ? `, ${edits.length} value${edits.length > 1 ? "s" : ""} changed` : " as shipped"} · ` +
    `run in ${Math.round(ran)} ms`);
  const fragment = "#" + encodeState();
  if (location.hash !== fragment) history[remember ? "pushState" : "replaceState"](null, "", fragment);
  if (since !== undefined) {
    const input = since;
    requestAnimationFrame(() => { if (isFinite(lastDraw)) timings.push({ran, drawn: lastDraw - input}); });
  }
}

// The report's question in one line: the share of GDP in the year page one speaks of.
function headline() {
  const share = "Compute Spending Share of GDP", years = Array.from(run.years);
  const at = (r, year) => formatNumber(100 * r.values[share][years.indexOf(year)], 3) + "%";
  if (!years.includes(D.headlineYear) || !years.includes(D.dataEnd)) return "";
  const other = compareRun();
  return `Compute spending is ${at(run, D.headlineYear)} of GDP in ${D.headlineYear} with these settings, ` +
         (other ? `against ${at(other, D.headlineYear)} in ${state.compare} as shipped` : `from ${at(run, D.dataEnd)} in ${D.dataEnd}`) + ".";
}

// Writes to the page only when the text changes: each write costs a layout.
function setText(id, text) { const el = document.getElementById(id); if (el.textContent !== text) el.textContent = text; }
function setHtml(id, text) { const el = document.getElementById(id); if (el.dataset.html !== text) { el.innerHTML = text; el.dataset.html = text; } }

// -- CSV: the current run in the model's units, as `sdecon run --output` writes it ---------------
function csvNumber(v) { return v !== v ? "" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v); }
function csvText() {
  const quote = s => /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  const columns = D.csvColumns;
  const lines = [["year", ...columns].map(quote).join(",")];
  run.years.forEach((year, i) => {
    lines.push([String(year), ...columns.map(c => csvNumber(run.values[c][i]))].join(","));
  });
  return lines.join("\n") + "\n";
}
function download() {
  const blob = new Blob([csvText()], {type: "text/csv"});
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `sdecon-${state.preset}${changed().length ? "-custom" : ""}.csv`;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 0);
}

function start() {
  buildControls();
  decodeState(location.hash);
  run = simulate(state.values, state.preset);
  const grid = document.getElementById("charts");
  charts = D.charts.map(chart => makeChart(chart, grid));
  refresh();
  const follow = () => { if (location.hash !== "#" + encodeState()) { decodeState(location.hash); refresh(); } };
  window.addEventListener("hashchange", follow);  // a link pasted into the address bar
  window.addEventListener("popstate", follow);    // Back, after a change of preset
  window.addEventListener("resize", () => {
    for (const u of charts) u.setSize({width: Math.max(260, u.root.parentElement.clientWidth), height: 200});
  });
  window.sdeconExplorer = {state, timings, charts, csvText, encodeState, get run() { return run; },
                           get ownBand() { return ownBandReady(); },
                           data: () => charts.map(u => chartData(u.chartSpec))};
}
start();
})();
