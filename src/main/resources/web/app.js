// Engagement dashboard: the chosen metric over time, one line per group, with its ~95 % band;
// low-sample points hollow and grey, incomplete days dashed; the DAU and MAU behind a ratio below.
// State lives in the URL. Plain script, one dependency (uPlot, served by the app), and common.js.
(function () {
  'use strict';

  const { COLORS, params, $, api, showError, isoDay, addDays, draw } = window.EngagementUi;
  const ui = window.EngagementUi;
  const TITLES = { er: 'Engagement ratio (DAU / MAU)', er_smoothed: 'Smoothed engagement ratio (mean DAU over 7 days / MAU)',
    dau: 'Daily active clients', wau: 'Weekly active clients (7 days)', mau: 'Monthly active clients (28 days)' };
  const isRatio = (m) => m === 'er' || m === 'er_smoothed';
  const state = { from: null, to: null, metric: 'er', groupBy: '', filters: {} };
  let dimensions = [];
  let mainChart = null;
  let countsChart = null;
  let lastAnswer = null;

  async function init() {
    let listing;
    try {
      listing = await api('/v1/dimensions?limit=100');
    } catch (e) {
      showError('Cannot list dimensions: ' + e.message);
      setTimeout(init, 5000);
      return;
    }
    dimensions = listing.dimensions || [];
    const latest = listing.day || isoDay(new Date());
    state.to = params.get('to') || latest;
    state.from = params.get('from') || addDays(state.to, -59);
    state.metric = TITLES[params.get('metric')] ? params.get('metric') : 'er';
    state.groupBy = params.get('groupBy') || '';
    state.filters = ui.filtersFromUrl(dimensions);
    buildControls();
    writeUrl();
    await refresh();
    await ui.refreshStatus();
    setInterval(refresh, 5000);
    setInterval(ui.refreshStatus, 5000);
  }

  function buildControls() {
    $('from').value = state.from;
    $('to').value = state.to;
    $('metric').value = state.metric;
    const groupBy = $('groupBy');
    for (const d of dimensions) {
      const option = document.createElement('option');
      option.value = d.name;
      option.textContent = d.name;
      groupBy.appendChild(option);
    }
    groupBy.value = state.groupBy;
    ui.buildFilters($('filters'), dimensions, state.filters);
    $('controls').addEventListener('change', () => { readControls(); writeUrl(); refresh(); });
  }

  function readControls() {
    state.from = $('from').value;
    state.to = $('to').value;
    state.metric = $('metric').value;
    state.groupBy = $('groupBy').value;
    state.filters = ui.readFilters($('filters'));
  }

  function query(extra) {
    const q = new URLSearchParams();
    q.set('from', state.from);
    q.set('to', state.to);
    if (extra) { q.set('metrics', extra); } else { q.set('metric', state.metric); }
    if (state.groupBy) { q.set('groupBy', state.groupBy); }
    ui.setFilters(q, state.filters);
    return q;
  }

  function writeUrl() {
    ui.writeUrl(query(null));
    $('releasesLink').href = ui.link('/ui/releases.html', state.filters);
  }

  async function refresh() {
    const metrics = isRatio(state.metric) ? state.metric + ',dau,mau' : state.metric;
    let answer;
    try {
      answer = await api('/v1/engagement?' + query(metrics).toString());
    } catch (e) {
      showError(e.message);
      return;
    }
    const notes = [];
    if (answer.partitions && answer.partitions.answered < answer.partitions.total) {
      notes.push('Partial answer: ' + answer.partitions.answered + ' of ' + answer.partitions.total
        + ' partitions could be read; numbers are too low and marked incomplete.');
    }
    if (answer.notRecorded) {
      // Days written under an earlier list of dimensions: shown dashed, their clients grouped as (not recorded).
      notes.push('Not recorded: ' + answer.reason + '.');
    }
    showError(notes.join(' '));
    const fingerprint = JSON.stringify(answer.rows) + state.metric;
    if (lastAnswer && lastAnswer.fingerprint === fingerprint) { return; }
    lastAnswer = { answer, fingerprint };
    render(answer);
  }

  /** Rows grouped into aligned arrays: one entry per day of the answer. */
  function shape(answer) {
    const days = Array.from(new Set(answer.rows.map((r) => r.day))).sort();
    const index = new Map(days.map((d, i) => [d, i]));
    const groups = new Map();
    for (const row of answer.rows) {
      const key = Object.entries(row.group).map(([k, v]) => k + '=' + v).join(', ') || 'all';
      if (!groups.has(key)) { groups.set(key, { label: key, rows: new Array(days.length).fill(null) }); }
      groups.get(key).rows[index.get(row.day)] = row;
    }
    const xs = days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
    return { days, xs, groups: Array.from(groups.values()) };
  }

  function render(answer) {
    const metric = state.metric;
    const { days, xs, groups } = shape(answer);
    $('mainTitle').textContent = TITLES[metric];
    const data = [xs];
    const series = [{}];
    const bands = [];
    groups.forEach((g, gi) => ui.addLine({ data, series, bands }, g.rows, g.label, gi, metric));
    mainChart = draw($('main'), mainChart, {
      title: '', height: 340, series, bands, axes: axes(isRatio(metric)),
      scales: { x: { time: true } }, cursor: { sync: { key: 'engagement' } },
      legend: { show: false }, hooks: { setCursor: [(u) => tooltip(u, days, groups, metric)] }
    }, data);
    ui.legend($('mainLegend'), groups.map((g) => g.label), '');

    const counts = $('countsSection');
    counts.hidden = !isRatio(metric);
    if (isRatio(metric)) {
      const cdata = [xs];
      const cseries = [{}];
      groups.forEach((g, gi) => {
        const color = COLORS[gi % COLORS.length];
        cdata.push(g.rows.map((r) => (r && r.dau ? r.dau.estimate : null)));
        cdata.push(g.rows.map((r) => (r && r.mau ? r.mau.estimate : null)));
        cseries.push({ label: g.label + ' DAU', stroke: color, width: 1.5 });
        cseries.push({ label: g.label + ' MAU', stroke: color, width: 1.5, dash: [2, 3] });
      });
      countsChart = draw($('counts'), countsChart, {
        height: 220, series: cseries, axes: axes(false), scales: { x: { time: true } }, legend: { show: false },
        cursor: { sync: { key: 'engagement' } }, hooks: { setCursor: [(u) => tooltip(u, days, groups, metric)] }
      }, cdata);
      ui.legend($('countsLegend'), groups.map((g) => g.label), ' — solid: DAU, dotted: MAU');
    }
    window.engagement = {
      chart: mainChart, groups: groups.map((g) => g.label), days,
      lowSamplePoints: groups.reduce((n, g) => n + g.rows.filter((r) => r && r.lowSample).length, 0),
      incompletePoints: groups.reduce((n, g) => n + g.rows.filter((r) => r && !r.complete).length, 0),
      showTooltip: (groupIndex, dayIndex) => showTooltipAt(groups, days, metric, dayIndex, 20, 20)
    };
  }

  function axes(ratio) {
    return [{}, { size: 70, values: (u, ticks) => ticks.map((v) => (ratio ? v.toFixed(2) : Math.round(v).toLocaleString())) }];
  }

  function tooltip(u, days, groups, metric) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) { $('tooltip').hidden = true; return; }
    const box = u.over.getBoundingClientRect();
    showTooltipAt(groups, days, metric, idx, box.left + u.cursor.left + 14, box.top + u.cursor.top + 14);
  }

  function showTooltipAt(groups, days, metric, idx, x, y) {
    const fmt = (v) => (isRatio(metric) ? v.toFixed(3) : Math.round(v).toLocaleString());
    const lines = ['<b>' + days[idx] + '</b>'];
    for (const g of groups) {
      const r = g.rows[idx];
      if (!r || !r[metric]) { continue; }
      const m = r[metric];
      let line = g.label + ': ' + fmt(m.estimate) + ' [' + fmt(m.lower) + ', ' + fmt(m.upper) + ']';
      if (r.dau) { line += ' · DAU ' + Math.round(r.dau.estimate).toLocaleString(); }
      if (r.mau) { line += ' · MAU ' + Math.round(r.mau.estimate).toLocaleString(); }
      if (r.lowSample) {
        line += '<br><span class="low">low sample: ' + (r.mau ? 'MAU ' + Math.round(r.mau.estimate) : 'the count')
          + ' is below ' + lastAnswer.answer.lowSampleThreshold + ' clients, too few for the number to mean much</span>';
      }
      if (r.notRecorded) {
        line += '<br><i>not recorded: ' + r.notRecorded.join(', ') + ' was not a dimension when some of these days were written</i>';
      } else if (!r.complete) { line += '<br><i>incomplete: the window starts before the data, the day is within grace, or partitions are missing</i>'; }
      lines.push(line);
    }
    const tip = $('tooltip');
    tip.innerHTML = lines.join('<br>');
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
    tip.hidden = false;
  }

  init();
})();
