// Releases view: a metric by days since release, one line per version with its ~95 % band,
// low-sample points hollow and grey, incomplete points dashed; above it, the newest chosen version
// beside the one before at the same age, in words. State lives in the URL. Uses common.js and uPlot.
(function () {
  'use strict';

  const ui = window.EngagementUi;
  const { params, $, api, showError } = ui;
  const LABELS = { er: 'ER', er_smoothed: 'smoothed ER', dau: 'DAU', mau: 'MAU', uptake: 'uptake' };
  const TITLES = { er: 'Engagement ratio (DAU / MAU)', er_smoothed: 'Smoothed engagement ratio',
    dau: 'Daily active clients', uptake: 'Uptake: share of all DAU on the version' };
  /** Fetched for the comparison block; the chart shows the picked one. */
  const METRICS = ['er', 'er_smoothed', 'dau', 'uptake'];
  const isCount = (m) => m === 'dau' || m === 'mau';
  const state = { metric: 'er', versions: [], ageFrom: 0, ageTo: 27, compareAge: null, filters: {} };
  let dimension = params.get('dimension') || null;
  let chart = null;
  let lastFingerprint = null;

  /**
   * Version-aware order, newest first: numeric parts compared as numbers (134.0 > 133.0.2 > 133.0),
   * and a pre-release (a1, b3) before its release.
   */
  function compareVersions(a, b) {
    const parse = (v) => {
      const m = /^(\d+(?:\.\d+)*)(?:([A-Za-z]+)(\d*))?/.exec(v);
      if (!m) { return { nums: [], pre: v }; }
      return { nums: m[1].split('.').map(Number), pre: m[2] ? m[2] + '.' + (m[3] || '0').padStart(6, '0') : null };
    };
    const x = parse(a);
    const y = parse(b);
    for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
      const d = (y.nums[i] || 0) - (x.nums[i] || 0);
      if (d) { return d; }
    }
    if (x.pre === y.pre) { return 0; }
    if (x.pre === null) { return -1; }
    if (y.pre === null) { return 1; }
    return x.pre < y.pre ? 1 : -1;
  }

  const isRelease = (v) => /^\d+(\.\d+)*$/.test(v);

  function fmt(metric, v) {
    return isCount(metric) ? Math.round(v).toLocaleString('en-US') : v.toFixed(3);
  }

  async function init() {
    let listing;
    try {
      listing = await api('/v1/dimensions?limit=100');
    } catch (e) {
      showError('Cannot list dimensions: ' + e.message);
      setTimeout(init, 5000);
      return;
    }
    if (!dimension) {
      // The configured release dimension (engagement.release.dimension): the endpoint says which.
      try {
        dimension = (await api('/v1/releases?ages=0..0&metrics=dau')).dimension;
      } catch (e) {
        dimension = 'app_version';
      }
    }
    const dimensions = (listing.dimensions || []).filter((d) => d.name !== dimension);
    const versionValues = ((listing.dimensions || []).find((d) => d.name === dimension) || { values: [] })
      .values.map((v) => v.value).sort(compareVersions);
    state.metric = TITLES[params.get('metric')] ? params.get('metric') : 'er';
    const ages = /^(\d+)\.\.(\d+)$/.exec(params.get('ages') || '');
    if (ages) { state.ageFrom = Number(ages[1]); state.ageTo = Number(ages[2]); }
    state.compareAge = params.get('compareAge') ? Number(params.get('compareAge')) : null;
    state.filters = ui.filtersFromUrl(dimensions);
    // Default: the three newest releases (pre-releases such as 137.0b2 can be picked).
    state.versions = params.get('versions') ? params.get('versions').split(',').filter(Boolean)
      : versionValues.filter(isRelease).slice(0, 3);
    buildControls(dimensions, versionValues);
    writeUrl();
    await refresh();
    await ui.refreshStatus();
    setInterval(refresh, 5000);
    setInterval(ui.refreshStatus, 5000);
  }

  function buildControls(dimensions, versionValues) {
    $('metric').value = state.metric;
    $('ageFrom').value = state.ageFrom;
    $('ageTo').value = state.ageTo;
    $('compareAge').value = state.compareAge === null ? '' : state.compareAge;
    const versions = $('versions');
    const all = Array.from(new Set(versionValues.concat(state.versions))).sort(compareVersions);
    for (const v of all) {
      const option = document.createElement('option');
      option.value = v;
      option.textContent = v;
      option.selected = state.versions.includes(v);
      versions.appendChild(option);
    }
    ui.buildFilters($('filters'), dimensions, state.filters);
    $('controls').addEventListener('change', () => { readControls(); writeUrl(); refresh(); });
  }

  function readControls() {
    state.metric = $('metric').value;
    state.versions = Array.from($('versions').selectedOptions).map((o) => o.value);
    state.ageFrom = Number($('ageFrom').value || 0);
    state.ageTo = Number($('ageTo').value || 27);
    state.compareAge = $('compareAge').value === '' ? null : Number($('compareAge').value);
    state.filters = ui.readFilters($('filters'));
  }

  /** The view's state as query parameters; with metrics, the API request. */
  function query(metrics) {
    const q = new URLSearchParams();
    if (params.get('dimension')) { q.set('dimension', params.get('dimension')); }
    if (state.versions.length) { q.set('versions', state.versions.join(',')); }
    q.set('ages', state.ageFrom + '..' + state.ageTo);
    if (state.compareAge !== null) { q.set('compareAge', state.compareAge); }
    if (metrics) { q.set('metrics', metrics); } else { q.set('metric', state.metric); }
    ui.setFilters(q, state.filters);
    return q;
  }

  function writeUrl() {
    ui.writeUrl(query(null));
    $('overTimeLink').href = ui.link('/', state.filters);
  }

  async function refresh() {
    let answer;
    try {
      answer = await api('/v1/releases?' + query(METRICS.join(',')).toString());
    } catch (e) {
      showError(e.message);
      return;
    }
    showError(answer.partitions && answer.partitions.answered < answer.partitions.total
      ? 'Partial answer: ' + answer.partitions.answered + ' of ' + answer.partitions.total
        + ' partitions could be read; numbers are too low and marked incomplete.' : '');
    const fingerprint = JSON.stringify([answer.rows, answer.comparison, answer.comparisonNote]) + state.metric;
    if (fingerprint === lastFingerprint) { return; }
    lastFingerprint = fingerprint;
    render(answer);
  }

  /** The comparison block of one metric in words, e.g. "... lower by 0.019 ± 0.016, significant". */
  function sentence(c, metric) {
    const m = c.metrics[metric];
    if (!m) { return null; }
    const f = (v) => fmt(metric, v);
    const d = m.difference;
    const direction = d.estimate < 0 ? 'lower by ' + f(-d.estimate) : d.estimate > 0 ? 'higher by ' + f(d.estimate) : 'equal';
    return c.newer.version + ' at day ' + c.age + ': ' + LABELS[metric] + ' ' + f(m.newer.estimate)
      + ' [' + f(m.newer.lower) + ', ' + f(m.newer.upper) + '] vs ' + c.older.version + ' at day ' + c.age + ': '
      + f(m.older.estimate) + ' [' + f(m.older.lower) + ', ' + f(m.older.upper) + ']; ' + direction
      + ' ± ' + f((d.upper - d.lower) / 2) + ', ' + (m.significant ? 'significant' : 'not significant');
  }

  function renderComparison(answer) {
    const box = $('comparison');
    box.innerHTML = '';
    const c = answer.comparison;
    if (!c) {
      const p = document.createElement('p');
      p.className = 'note';
      p.textContent = answer.comparisonNote || 'No comparison: choose at least two versions.';
      box.appendChild(p);
      return [];
    }
    // The picked metric first, then the others the answer has.
    const order = [state.metric].concat(Object.keys(c.metrics).filter((m) => m !== state.metric));
    const lines = [];
    for (const metric of order) {
      const text = sentence(c, metric);
      if (!text) { continue; }
      const p = document.createElement('p');
      p.textContent = text;
      p.dataset.metric = metric;
      if (c.metrics[metric].significant) { p.className = 'significant'; }
      box.appendChild(p);
      lines.push(text);
    }
    return lines;
  }

  /** Rows as aligned arrays: one entry per age, one series per version (release-day order). */
  function shape(answer) {
    const ages = [];
    for (let a = answer.ages.from; a <= answer.ages.to; a++) { ages.push(a); }
    const versions = answer.versions.map((v) => ({ label: v.version, releaseDay: v.releaseDay, rows: new Array(ages.length).fill(null) }));
    const byVersion = new Map(versions.map((v) => [v.label, v]));
    for (const row of answer.rows) {
      const v = byVersion.get(row.version);
      if (v && row.age >= answer.ages.from && row.age <= answer.ages.to) { v.rows[row.age - answer.ages.from] = row; }
    }
    return { ages, versions };
  }

  function render(answer) {
    const metric = state.metric;
    const comparison = renderComparison(answer);
    const { ages, versions } = shape(answer);
    $('mainTitle').textContent = TITLES[metric] + ' by days since release';
    const data = [ages];
    const series = [{ label: 'day' }];
    const bands = [];
    versions.forEach((v, vi) => ui.addLine({ data, series, bands }, v.rows, v.label, vi, metric,
      { points: { show: false } }));
    chart = ui.draw($('main'), chart, {
      height: 360, series, bands, scales: { x: { time: false } }, legend: { show: false },
      axes: [{ label: 'days since release', values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? t : '')) },
        { size: 70, values: (u, ticks) => ticks.map((t) => (isCount(metric) ? Math.round(t).toLocaleString('en-US') : t.toFixed(2))) }],
      hooks: { setCursor: [(u) => tooltip(u, ages, versions, metric, answer)] }
    }, data);
    ui.legend($('mainLegend'), versions.map((v) => v.label + ' (released ' + v.releaseDay + ')'), '');
    window.releases = {
      chart, metric, ages, versions: versions.map((v) => v.label), comparison,
      points: versions.reduce((n, v) => n + v.rows.filter((r) => r && r[metric]).length, 0),
      lowSamplePoints: versions.reduce((n, v) => n + v.rows.filter((r) => r && r.lowSample).length, 0),
      showTooltip: (ageIndex) => showTooltipAt(ages, versions, metric, answer, ageIndex, 20, 20)
    };
  }

  function tooltip(u, ages, versions, metric, answer) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) { $('tooltip').hidden = true; return; }
    const box = u.over.getBoundingClientRect();
    showTooltipAt(ages, versions, metric, answer, idx, box.left + u.cursor.left + 14, box.top + u.cursor.top + 14);
  }

  function showTooltipAt(ages, versions, metric, answer, idx, x, y) {
    const lines = ['<b>day ' + ages[idx] + ' since release</b>'];
    for (const v of versions) {
      const r = v.rows[idx];
      if (!r || !r[metric]) { continue; }
      const m = r[metric];
      let line = v.label + ' (' + r.day + '): ' + fmt(metric, m.estimate) + ' [' + fmt(metric, m.lower) + ', '
        + fmt(metric, m.upper) + ']';
      if (r.lowSample) {
        line += '<br><span class="low">low sample: fewer than ' + answer.lowSampleThreshold
          + ' clients behind the number, too few for it to mean much</span>';
      }
      if (!r.complete) { line += '<br><i>incomplete: the day is within grace, or partitions are missing</i>'; }
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
