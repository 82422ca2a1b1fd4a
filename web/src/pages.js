// The dashboard's pages as data: each page is a row of headline numbers
// (KPIs: a metric's total under the filters) and panels (a metric by one
// dimension, drawn as a chart with its numbers in a table beside it).
// Adding a view is one line here; main.js draws every row the same way.
//
// chart: 'bar' (few categories, API order), 'hbar' (many categories, largest
// first), 'line' (time: month, quarter, year).

export const pages = [
  {
    id: 'pipeline',
    title: 'Pipeline',
    kpis: ['pipeline_value', 'weighted_pipeline', 'open_deals', 'coverage', 'pipeline_velocity', 'stalled_deals', 'slipped_deals'],
    panels: [
      { metric: 'pipeline_value', by: 'stage', chart: 'bar', title: 'Open pipeline by stage' },
      { metric: 'pipeline_created', by: 'month', chart: 'line', title: 'Pipeline created by month' },
      { metric: 'stage_conversion', by: 'stage', chart: 'bar', title: 'Stage conversion' },
      { metric: 'time_in_stage_days', by: 'stage', chart: 'bar', title: 'Days in stage' },
      { metric: 'pipeline_value', by: 'owner', chart: 'hbar', title: 'Open pipeline by rep' },
      { metric: 'coverage', by: 'team', chart: 'hbar', title: 'Coverage by team' },
    ],
  },
  {
    id: 'funnel',
    title: 'Funnel',
    kpis: ['leads_created', 'win_rate', 'win_rate_value', 'won_revenue', 'won_deals', 'lost_deals', 'avg_deal_size', 'sales_cycle_days'],
    panels: [
      { metric: 'funnel', by: 'funnel_stage', chart: 'bar', title: 'Funnel: leads reaching each stage' },
      { metric: 'funnel_conversion', by: 'funnel_stage', chart: 'bar', title: 'Conversion to the next stage' },
      { metric: 'won_revenue', by: 'quarter', chart: 'line', title: 'Won revenue by quarter' },
      { metric: 'win_rate', by: 'source', chart: 'hbar', title: 'Win rate by source' },
      { metric: 'romi', by: 'campaign', chart: 'hbar', title: 'Return on marketing by campaign' },
      { metric: 'sourced_pipeline', by: 'campaign', chart: 'hbar', title: 'Pipeline sourced by campaign' },
    ],
  },
  {
    id: 'reps',
    title: 'Reps & attainment',
    kpis: ['quota_attainment', 'revenue_per_rep', 'win_rate', 'activities_per_rep_day', 'discount_given'],
    panels: [
      { metric: 'quota_attainment', by: 'owner', chart: 'hbar', title: 'Quota attainment by rep' },
      { metric: 'won_revenue', by: 'owner', chart: 'hbar', title: 'Won revenue by rep' },
      { metric: 'win_rate', by: 'owner', chart: 'hbar', title: 'Win rate by rep' },
      { metric: 'activities_per_rep_day', by: 'owner', chart: 'hbar', title: 'Activities per day by rep' },
      { metric: 'won_revenue', by: 'team', chart: 'hbar', title: 'Won revenue by team' },
      { metric: 'discount_given', by: 'owner', chart: 'hbar', title: 'Discount given by rep' },
    ],
  },
  {
    id: 'leads',
    title: 'Leads & SLA',
    kpis: ['leads_created', 'speed_to_lead_minutes', 'leads_contacted_5min', 'leads_no_follow_up', 'cac'],
    panels: [
      { metric: 'leads_created', by: 'month', chart: 'line', title: 'Leads created by month' },
      { metric: 'leads_created', by: 'source', chart: 'hbar', title: 'Leads by source' },
      { metric: 'speed_to_lead_minutes', by: 'owner', chart: 'hbar', title: 'Speed to lead by rep (minutes)' },
      { metric: 'leads_contacted_5min', by: 'source', chart: 'hbar', title: 'Contacted within 5 minutes, by source' },
      { metric: 'leads_no_follow_up', by: 'owner', chart: 'hbar', title: 'Leads without follow-up by rep' },
    ],
  },
  {
    id: 'cs',
    title: 'Customer success',
    kpis: ['arr', 'nrr', 'grr', 'churn_rate', 'expansion_arr', 'renewals_due', 'ltv', 'ltv_cac', 'cac_payback_months'],
    panels: [
      { metric: 'arr', by: 'industry', chart: 'hbar', title: 'ARR by industry' },
      { metric: 'arr', by: 'region', chart: 'bar', title: 'ARR by region' },
      { metric: 'churn_rate', by: 'quarter', chart: 'line', title: 'Churn rate by quarter' },
      { metric: 'renewals_due', by: 'month', chart: 'bar', title: 'Renewals due by month' },
      { metric: 'expansion_arr', by: 'company_size', chart: 'bar', title: 'Expansion ARR by company size' },
    ],
  },
  {
    id: 'quality',
    title: 'Data quality',
    kpis: ['crm_adoption', 'next_step_share', 'duplicate_rate', 'invalid_values'],
    panels: [
      { metric: 'completeness', by: 'field', chart: 'hbar', title: 'Completeness by field' },
      { metric: 'next_step_share', by: 'owner', chart: 'hbar', title: 'Open deals with a next step, by rep' },
      { metric: 'crm_adoption', by: 'team', chart: 'hbar', title: 'CRM adoption by team' },
    ],
  },
  { id: 'warnings', title: 'Warnings', warnings: true },
];

// Dimensions offered as filters (when the catalog has them), in this order.
export const filterDims = ['team', 'owner', 'region', 'industry', 'source'];
