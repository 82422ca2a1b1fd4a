// A stand-in for the reports API (/api/v1/reports..., /api/v1/warnings),
// used by tests/web/dashboard.mjs only when the server under test does not
// answer those paths.  It follows the reports contract (the catalog, one
// metric by a dimension, its records, warnings) with deterministic made-up
// numbers, so that the dashboard's
// pages can be driven and checked before the analytics engine answers.
// The product never serves it.

const DIMS = ['owner', 'manager', 'team', 'region', 'industry', 'company_size', 'product', 'source', 'campaign', 'pipeline', 'stage', 'month', 'quarter', 'year'];

const UNITS = {
  pipeline_value: 'money', weighted_pipeline: 'money', open_deals: 'count', pipeline_created: 'money',
  coverage: 'ratio', pipeline_velocity: 'money_per_day', stage_conversion: 'ratio', time_in_stage_days: 'days',
  stalled_deals: 'count', slipped_deals: 'count', win_rate: 'ratio', win_rate_value: 'ratio', won_revenue: 'money',
  won_deals: 'count', lost_deals: 'count', sales_cycle_days: 'days', avg_deal_size: 'money', revenue_per_rep: 'money',
  quota_attainment: 'ratio', discount_given: 'money', leads_created: 'count', funnel: 'count', funnel_conversion: 'ratio',
  speed_to_lead_minutes: 'minutes', leads_contacted_5min: 'ratio', leads_no_follow_up: 'count', cac: 'money', romi: 'ratio',
  sourced_pipeline: 'money', influenced_pipeline: 'money', arr: 'money', nrr: 'ratio', grr: 'ratio', churn_rate: 'ratio',
  expansion_arr: 'money', renewals_due: 'count', ltv: 'money', ltv_cac: 'count', cac_payback_months: 'months',
  activities_per_rep_day: 'count', next_step_share: 'ratio', crm_adoption: 'ratio', completeness: 'ratio',
  duplicate_rate: 'ratio', invalid_values: 'count',
};

const ENTITY = (m) => (/lead|funnel|speed|cac$|romi/.test(m) ? 'leads' : /arr|nrr|grr|churn|renewal|ltv/.test(m) ? 'subscriptions' : 'deals');

const DOMAIN = {
  owner: ['Darcel Schlecht', 'Moses Frase', 'Vicki Laflamme', 'Anna Snelling', 'Kary Hendrixson', 'Rosalina Dieter', 'Hayden Neloms', 'Boris Faz'],
  manager: ['Dustin Brinkmann', 'Melvin Marxen', 'Summer Sewald'],
  team: ['Central', 'East', 'West'],
  region: ['APAC', 'EMEA', 'LATAM', 'North America'],
  industry: ['Finance', 'Healthcare', 'Retail', 'Software', 'Telecom'],
  company_size: ['1-50', '51-200', '201-1000', '1000+'],
  product: ['Core', 'Analytics', 'Platform'],
  source: ['Inbound', 'Outbound', 'Partner', 'Event', 'Paid search'],
  campaign: ['Spring webinar', 'Trade show', 'Retargeting', 'Newsletter'],
  pipeline: ['Sales'],
  stage: ['Prospecting', 'Qualification', 'Proposal', 'Negotiation'],
  month: ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10'],
  quarter: ['2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4'],
  year: ['2025', '2026'],
  funnel_stage: ['lead', 'mql', 'sql', 'opportunity', 'won'],
  field: ['amount', 'close_date', 'next_step', 'industry', 'phone', 'email'],
};

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296;
}

function value(metric, key) {
  const x = hash(metric + '|' + key);
  switch (UNITS[metric]) {
    case 'money': return Math.round(x * 5e7) / 100;
    case 'money_per_day': return Math.round(x * 5e5) / 100;
    case 'ratio': return Math.round(x * 10000) / 10000;
    case 'days': case 'minutes': case 'months': return Math.round(x * 1200) / 10;
    default: return Math.round(x * 2000);
  }
}

export function catalog() {
  return {
    data: Object.keys(UNITS).map((name) => ({
      name,
      label: name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
      unit: UNITS[name],
      entity: ENTITY(name),
      description: `${name} (test fixture)`,
      dimensions: name === 'funnel' || name === 'funnel_conversion' ? ['funnel_stage', ...DIMS] : name === 'completeness' ? ['field'] : DIMS,
    })),
  };
}

// The answer to GET /api/v1/reports/{metric}?... as [status, body].
export function report(metric, params) {
  if (!UNITS[metric]) return [404, { error: { code: 'not_found', message: `no metric '${metric}'`, field: 'metric' } }];
  const by = params.get('by') ? params.get('by').split(',') : [];
  const filters = [...params].filter(([k]) => k !== 'by' && k !== 'period').map(([k, v]) => `${k}=${v}`).sort().join('&');
  const rows = [];
  if (by.length === 0) rows.push({ [metric]: value(metric, filters) });
  else for (const v of DOMAIN[by[0]] || []) rows.push({ [by[0]]: v, [metric]: value(metric, `${by[0]}=${v}&${filters}`) });
  return [200, { metric, unit: UNITS[metric], currency: 'USD', by, data: rows, total: value(metric, filters) }];
}

export function warnings() {
  const kinds = ['stalled_deal', 'slipped_deal', 'no_next_step', 'missing_amount', 'lead_no_follow_up'];
  const sev = ['high', 'medium', 'low'];
  const data = [];
  for (let i = 1; i <= 60; i++) {
    const kind = kinds[Math.floor(hash('k' + i) * kinds.length)];
    data.push({
      kind,
      severity: sev[Math.floor(hash('s' + i) * 3)],
      entity: 'deals',
      record_id: i * 7,
      owner: DOMAIN.owner[i % DOMAIN.owner.length],
      message: `deal ${i * 7}: ${kind.replace(/_/g, ' ')} (test fixture)`,
    });
  }
  return { data };
}
