// Charts, with Chart.js (docs/decisions.md): only the parts used are
// registered, so the bundle carries bar and line charts and nothing else.
import { Chart, BarController, LineController, BarElement, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Filler } from 'chart.js';
import { format } from './format.js';

Chart.register(BarController, LineController, BarElement, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Filler);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#4a5468';
Chart.defaults.animation = false; // numbers appear at once; nothing moves under the pointer

const BAR_MAX = 15; // categories drawn in a horizontal bar chart (the table has all)
const live = new Set();

export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}

// Draw rows (objects with the dimension and the metric) into canvas.
// onPick(i) is called with the row index of a clicked bar or point.
export function drawChart(canvas, kind, rows, dim, metric, unit, currency, onPick) {
  const shown = kind === 'hbar' ? rows.slice(0, BAR_MAX) : rows;
  const labels = shown.map((r) => (r[dim] === null || r[dim] === undefined ? '(none)' : String(r[dim])));
  const values = shown.map((r) => r[metric]);
  const line = kind === 'line';
  const horizontal = kind === 'hbar';
  if (horizontal) canvas.parentElement.style.height = `${Math.max(160, 26 * shown.length + 40)}px`;
  const valueAxis = {
    beginAtZero: true,
    ticks: { callback: (v) => format(v, unit, currency, true) },
    grid: { color: '#e6e9ef' },
  };
  const chart = new Chart(canvas, {
    type: line ? 'line' : 'bar',
    data: {
      labels,
      datasets: [
        {
          data: values,
          backgroundColor: line ? 'rgba(36,86,199,.12)' : '#2456c7',
          borderColor: '#2456c7',
          borderWidth: line ? 2 : 0,
          fill: line,
          cubicInterpolationMode: 'monotone',
          pointRadius: line ? 2.5 : 0,
          maxBarThickness: 34,
        },
      ],
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      scales: horizontal ? { x: valueAxis, y: { grid: { display: false } } } : { y: valueAxis, x: { grid: { display: false } } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (c) => format(c.raw, unit, currency, false) } },
      },
      onClick: (_e, els) => {
        if (els.length) onPick(els[0].index);
      },
      onHover: (e, els) => {
        e.native.target.style.cursor = els.length ? 'pointer' : 'default';
      },
    },
  });
  canvas.dataset.points = String(values.length);
  live.add(chart);
  return chart;
}
