/**
 * Charts of a report are registered while the sections are written (cheap: a placeholder)
 * and rendered afterwards in one pass, so the caller knows how many there are and can show
 * progress while they are drawn (rasterising is the slow part).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { figure } from './html.ts';
import type { Chart } from './charts/index.ts';

/** Where a section puts a chart: the report renders files, the dashboard sends the spec to the page. */
export interface FigureSink {
  /** HTML standing for the figure; `make` is called at most once, when the chart is needed. */
  figure(name: string, make: () => Chart, alt: string, caption?: string): string;
}

interface Job {
  file: string;
  make: () => Chart;
  alt: string;
  caption?: string;
}

export class Assets implements FigureSink {
  private jobs: Job[] = [];
  private used = new Set<string>();
  private byName = new Map<string, string>();

  /** A stand-in for the figure in the HTML; `name` becomes the file name (made unique and safe). */
  figure(name: string, make: () => Chart, alt: string, caption?: string): string {
    let base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
    for (let i = 2; this.used.has(base); i++) base = `${base.replace(/-\d+$/, '')}-${i}`;
    this.used.add(base);
    if (!this.byName.has(name)) this.byName.set(name, `${base}.png`);
    this.jobs.push({ file: `${base}.png`, make, alt, caption });
    return `\u0000FIG${this.jobs.length - 1}\u0000`;
  }

  /** The PNG file name (relative to the output folder) of the first figure registered as `name`. */
  fileFor(name: string): string | undefined {
    return this.byName.get(name);
  }

  get count(): number {
    return this.jobs.length;
  }

  /**
   * Render every chart to PNG and SVG files in outDir and replace the stand-ins in html with
   * figures embedding the PNG. Returns the final HTML and the PNG paths.
   */
  render(html: string, outDir: string, onChart?: (done: number, total: number, file: string) => void, pixelRatio = 2): { html: string; pngs: string[] } {
    const figs: string[] = [];
    const pngs: string[] = [];
    this.jobs.forEach((job, i) => {
      const chart = job.make();
      const png = chart.png(pixelRatio);
      const path = join(outDir, job.file);
      writeFileAtomic(path, png);
      writeFileAtomic(path.replace(/\.png$/, '.svg'), chart.svg());
      pngs.push(path);
      figs.push(figure(png, job.file, job.alt, job.caption, chart.size.width));
      onChart?.(i + 1, this.jobs.length, job.file);
    });
    return { html: html.replace(/\u0000FIG(\d+)\u0000/g, (_, i) => figs[Number(i)]), pngs };
  }
}
