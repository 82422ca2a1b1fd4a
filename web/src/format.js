// Numbers as people read them, by the unit the API gives.  The exact value
// stays on the element (data-value) for anyone who wants it.

const nf = (o) => new Intl.NumberFormat('en-US', o);
const plain = nf({ maximumFractionDigits: 1 });
const whole = nf({ maximumFractionDigits: 0 });
const compact = nf({ notation: 'compact', maximumFractionDigits: 1 });
const pct = nf({ style: 'percent', maximumFractionDigits: 1 });

export function format(value, unit, currency, short) {
  if (value === null || value === undefined) return '–';
  if (typeof value !== 'number') return String(value);
  switch (unit) {
    case 'money':
      return short
        ? (currency === 'USD' ? '$' : currency + ' ') + compact.format(value)
        : nf({ style: 'currency', currency: currency || 'USD', maximumFractionDigits: 0 }).format(value);
    case 'money_per_day':
      return format(value, 'money', currency, short) + '/day';
    case 'ratio':
      return pct.format(value);
    case 'count':
      return short ? compact.format(value) : whole.format(value);
    case 'days':
      return plain.format(value) + ' d';
    case 'minutes':
      return plain.format(value) + ' min';
    case 'months':
      return plain.format(value) + ' mo';
    default:
      return short ? compact.format(value) : plain.format(value);
  }
}
