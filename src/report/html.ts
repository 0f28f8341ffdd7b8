/**
 * HTML building blocks for the report: escaping (everything from a run folder is untrusted
 * text, and rollouts are model output), tables, figures and the page shell with inline CSS.
 * The page loads nothing from the network.
 */

/** Escape text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A table from already-rendered cell HTML. */
export function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

/** An embedded PNG (data URI) with a caption; `file` is the same image written beside the report. */
export function figure(png: Buffer, file: string, alt: string, caption?: string, width = 900): string {
  const src = `data:image/png;base64,${png.toString('base64')}`;
  const cap = caption ? `<figcaption>${caption} <a href="${esc(file)}">(${esc(file)})</a></figcaption>` : '';
  return `<figure><img src="${src}" alt="${esc(alt)}" width="${width}">${cap}</figure>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** Percent with one decimal. */
export function pct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1);
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1000px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}.muted{color:#666}.small{font-size:.88em}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#f3f8ff}.pass{color:#067d3a;font-weight:600}.fail{color:#b3261e;font-weight:600}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.88em;color:#555}
.summary li{margin:.4em 0}
.rollout{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.rollout h4{margin:.2em 0 .5em}
pre{white-space:pre-wrap;word-break:break-word;background:#fafafa;border:1px solid #eee;padding:.5em;margin:.3em 0;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
.tokens span{border-radius:2px}
.legend-bar{display:inline-block;width:200px;height:12px;vertical-align:middle;border:1px solid #ccc;background:linear-gradient(to right,#ffffff,#dc2828)}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;font-weight:600}
.ok{background:#e3f4e8;color:#067d3a}.bad{background:#fbe4e2;color:#b3261e}
details{margin:.4em 0}summary{cursor:pointer;color:#0b57d0}
.warn{background:#fff8e1;border:1px solid #f0d98c;padding:.4em .8em}
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}
