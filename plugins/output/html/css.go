package html

// css is the page's only style sheet, inline so the page needs nothing
// else. Each run is a flex column (main.run) so its summary, written last,
// is shown first; its .pending notice hides itself once the run has a
// summary. Rules are scoped to the run so a report appended to another
// (--append-output) shows each run whole, one after the other.
const css = `
:root{--fg:#1d2433;--dim:#6b7280;--line:#e3e7ee;--bg:#f6f8fb;--open:#2e7d32;--closed:#8a94a6;--filtered:#e07b00;--openf:#7cb342;--unf:#1e88e5;--closedf:#8d6e63}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:#fff}
main.run{display:flex;flex-direction:column;gap:8px;margin-bottom:40px}
main.run>*{min-width:0}
section{overflow-x:auto}
header{order:-3;border-bottom:3px solid var(--fg);padding-bottom:8px}
.run>.pending{order:-2}
.run>.summary{order:-1}
.run:has(>.summary)>.pending{display:none}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:18px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta{color:var(--dim);margin:2px 0}
.args{background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:6px 10px;margin:6px 0;white-space:pre-wrap;word-break:break-all;font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
.notice{background:#fff4e5;border-left:4px solid var(--filtered);padding:8px 12px;margin:8px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.card{min-width:130px;padding:10px 14px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--dim)}
.card .big{display:block;font-size:26px;font-weight:600;color:var(--fg)}
.card.up .big,.card.open .big{color:var(--open)}
.card.down .big{color:var(--closed)}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-weight:600;background:var(--bg);border-bottom:2px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}
td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
td.addr{font-family:ui-monospace,"DejaVu Sans Mono",monospace;white-space:nowrap}
.dim,.mac{color:var(--dim)}
.status{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;background:var(--closed)}
.status.up{background:var(--open)}
.status.warn{background:var(--filtered)}
tr.host.down td{color:var(--dim)}
.port{display:inline-block;margin:1px 4px 3px 0;padding:1px 7px;border-radius:4px;border:1px solid var(--line);border-left:4px solid var(--closed);background:#fff;overflow-wrap:anywhere}
.port.open{border-left-color:var(--open)}
.port.filtered{border-left-color:var(--filtered)}
.port.open-filtered{border-left-color:var(--openf)}
.port.unfiltered{border-left-color:var(--unf)}
.port.closed-filtered{border-left-color:var(--closedf)}
.count{display:inline-block;min-width:22px;text-align:center;font-weight:600;background:var(--bg);border-radius:9px;margin-right:6px}
figure.chart{margin:10px 0}
figcaption{color:var(--dim);font-size:12px}
svg .lbl,svg .cnt{font:13px system-ui,"DejaVu Sans",sans-serif;fill:var(--fg)}
svg .bar{fill:var(--closed)}
svg .bar.open{fill:var(--open)}
svg .bar.filtered{fill:var(--filtered)}
svg .bar.open-filtered{fill:var(--openf)}
svg .bar.unfiltered{fill:var(--unf)}
svg .bar.closed-filtered{fill:var(--closedf)}
footer{order:10;color:var(--dim);font-size:12px;border-top:1px solid var(--line);padding-top:8px;margin-top:16px}
@media print{body{padding:0;max-width:none}.card,.port,th,.args{-webkit-print-color-adjust:exact;print-color-adjust:exact}tr{break-inside:avoid}}
`
