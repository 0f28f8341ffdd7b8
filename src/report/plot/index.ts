/**
 * distil's dependency-free plotting: charts are laid out into a Scene, which renders to an
 * SVG string or rasterises to a PNG (own rasteriser, bitmap font and PNG encoder).
 */
import { barChartScene, type BarChartSpec } from './bar-chart.ts';
import { lineChartScene, type LineChartSpec } from './line-chart.ts';
import { encodePng } from './png.ts';
import { rasterize } from './raster.ts';
import type { Scene } from './scene.ts';
import { renderSvg } from './svg.ts';

export type { BarChartSpec, BarSeries } from './bar-chart.ts';
export type { LineChartSpec, LineSeries } from './line-chart.ts';
export type { Scene } from './scene.ts';
export { lineChartScene, barChartScene, renderSvg, rasterize, encodePng };

export interface Chart {
  scene: Scene;
  svg(): string;
  png(): Buffer;
}

function chart(scene: Scene): Chart {
  return {
    scene,
    svg: () => renderSvg(scene),
    png: () => {
      const cv = rasterize(scene);
      return encodePng(cv.width, cv.height, cv.rgba);
    },
  };
}

export function lineChart(spec: LineChartSpec): Chart {
  return chart(lineChartScene(spec));
}

export function barChart(spec: BarChartSpec): Chart {
  return chart(barChartScene(spec));
}
