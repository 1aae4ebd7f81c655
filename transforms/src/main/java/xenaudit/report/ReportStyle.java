package xenaudit.report;

/**
 * The page's inline style sheet: system fonts only, muted colours whose lightness alone tells the
 * categories apart (so greyscale print still reads), and print rules that keep cards and small tables
 * on one page.
 */
final class ReportStyle {
  private ReportStyle() {}

  static final String CSS = """
      :root {
        --ink: #1d2630; --muted: #5b6773; --faint: #8a949e; --line: #dde2e7; --panel: #f6f8fa;
        --accent: #2c4a66; --accent-soft: #e8eef4;
        --ok: #cfe7d8; --ok-ink: #1e5c38; --warn: #e9c46a; --warn-ink: #6b4b00;
        --bad: #9e2a2b; --bad-soft: #f8e1e1; --bad-ink: #7e1f20;
        --v-na: #cfe7d8; --v-mit: #8fb3d9; --v-unk: #7d8791; --v-exp: #9e2a2b;
        --f-present: #2c4a66; --f-unknown: #9aa5b1; --f-absent: #e4e8ec;
      }
      * { box-sizing: border-box; }
      html { -webkit-text-size-adjust: 100%; }
      body {
        margin: 0; background: #eef1f4; color: var(--ink);
        font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans",
          "Liberation Sans", "DejaVu Sans", Arial, sans-serif;
        font-size: 14px; line-height: 1.45;
      }
      main { max-width: 1120px; margin: 0 auto; padding: 28px 36px 40px; background: #fff; min-height: 100vh; }
      h1 { font-size: 26px; font-weight: 650; margin: 2px 0 14px; letter-spacing: -0.01em; }
      h2 {
        font-size: 19px; font-weight: 650; margin: 0 0 10px; padding-bottom: 6px;
        border-bottom: 2px solid var(--accent); color: var(--accent);
      }
      h3 { font-size: 15px; font-weight: 650; margin: 18px 0 8px; }
      h4 { font-size: 14px; font-weight: 650; margin: 0 0 6px; }
      section { margin-top: 30px; }
      p { margin: 6px 0 10px; }
      a { color: var(--accent); }
      code, .mono, .code {
        font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
        font-size: 12.5px;
      }
      code { background: var(--panel); border: 1px solid var(--line); border-radius: 3px; padding: 0 3px; }
      .dim { color: var(--muted); }
      .sub { color: var(--muted); font-size: 12px; font-weight: 400; }
      .lead { font-size: 14.5px; }
      .kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 11.5px; color: var(--muted); margin: 0; }

      .report-head { border-bottom: 1px solid var(--line); padding-bottom: 12px; }
      dl.meta {
        display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 6px 22px;
        margin: 0 0 12px;
      }
      dl.meta div { min-width: 0; }
      dl.meta dt { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
      dl.meta dd { margin: 0; overflow-wrap: anywhere; }
      .howto {
        background: var(--accent-soft); border-left: 4px solid var(--accent); padding: 8px 12px;
        border-radius: 0 4px 4px 0; font-size: 13.5px;
      }

      nav.toc { margin: 14px 0 0; }
      nav.toc h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; border: 0; margin: 0 0 4px;
        padding: 0; color: var(--muted); }
      nav.toc ol { margin: 0; padding-left: 20px; columns: 2; column-gap: 36px; }
      nav.toc li { margin: 1px 0; }

      .keyfigs { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-top: 20px; }
      .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; background: #fff; }
      .fig { border-top-width: 4px; }
      .fig-value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.2; }
      .fig-label { font-size: 12.5px; color: var(--muted); }
      .fig-label a { color: inherit; }
      .fig.ok { border-top-color: #5e9c76; }
      .fig.bad { border-top-color: var(--bad); }
      .fig.bad .fig-value { color: var(--bad-ink); }
      .fig.warn { border-top-color: #c8961e; }
      .fig.neutral { border-top-color: var(--accent); }

      .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 14px; margin-top: 12px; }
      .grid .card h3 { margin-top: 2px; }
      .grid.wide { grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }

      table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
      th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
      thead th {
        font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600;
        border-bottom: 1.5px solid #b9c2cb; background: var(--panel);
      }
      tfoot th, tfoot td { border-top: 1.5px solid #b9c2cb; border-bottom: 0; font-weight: 600; }
      tbody tr:nth-child(even) { background: #fafbfc; }
      th.num, td.num { text-align: right; white-space: nowrap; }
      table.small td, table.small th { padding: 4px 8px; }
      td.uri { overflow-wrap: anywhere; word-break: break-word; font-family: ui-monospace, "SFMono-Regular", Menlo,
        Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 12px; }
      td.id { overflow-wrap: anywhere; width: 290px; font-size: 12px; }
      table.list { margin-top: 6px; }
      table.narrow { max-width: 640px; }
      td.target { overflow-wrap: break-word; min-width: 130px; font-size: 12.5px; }
      table.compact { table-layout: fixed; font-size: 12.5px; }
      table.compact td, table.compact th { padding: 3px 8px; }
      table.compact col.c-id { width: 300px; }
      table.compact col.c-uri { width: 34%; }
      table.archives td.findings { min-width: 300px; }
      ol.first { margin: 0; padding-left: 18px; }
      ol.first li { margin-bottom: 3px; }
      .msg { overflow-wrap: anywhere; font-size: 12.5px; }
      .code { font-weight: 600; }
      .more { color: var(--muted); font-style: italic; margin-top: 6px; }
      .absent {
        color: var(--muted); background: var(--panel); border: 1px dashed #c4ccd4; border-radius: 4px; padding: 8px 12px;
      }
      .tag { font-family: system-ui, sans-serif; font-size: 10.5px; border: 1px solid #b9c2cb; border-radius: 8px;
        padding: 0 5px; color: var(--muted); }

      .badge, .sev, .chg, .vbadge {
        display: inline-block; font-size: 11.5px; font-weight: 600; padding: 1px 7px; border-radius: 10px;
        border: 1px solid transparent; white-space: nowrap;
      }
      .s-valid-b { background: var(--ok); color: var(--ok-ink); }
      .s-invalid-b { background: var(--bad); color: #fff; }
      .s-unreadable-b { background: #fff; color: var(--bad-ink); border: 1.5px dashed var(--bad); }
      .sev-error { background: var(--bad); color: #fff; }
      .sev-warning { background: var(--warn); color: #3d2b00; }
      .sev-info { background: var(--panel); color: var(--muted); border-color: var(--line); }
      .chg-plus { background: var(--accent-soft); color: var(--accent); }
      .chg-minus { background: var(--bad-soft); color: var(--bad-ink); }
      .vbadge.v-not-affected { background: var(--v-na); color: var(--ok-ink); }
      .vbadge.v-mitigation-available { background: var(--v-mit); color: #10263d; }
      .vbadge.v-unknown { background: var(--v-unk); color: #fff; }
      .vbadge.v-exposed { background: var(--v-exp); color: #fff; }
      .v-exposed-text { color: var(--bad-ink); font-weight: 700; }
      .v-unknown-text { font-weight: 600; }

      svg { display: block; overflow: visible; }
      svg .track { fill: #f1f3f5; stroke: #cfd6dd; stroke-width: 0.5; }
      svg .stripe { fill: #f7f9fa; }
      svg text { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono",
        monospace; font-size: 11.5px; fill: var(--ink); }
      svg text.note { fill: var(--muted); font-family: system-ui, "Segoe UI", Roboto, "Liberation Sans",
        "DejaVu Sans", sans-serif; }
      .s-valid { fill: #c4e3cf; }
      .s-invalid { fill: var(--bad); }
      .s-unreadable { fill: #c98f1c; }
      .v-not-affected { fill: var(--v-na); }
      .v-mitigation-available { fill: var(--v-mit); }
      .v-unknown { fill: var(--v-unk); }
      .v-exposed { fill: var(--v-exp); }
      .f-present { fill: var(--f-present); }
      .f-unknown { fill: var(--f-unknown); }
      .f-absent { fill: var(--f-absent); }
      .status-bar { margin: 10px 0 4px; }
      .status-bar .legend { margin-top: 6px; }
      .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12.5px; color: var(--muted); margin: 6px 0 10px; }
      .legend > span { display: inline-flex; align-items: center; gap: 6px; }
      .swatch { display: inline-block; width: 14px; height: 10px; border: 1px solid #9aa5b1; }
      .swatch.s-valid { background: #c4e3cf; }
      .swatch.s-invalid { background: var(--bad); }
      .swatch.s-unreadable { background: #c98f1c; }
      .faint { color: var(--faint); }
      .swatch.v-not-affected { background: var(--v-na); }
      .swatch.v-mitigation-available { background: var(--v-mit); }
      .swatch.v-unknown { background: var(--v-unk); }
      .swatch.v-exposed { background: var(--v-exp); }
      .swatch.f-present { background: var(--f-present); }
      .swatch.f-unknown { background: var(--f-unknown); }
      .swatch.f-absent { background: var(--f-absent); }

      table.verdicts th[scope=row] { font-weight: 650; white-space: nowrap; }
      table.verdicts th[scope=row] a { color: inherit; text-decoration: none; }
      table.verdicts td.num { font-size: 15px; }
      table.verdicts td.num a { color: inherit; text-decoration: none; border-bottom: 1px dotted currentColor; }
      table.verdicts td.dist { vertical-align: middle; width: 216px; }
      .issue { margin: 14px 0 0; padding-top: 10px; border-top: 1px solid var(--line); }
      details.guests { margin: 6px 0 10px; }
      details > summary { cursor: pointer; font-weight: 600; margin: 4px 0; }
      figure { margin: 14px 0; overflow-x: auto; }
      figcaption { font-weight: 650; margin-bottom: 6px; }
      details.all-features { margin-top: 14px; }
      table.features { max-width: 760px; }
      .split { display: grid; grid-template-columns: 1fr 1fr; gap: 0 20px; align-items: start; }
      .split table.features { max-width: none; }
      table.pools td:last-child { font-size: 12.5px; }
      footer { margin-top: 36px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }

      @page { size: A4; margin: 14mm 12mm 16mm; }
      @media print {
        * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { background: #fff; font-size: 10pt; }
        main { max-width: none; padding: 0; min-height: 0; }
        a { color: inherit; text-decoration: none; }
        table.verdicts td.num a { border-bottom: 0; }
        h2, h3, h4, figcaption, summary { break-after: avoid; page-break-after: avoid; }
        .card, .keyfigs, .legend, figure, table.small, table.verdicts, .status-bar, .howto, dl.meta, nav.toc,
        tr, li, .more, .absent {
          break-inside: avoid; page-break-inside: avoid;
        }
        thead { display: table-header-group; }
        tbody tr:nth-child(even) { background: transparent; }
        section { margin-top: 18px; }
        details > summary { list-style: none; cursor: auto; }
        details > summary::-webkit-details-marker { display: none; }
        .grid { grid-template-columns: 1fr 1fr; }
        .keyfigs { grid-template-columns: repeat(3, 1fr); }
        figure { overflow: visible; }
        svg.chart { max-width: 100%; height: auto; }
        footer { margin-top: 18px; }
      }
      """;
}
