/**
 * The drawing primitives a chart is laid out into. Charts are laid out once into a Scene
 * (pixel coordinates, origin top-left) and the same Scene is rendered to SVG or rasterised to
 * PNG, so the two outputs always agree.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type TextAnchor = 'start' | 'middle' | 'end';
export type TextBaseline = 'top' | 'middle' | 'bottom';

export type Prim =
  /** Axis-aligned filled rectangle. */
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string; alpha?: number }
  /** Open polyline; points are [x0, y0, x1, y1, ...]. */
  | { kind: 'line'; points: number[]; stroke: string; width: number; alpha?: number; clip?: Rect }
  /** Closed filled polygon; points are [x0, y0, x1, y1, ...]. */
  | { kind: 'polygon'; points: number[]; fill: string; alpha?: number; clip?: Rect }
  /** One line of text; (x, y) is the anchor point. `vertical` rotates it 90 degrees counter-clockwise. */
  | {
      kind: 'text';
      x: number;
      y: number;
      text: string;
      color: string;
      anchor: TextAnchor;
      baseline: TextBaseline;
      bold?: boolean;
      vertical?: boolean;
    };

export interface Scene {
  width: number;
  height: number;
  background: string;
  /** Integer scale of the bitmap font (and matching SVG font size). */
  fontScale: number;
  prims: Prim[];
}
