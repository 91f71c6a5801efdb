/**
 * Pan and zoom for one SVG inside a viewport element: wheel zooms around the pointer,
 * dragging pans, and the viewport is focusable (arrows pan, + / - zoom, 0 fits).
 *
 * A wheel or pinch gesture changes nothing but the picture's CSS transform, once per frame
 * (the events of a frame are added up), and reads the viewport's position once per gesture:
 * no layout read and no change inside the picture while it moves. `onSettled` hears the scale
 * once the gesture has rested for `settleMs` (and at once after a button, key, fit or
 * centring): the place for work that depends on the scale, such as a level of detail, which
 * would cost a repaint of the whole picture in every frame of the gesture.
 */

export interface PanZoom {
  fit(): void;
  zoomBy(factor: number, at?: { x: number; y: number }): void;
  /** Centres an element of the SVG in the viewport, zooming in to at least `minScale`. */
  centerOn(el: Element, minScale?: number): void;
  scale(): number;
  /** Shows the content point (cx, cy) at the viewport point (vx, vy), at scale k. */
  moveTo(k: number, cx: number, cy: number, vx: number, vy: number): void;
  destroy(): void;
}

/** Quiet time after the last wheel event before a gesture counts as over. */
export const settleMs = 150;

export interface PanZoomOptions {
  /** After every change of position or scale (at most once a frame during a gesture). */
  onChange?: (k: number) => void;
  /** After a change of scale has come to rest; see the module comment. */
  onSettled?: (k: number) => void;
  /** The picture's size at scale 1 (default: the SVG's viewBox or its box). */
  size?: { width: number; height: number };
  /**
   * The element is drawn at this fraction of its size (its content shrunk by a transform of
   * its own) and is a composited layer (will-change: transform). Why: Chromium rasterises such
   * a layer once and keeps that raster while the transform changes, as long as the layer's
   * scale is at least 1 (below 0.25 it lowers the bar); crossing 25% it re-rasterises all on
   * screen at scale 1, which for a 1,000-table picture seen at 25% is some 14 million pixels
   * in one frame (the 300 ms to 1 s zoom frames). With the layer drawn at 1/20 its scale
   * stays above 1 at every zoom, so Chromium never re-rasterises by itself; this module asks
   * for a raster at the current scale when the scale has moved by `rasterRatio` since the
   * last one and when a gesture settles (a 1 px change of the element's width, which resets
   * the kept raster scale), so a raster is never more than `rasterRatio` blurred, and costs
   * about one screen of pixels.
   */
  layerScale?: number;
}

/** During a gesture, a new raster once the scale has grown or shrunk by this factor. */
export const rasterRatio = 2;

export function panZoom(viewport: HTMLElement, svg: SVGSVGElement | HTMLElement, options: PanZoomOptions = {}): PanZoom {
  const { onChange, onSettled, size } = options;
  const layerScale = options.layerScale ?? 1;
  const vb = svg instanceof SVGSVGElement ? svg.viewBox.baseVal : null;
  const width = size ? size.width : vb && vb.width ? vb.width : svg.getBoundingClientRect().width;
  const height = size ? size.height : vb && vb.height ? vb.height : svg.getBoundingClientRect().height;
  if (svg instanceof SVGSVGElement) {
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
  }
  svg.style.maxWidth = 'none';
  svg.style.transformOrigin = '0 0';
  svg.style.position = 'absolute';
  svg.style.left = '0';
  svg.style.top = '0';

  let x = 0;
  let y = 0;
  let k = 1;
  const minK = 0.05;
  const maxK = 4;
  // The scale Chromium last rasterised the layer at (see layerScale), and the nudge that asks for a new raster.
  let rasterK = NaN;
  let nudged = false;
  const baseWidth = layerScale !== 1 ? svg.style.width : '';
  const reraster = () => {
    if (layerScale === 1) return;
    rasterK = k;
    nudged = !nudged;
    svg.style.width = nudged ? `calc(${baseWidth} + 1px)` : baseWidth;
  };
  const apply = () => {
    svg.style.transform = `translate(${x}px, ${y}px) scale(${k / layerScale})`;
    if (layerScale !== 1 && !(k <= rasterK * rasterRatio && k >= rasterK / rasterRatio)) reraster();
    onChange?.(k);
  };
  const clampK = (v: number) => Math.min(maxK, Math.max(minK, v));
  let settledK = NaN;
  const settle = () => {
    if (k === settledK) return;
    settledK = k;
    // Back where the last raster was (in and out again): it is still sharp.
    if (!(Math.abs(k / rasterK - 1) < 0.01)) reraster();
    onSettled?.(k);
  };

  const api: PanZoom = {
    fit() {
      const rect = viewport.getBoundingClientRect();
      const pad = 24;
      const kFit = Math.min((rect.width - pad * 2) / width, (rect.height - pad * 2) / height);
      // Small diagrams are not blown up past 1.25x; large ones shrink to fit.
      k = clampK(Math.min(1.25, kFit));
      x = (rect.width - width * k) / 2;
      y = Math.max(pad, (rect.height - height * k) / 2);
      apply();
      settle();
    },
    zoomBy(factor, at) {
      const rect = viewport.getBoundingClientRect();
      const px = at ? at.x : rect.width / 2;
      const py = at ? at.y : rect.height / 2;
      const nk = clampK(k * factor);
      // Keep the point under the pointer where it is.
      x = px - ((px - x) * nk) / k;
      y = py - ((py - y) * nk) / k;
      k = nk;
      apply();
      settle();
    },
    centerOn(el, minScale = 0.8) {
      const rect = viewport.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      const svgBox = svg.getBoundingClientRect();
      // Element centre in unscaled SVG pixels.
      const cx = (box.left + box.width / 2 - svgBox.left) / k;
      const cy = (box.top + box.height / 2 - svgBox.top) / k;
      k = clampK(Math.max(k, minScale));
      x = rect.width / 2 - cx * k;
      y = rect.height / 2 - cy * k;
      apply();
      settle();
    },
    scale: () => k,
    moveTo(nk, cx, cy, vx, vy) {
      k = clampK(nk);
      x = vx - cx * k;
      y = vy - cy * k;
      apply();
      settle();
    },
    destroy() {
      viewport.removeEventListener('wheel', onWheel);
      viewport.removeEventListener('pointerdown', onDown);
      viewport.removeEventListener('keydown', onKey);
      if (gesture) {
        cancelAnimationFrame(gesture.frame);
        clearTimeout(gesture.quiet);
      }
      gesture = null;
    },
  };

  // One wheel gesture: the viewport's position read at its start, the events of the current
  // frame added up (zoom factors multiply; the last pointer position is the anchor).
  let gesture: { rect: DOMRect; factor: number; panX: number; at: { x: number; y: number }; frame: number; quiet?: ReturnType<typeof setTimeout> } | null = null;
  const applyGesture = () => {
    if (!gesture) return;
    const g = gesture;
    g.frame = 0;
    if (g.panX) x -= g.panX;
    if (g.factor !== 1) {
      const nk = clampK(k * g.factor);
      x = g.at.x - ((g.at.x - x) * nk) / k;
      y = g.at.y - ((g.at.y - y) * nk) / k;
      k = nk;
    }
    g.factor = 1;
    g.panX = 0;
    apply();
  };
  const onWheel = (event: WheelEvent) => {
    event.preventDefault();
    gesture ??= { rect: viewport.getBoundingClientRect(), factor: 1, panX: 0, at: { x: 0, y: 0 }, frame: 0 };
    const g = gesture;
    // Pinch gestures arrive as ctrl+wheel with small deltas; a mouse wheel step is ~100.
    const delta = event.deltaMode === 1 ? event.deltaY * 33 : event.deltaY;
    if (!event.ctrlKey && Math.abs(event.deltaX) > Math.abs(event.deltaY)) g.panX += event.deltaX;
    else {
      g.factor *= Math.exp(-delta * (event.ctrlKey ? 0.01 : 0.0015));
      g.at = { x: event.clientX - g.rect.left, y: event.clientY - g.rect.top };
    }
    if (!g.frame) g.frame = requestAnimationFrame(applyGesture);
    clearTimeout(g.quiet);
    g.quiet = setTimeout(() => {
      if (gesture !== g) return;
      if (g.frame) {
        cancelAnimationFrame(g.frame);
        applyGesture();
      }
      gesture = null;
      settle();
    }, settleMs);
  };

  let drag: { id: number; sx: number; sy: number; x0: number; y0: number; moved: boolean } | null = null;
  const onDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    drag = { id: event.pointerId, sx: event.clientX, sy: event.clientY, x0: x, y0: y, moved: false };
    const onMove = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.sx;
      const dy = e.clientY - drag.sy;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        viewport.setPointerCapture(drag.id);
        viewport.classList.add('dragging');
      }
      x = drag.x0 + dx;
      y = drag.y0 + dy;
      apply();
    };
    const onUp = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const moved = drag.moved;
      drag = null;
      viewport.classList.remove('dragging');
      viewport.removeEventListener('pointermove', onMove);
      viewport.removeEventListener('pointerup', onUp);
      viewport.removeEventListener('pointercancel', onUp);
      // A drag is not a click on the table under the pointer.
      if (moved) viewport.addEventListener('click', (c) => c.stopPropagation(), { capture: true, once: true });
    };
    viewport.addEventListener('pointermove', onMove);
    viewport.addEventListener('pointerup', onUp);
    viewport.addEventListener('pointercancel', onUp);
  };

  const onKey = (event: KeyboardEvent) => {
    if (event.target !== viewport) return;
    const step = 60;
    switch (event.key) {
      case 'ArrowLeft': x += step; break;
      case 'ArrowRight': x -= step; break;
      case 'ArrowUp': y += step; break;
      case 'ArrowDown': y -= step; break;
      case '+': case '=': api.zoomBy(1.2); return;
      case '-': case '_': api.zoomBy(1 / 1.2); return;
      case '0': api.fit(); return;
      default: return;
    }
    event.preventDefault();
    apply();
  };

  viewport.addEventListener('wheel', onWheel, { passive: false });
  viewport.addEventListener('pointerdown', onDown);
  viewport.addEventListener('keydown', onKey);
  api.fit();
  return api;
}
