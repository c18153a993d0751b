// The Hotspots page's map in the browser (insight/ui/vector_map.py): shows the SVG drawn on the
// server, answers hover with the area's words, a click with its code (component state "picked"), and
// pans (drag) and zooms (wheel, buttons) by moving the SVG's viewBox. No WebGL, no library.
// Text from the data is set as text (textContent), never as HTML.

const FONT_PX = 12;   // names on the map, in screen pixels whatever the zoom
const MIN_SPAN = 0.02; // the closest zoom: a view this share of the data's own view

function build(root) {
  root.innerHTML = `
    <div class="asb-map-frame"><div class="asb-map-svg"></div><div class="asb-map-tip" role="tooltip"></div>
    <div class="asb-map-buttons"><button type="button" data-zoom="in" aria-label="Zoom in" title="Zoom in">+</button>
    <button type="button" data-zoom="out" aria-label="Zoom out" title="Zoom out">−</button>
    <button type="button" data-zoom="home" aria-label="Back to the whole view" title="Back to the whole view">⟲</button></div>
    <div class="asb-map-legend"></div></div>`;
  return root;
}

function legendInto(node, legend) {
  node.replaceChildren();
  if (!legend) return;
  const title = document.createElement("div");
  title.className = "asb-map-legend-title";
  title.textContent = legend.title;
  node.appendChild(title);
  const row = document.createElement("div");
  row.className = "asb-map-legend-row";
  for (const [colour, label] of legend.steps) {
    const step = document.createElement("div");
    step.className = "asb-map-legend-step";
    const swatch = document.createElement("span");
    swatch.className = "asb-map-swatch";
    swatch.style.background = colour;
    const words = document.createElement("span");
    words.textContent = label;
    step.append(swatch, words);
    row.appendChild(step);
  }
  node.appendChild(row);
}

function wire(root, state, setStateValue) {
  const frame = root.querySelector(".asb-map-frame");
  const holder = root.querySelector(".asb-map-svg");
  const tip = root.querySelector(".asb-map-tip");
  const svg = () => state.svgEl;

  function scale() {  // user units per screen pixel (preserveAspectRatio "meet": the larger)
    const box = svg().getBoundingClientRect();
    if (!box.width || !box.height) return state.view[2] / 700;
    return Math.max(state.view[2] / box.width, state.view[3] / box.height);
  }
  function show() {
    svg().setAttribute("viewBox", state.view.map((v) => v.toFixed(1)).join(" "));
    const s = scale();
    for (const group of svg().querySelectorAll("g.labels")) {
      group.setAttribute("font-size", (FONT_PX * s).toFixed(2));
      group.setAttribute("stroke-width", (3 * s).toFixed(2));
    }
  }
  function toUser(clientX, clientY) {
    const point = svg().createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    return point.matrixTransform(svg().getScreenCTM().inverse());
  }
  function zoom(factor, clientX, clientY) {
    const [x, y, w, h] = state.view;
    const f = Math.max(w * factor, state.home[2] * MIN_SPAN) / w;
    const centre = clientX === undefined ? { x: x + w / 2, y: y + h / 2 } : toUser(clientX, clientY);
    state.view = [centre.x - (centre.x - x) * f, centre.y - (centre.y - y) * f, w * f, h * f];
    show();
  }
  function hideTip() {
    tip.style.display = "none";
    if (state.hoverEl) state.hoverEl.setAttribute("d", "");
    state.hovered = null;
  }
  function showTip(cell, clientX, clientY) {
    if (state.hovered !== cell) {
      state.hovered = cell;
      state.hoverEl.setAttribute("d", cell.getAttribute("d"));
      tip.replaceChildren();
      (state.tips[cell.__i] || "").split("\n").forEach((line, n) => {
        const part = document.createElement(n === 0 ? "b" : "div");
        part.textContent = line;
        tip.appendChild(part);
      });
      tip.style.display = "block";
    }
    const box = frame.getBoundingClientRect();
    const left = clientX - box.left + 14;
    const top = clientY - box.top + 14;
    tip.style.left = `${Math.max(0, Math.min(left, box.width - tip.offsetWidth - 4))}px`;
    tip.style.top = `${top + tip.offsetHeight > box.height ? Math.max(0, top - tip.offsetHeight - 24) : top}px`;
  }
  const cellAt = (target) => (target && target.__i !== undefined ? target : null);

  let drag = null;
  holder.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, view: state.view.slice(), moved: false, s: scale() };
  });
  holder.addEventListener("pointermove", (event) => {
    if (drag && (event.buttons & 1)) {
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4 && !drag.moved) {
        drag.moved = true;
        holder.setPointerCapture(event.pointerId);
        hideTip();
      }
      if (drag.moved) {
        state.view = [drag.view[0] - dx * drag.s, drag.view[1] - dy * drag.s, drag.view[2], drag.view[3]];
        show();
        return;
      }
    }
    const cell = cellAt(event.target);
    if (cell) showTip(cell, event.clientX, event.clientY);
    else hideTip();
  });
  holder.addEventListener("pointerleave", () => { if (!drag) hideTip(); });
  holder.addEventListener("pointerup", (event) => {
    const was = drag;
    drag = null;
    if (!was || was.moved) return;
    const cell = cellAt(event.target);
    if (cell && state.clickable) setStateValue("picked", { id: state.codes[cell.__i], n: Date.now() });
  });
  holder.addEventListener("pointercancel", () => { drag = null; });
  holder.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(Math.exp(Math.max(-300, Math.min(300, event.deltaY)) * 0.002), event.clientX, event.clientY);
  }, { passive: false });
  holder.addEventListener("dblclick", (event) => zoom(0.5, event.clientX, event.clientY));
  root.querySelector(".asb-map-buttons").addEventListener("click", (event) => {
    const which = event.target.closest("button")?.dataset.zoom;
    if (which === "in") zoom(0.6);
    else if (which === "out") zoom(1 / 0.6);
    else if (which === "home") { state.view = state.home.slice(); show(); }
  });
  return show;
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector(".asb-map");
  if (!root) {
    root = document.createElement("div");
    root.className = "asb-map";
    parentElement.appendChild(build(root));
  }
  const state = root.__asb || (root.__asb = {});
  state.setStateValue = setStateValue;
  root.querySelector(".asb-map-frame").style.height = `${data.height}px`;
  if (state.svg !== data.svg) {  // a new map (type, size, colour); the same one keeps its drawing
    const holder = root.querySelector(".asb-map-svg");
    holder.innerHTML = data.svg;
    state.svg = data.svg;
    state.svgEl = holder.querySelector("svg");
    state.hoverEl = state.svgEl.querySelector("path.hover");
    state.hovered = null;
    state.svgEl.querySelectorAll("g.areas > path").forEach((cell, i) => { cell.__i = i; });
    legendInto(root.querySelector(".asb-map-legend"), data.legend);
  }
  state.codes = data.codes;
  state.clickable = data.clickable;
  state.tips = data.tips;
  state.svgEl.querySelector("g.selected").innerHTML = data.selected || "";
  // the view: the data's when it changed (a search, other authorities), else where the user left it
  const viewKey = JSON.stringify([data.view, data.nonce || 0]);
  if (state.viewKey !== viewKey || !state.view) {
    state.view = data.view.slice();
    state.viewKey = viewKey;
  }
  state.home = data.view;
  if (!state.show) state.show = wire(root, state, (name, value) => state.setStateValue(name, value));
  state.show();
}
