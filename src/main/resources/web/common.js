// Shared by the dashboard's two views (over time, and releases): the API client with the page's
// token, the error box, the per-dimension filter selects, the URL that holds a view's state, and the
// status line. Plain script; it defines window.EngagementUi.
window.EngagementUi = (function () {
  'use strict';

  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const $ = (id) => document.getElementById(id);
  let lastStatus = null;

  /** GETs a JSON answer; rejects with the API's error message (a 400 says what is wrong). */
  function api(path) {
    return fetch(path, { headers: token ? { Authorization: 'Bearer ' + token } : {} }).then(async (response) => {
      let body = {};
      try { body = await response.json(); } catch (e) { /* not JSON */ }
      if (!response.ok) {
        throw new Error(body.error || ('HTTP ' + response.status + ' from ' + path));
      }
      return body;
    });
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message;
    box.hidden = !message;
  }

  function isoDay(date) { return date.toISOString().slice(0, 10); }
  function addDays(day, n) { const d = new Date(day + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + n); return isoDay(d); }

  /** The filters in the page's URL: {dimension: [values]} for the given dimensions. */
  function filtersFromUrl(dimensions) {
    const filters = {};
    for (const d of dimensions) {
      const v = params.get(d.name);
      if (v) { filters[d.name] = v.split(',').filter(Boolean); }
    }
    return filters;
  }

  /** One multi-select per dimension (id filter-NAME), its top values plus any chosen ones. */
  function buildFilters(container, dimensions, filters) {
    for (const d of dimensions) {
      const label = document.createElement('label');
      label.textContent = d.name;
      const select = document.createElement('select');
      select.multiple = true;
      select.id = 'filter-' + d.name;
      select.dataset.dimension = d.name;
      const values = new Set((d.values || []).map((v) => v.value));
      (filters[d.name] || []).forEach((v) => values.add(v));
      for (const value of values) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = value;
        option.selected = (filters[d.name] || []).includes(value);
        select.appendChild(option);
      }
      label.appendChild(select);
      container.appendChild(label);
    }
  }

  /** The chosen filter values of the selects that buildFilters made in container. */
  function readFilters(container) {
    const filters = {};
    container.querySelectorAll('select').forEach((select) => {
      const chosen = Array.from(select.selectedOptions).map((o) => o.value);
      if (chosen.length) { filters[select.dataset.dimension] = chosen; }
    });
    return filters;
  }

  function setFilters(q, filters) {
    for (const [name, values] of Object.entries(filters)) { q.set(name, values.join(',')); }
  }

  /** Puts a view's state in the address bar (with the token, if the page has one). */
  function writeUrl(q) {
    if (token) { q.set('token', token); }
    history.replaceState(null, '', '?' + q.toString());
  }

  /** A link to another view that keeps the token and the filters. */
  function link(path, filters) {
    const q = new URLSearchParams();
    setFilters(q, filters);
    if (token) { q.set('token', token); }
    const s = q.toString();
    return path + (s ? '?' + s : '');
  }

  async function refreshStatus() {
    try {
      const s = await api('/v1/status');
      const now = Date.now();
      let rate = '';
      if (lastStatus && s.pings.total >= lastStatus.total) {
        rate = ' · ingest ' + Math.round((s.pings.total - lastStatus.total) * 1000 / (now - lastStatus.at)).toLocaleString() + ' pings/s';
      }
      lastStatus = { total: s.pings.total, at: now };
      $('freshness').textContent = 'last ping ' + (s.lastIngestedTimestamp || 'none yet') + ' · consumer lag '
        + (s.consumerLag === null || s.consumerLag === undefined ? '?' : s.consumerLag.toLocaleString()) + rate
        + ' · streams ' + s.state;
    } catch (e) {
      $('freshness').textContent = 'status unavailable: ' + e.message;
    }
  }

  /** Draws into element, reusing the chart when it has the same series. */
  function draw(element, existing, options, data) {
    const width = Math.max(400, element.clientWidth || 900);
    if (existing && existing.series.length === options.series.length) {
      existing.setData(data);
      return existing;
    }
    if (existing) { existing.destroy(); }
    return new uPlot(Object.assign({ width }, options), data, element);
  }

  /**
   * Adds one line to a chart's {data, series, bands}: the metric's estimate over rows (solid where
   * complete; dashed where not, joined to its complete neighbours so the line is unbroken), its ~95 %
   * band, and hollow grey marks on low-sample rows. lineOptions are merged into the two line series.
   */
  function addLine(chart, rows, label, index, metric, lineOptions) {
    const color = COLORS[index % COLORS.length];
    const value = (r, f) => (r && r[metric] ? r[metric][f] : null);
    const base = chart.data.length;
    chart.data.push(rows.map((r) => (r && r.complete ? value(r, 'estimate') : null)));
    chart.data.push(rows.map((r, i) => {
      const near = (j) => rows[j] && !rows[j].complete;
      return r && (!r.complete || near(i - 1) || near(i + 1)) ? value(r, 'estimate') : null;
    }));
    chart.data.push(rows.map((r) => value(r, 'lower')));
    chart.data.push(rows.map((r) => value(r, 'upper')));
    chart.data.push(rows.map((r) => (r && r.lowSample ? value(r, 'estimate') : null)));
    chart.series.push(Object.assign({ label, stroke: color, width: 2, spanGaps: false }, lineOptions));
    chart.series.push(Object.assign({ label: label + ' (incomplete)', stroke: color, width: 2, dash: [6, 4],
      spanGaps: false }, lineOptions));
    chart.series.push({ label: label + ' lower', stroke: 'transparent', points: { show: false } });
    chart.series.push({ label: label + ' upper', stroke: 'transparent', points: { show: false } });
    chart.series.push({ label: label + ' (low sample)', stroke: '#888', paths: () => null,
      points: { show: true, size: 9, width: 2, stroke: '#888', fill: '#fff' } });
    chart.bands.push({ series: [base + 3, base + 2], fill: color + '26' });
  }

  /** One swatch per series label (the charts' own legends would list the band and marker series too). */
  function legend(element, labels, note) {
    element.innerHTML = '';
    labels.forEach((label, i) => {
      const item = document.createElement('span');
      item.className = 'swatch';
      item.style.setProperty('--color', COLORS[i % COLORS.length]);
      item.textContent = label;
      element.appendChild(item);
    });
    if (note) {
      element.appendChild(document.createTextNode(note));
    }
  }

  return { COLORS, params, token, $, api, showError, isoDay, addDays, filtersFromUrl, buildFilters, readFilters,
    setFilters, writeUrl, link, refreshStatus, draw, addLine, legend };
})();
