/**
 * Pan and zoom for one SVG inside a viewport element: wheel zooms around the pointer,
 * dragging pans, and the viewport is focusable (arrows pan, + / - zoom, 0 fits).
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

export function panZoom(viewport: HTMLElement, svg: SVGSVGElement | HTMLElement, onChange?: (k: number) => void, size?: { width: number; height: number }): PanZoom {
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
  const apply = () => {
    svg.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    onChange?.(k);
  };
  const clampK = (v: number) => Math.min(maxK, Math.max(minK, v));

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
    },
    scale: () => k,
    moveTo(nk, cx, cy, vx, vy) {
      k = clampK(nk);
      x = vx - cx * k;
      y = vy - cy * k;
      apply();
    },
    destroy() {
      viewport.removeEventListener('wheel', onWheel);
      viewport.removeEventListener('pointerdown', onDown);
      viewport.removeEventListener('keydown', onKey);
    },
  };

  const onWheel = (event: WheelEvent) => {
    event.preventDefault();
    const rect = viewport.getBoundingClientRect();
    // Pinch gestures arrive as ctrl+wheel with small deltas; a mouse wheel step is ~100.
    const delta = event.deltaMode === 1 ? event.deltaY * 33 : event.deltaY;
    if (!event.ctrlKey && Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      x -= event.deltaX;
      apply();
      return;
    }
    api.zoomBy(Math.exp(-delta * (event.ctrlKey ? 0.01 : 0.0015)), { x: event.clientX - rect.left, y: event.clientY - rect.top });
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
