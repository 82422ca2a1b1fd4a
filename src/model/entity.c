/*
 * entity.c - the entity table: every record type revos stores, described
 * once.  See entity.h for what is generated from it.
 *
 * Reading a row: {name, type, flags, ref, enum values, default, min, max,
 * max_len, Salesforce columns, HubSpot columns, doc}.  The macros below keep
 * each field on one line.
 */
#include "model/entity.h"

#include <string.h>

#define NF(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))
#define EXTID(sfc, hsc)                                                                          \
    {.name = "external_id", .type = RV_FT_EXTID, .flags = RV_F_UNIQUE, .sf = sfc, .hs = hsc,     \
     .doc = "id of this record in the system it came from; imports upsert by it"}
#define CUSTOM {.name = "custom", .type = RV_FT_JSON, .doc = "custom fields, checked against field_defs"}
#define TEXT(n, fl, sfc, hsc, d) {.name = n, .type = RV_FT_TEXT, .flags = fl, .sf = sfc, .hs = hsc, .doc = d}
#define LONGTEXT(n, sfc, hsc, d) {.name = n, .type = RV_FT_TEXT, .max_len = 10000, .sf = sfc, .hs = hsc, .doc = d}
#define REF(n, ent, fl, sfc, hsc, d) {.name = n, .type = RV_FT_REF, .flags = fl, .ref = ent, .sf = sfc, .hs = hsc, .doc = d}
#define INT(n, fl, lo, hi, dv, sfc, hsc, d) {.name = n, .type = RV_FT_INT, .flags = fl, .min = lo, .max = hi, .def = dv, .sf = sfc, .hs = hsc, .doc = d}
#define MONEY(n, fl, lo, sfc, hsc, d) {.name = n, .type = RV_FT_MONEY, .flags = fl, .min = lo, .max = 999999999999999LL, .sf = sfc, .hs = hsc, .doc = d}
#define CURRENCY(sfc, hsc) {.name = "currency", .type = RV_FT_CURRENCY, .def = "USD", .sf = sfc, .hs = hsc, .doc = "ISO-4217 code of the money fields"}
#define DATE(n, fl, sfc, hsc, d) {.name = n, .type = RV_FT_DATE, .flags = fl, .sf = sfc, .hs = hsc, .doc = d}
#define TS(n, fl, sfc, hsc, d) {.name = n, .type = RV_FT_TS, .flags = fl, .sf = sfc, .hs = hsc, .doc = d}
#define BOOL(n, dv, sfc, hsc, d) {.name = n, .type = RV_FT_BOOL, .def = dv, .sf = sfc, .hs = hsc, .doc = d}
#define ENUM(n, fl, vals, dv, sfc, hsc, d) {.name = n, .type = RV_FT_ENUM, .flags = fl, .values = vals, .def = dv, .sf = sfc, .hs = hsc, .doc = d}
/* match keys: indexed where capture looks them up, plain where it only
 * reads them (every index is paid on every insert) */
#define V4KEY(n, d) {.name = n, .type = RV_FT_TEXT, .flags = RV_F_SYSTEM | RV_F_INDEX, .doc = d, .since = 4}
#define V4KEYNI(n, d) {.name = n, .type = RV_FT_TEXT, .flags = RV_F_SYSTEM, .doc = d, .since = 4}
#define EMAIL(n, fl, sfc, hsc, d) {.name = n, .type = RV_FT_EMAIL, .flags = fl, .sf = sfc, .hs = hsc, .doc = d}

static const char *const roles[] = {"admin", "manager", "rep", "marketing", "cs", "finance", NULL};
static const char *const lead_status[] = {"new", "working", "mql", "sql", "converted", "disqualified", NULL};
static const char *const stage_kind[] = {"open", "won", "lost", NULL};
static const char *const forecast_cat[] = {"pipeline", "best_case", "commit", "omitted", "closed", NULL};
static const char *const deal_type[] = {"new", "expansion", "renewal", NULL};
static const char *const activity_kind[] = {"call", "email", "meeting", "note", "task", NULL};
static const char *const touch_kind[] = {"visit", "form", "email_open", "email_click", "ad_click", "event", "webinar", "download", "call", NULL};
static const char *const sub_status[] = {"active", "canceled", "paused", NULL};
static const char *const custom_type[] = {"text", "int", "number", "money", "date", "bool", "enum", NULL};
static const char *const custom_entity[] = {"users", "teams", "accounts", "contacts", "leads", "products", "pipelines", "stages", "deals", "deal_products", "activities", "campaigns", "touches", "subscriptions", NULL};
static const char *const event_kind[] = {"created", "updated", "deleted", "stage_changed", "captured", "assigned", "sla_breached", NULL};
static const char *const lead_priority[] = {"high", "normal", "low", NULL};
static const char *const route_method[] = {"round_robin", "lowest_count", "load_balance", "best_rep", NULL};
static const char *const rule_op[] = {"eq", "ne", "contains", "in", "gte", "lte", "present", "any", "between", NULL};
static const char *const sla_escalate[] = {"notify", "reassign", NULL};
static const char *const audit_action[] = {"create", "update", "delete", "refused", "login", "logout", "login_failed", "password", "token_create", "token_revoke", "import", NULL};
static const char *const token_scope[] = {"read", "write", "admin", NULL};

static const rv_field teams_f[] = {
    EXTID(NULL, NULL),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME | RV_F_UNIQUE, NULL, NULL, "team name"),
    REF("parent_id", "teams", 0, NULL, NULL, "parent team (roll-up hierarchy)"),
    REF("manager_id", "users", 0, NULL, NULL, "user who leads the team"),
    TEXT("region", RV_F_INDEX, NULL, NULL, "region the team covers"),
    CUSTOM,
};

static const rv_field users_f[] = {
    EXTID("Id", "Owner ID|hubspot_owner_id"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME, "Name", "Name", "full name"),
    EMAIL("email", RV_F_UNIQUE | RV_F_NAME, "Email", "Email", "sign-in and contact email"),
    ENUM("role", 0, roles, "rep", NULL, NULL, "admin, manager, rep, marketing, cs or finance"),
    REF("manager_id", "users", 0, "ManagerId", NULL, "the user's manager (hierarchy for roll-ups and access)"),
    REF("team_id", "teams", 0, NULL, NULL, "team"),
    TEXT("title", 0, "Title", NULL, "job title"),
    TEXT("region", RV_F_INDEX, NULL, NULL, "region"),
    DATE("hired_on", 0, NULL, NULL, "start date (tenure)"),
    BOOL("active", "true", "IsActive", NULL, "false for people who left"),
    CUSTOM,
    {.name = "password_hash", .type = RV_FT_TEXT, .flags = RV_F_SECRET, .doc = "argon2id hash (libsodium crypto_pwhash_str); set by 'revos users passwd' only", .since = 2},
    {.name = "failed_logins", .type = RV_FT_INT, .flags = RV_F_SYSTEM, .doc = "failed sign-ins since the last success", .since = 2},
    {.name = "locked_until", .type = RV_FT_TS, .flags = RV_F_SYSTEM, .doc = "sign-in refused until then (5 failures lock for 15 minutes)", .since = 2},
};

static const rv_field accounts_f[] = {
    EXTID("Id|Account ID", "Record ID|Company ID|hs_object_id"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME, "Name|Account Name", "Company name|Name|name", "company name"),
    TEXT("domain", RV_F_INDEX, "Website", "Company Domain Name|Website URL|domain", "web domain (acme.com)"),
    TEXT("industry", RV_F_INDEX, "Industry", "Industry|industry", "industry"),
    INT("employees", 0, 0, 100000000, NULL, "NumberOfEmployees|Employees", "Number of Employees|numberofemployees", "head count"),
    MONEY("annual_revenue", 0, 0, "AnnualRevenue|Annual Revenue", "Annual Revenue|annualrevenue", "annual revenue"),
    CURRENCY("CurrencyIsoCode", NULL),
    TEXT("phone", 0, "Phone", "Phone Number|phone", "main phone"),
    TEXT("city", 0, "BillingCity|Billing City", "City|city", "city"),
    TEXT("postcode", 0, "BillingPostalCode|Billing Zip/Postal Code", "Postal Code|zip", "postal code"),
    TEXT("country", RV_F_INDEX, "BillingCountry|Billing Country", "Country/Region|country", "country"),
    TEXT("region", RV_F_INDEX, NULL, NULL, "sales region"),
    INT("year_founded", 0, 1000, 9999, NULL, "YearStarted", "Year Founded|founded_year", "year established"),
    REF("owner_id", "users", RV_F_TRACKED, "OwnerId|Account Owner", "Company owner|hubspot_owner_id", "account owner"),
    REF("parent_id", "accounts", 0, "ParentId", "Parent Company ID", "parent account"),
    TEXT("territory", RV_F_INDEX, NULL, NULL, "territory"),
    TS("created_on", RV_F_INDEX, "CreatedDate|Created Date", "Create Date|createdate", "when it was created in its source system"),
    CUSTOM,
    V4KEY("domain_key", "registrable domain of the website (lead matching)"),
    V4KEY("name_key", "company-name key without legal suffixes or spaces (lead matching)"),
    V4KEY("acronym_key", "acronym of the company name (lead matching)"),
    V4KEY("phone_key", "main phone in E.164 (lead matching)"),
    V4KEYNI("postcode_key", "postcode key (lead matching)"),
};

static const rv_field contacts_f[] = {
    EXTID("Id|Contact ID", "Record ID|Contact ID|hs_object_id"),
    REF("account_id", "accounts", 0, "AccountId|Account ID", "Associated Company ID|associatedcompanyid", "account the contact works at"),
    TEXT("first_name", 0, "FirstName|First Name", "First Name|firstname", "first name"),
    TEXT("last_name", RV_F_REQUIRED, "LastName|Last Name", "Last Name|lastname", "last name"),
    EMAIL("email", RV_F_INDEX | RV_F_NAME, "Email", "Email|email", "email"),
    TEXT("phone", 0, "Phone", "Phone Number|phone", "phone"),
    TEXT("title", 0, "Title", "Job Title|jobtitle", "job title"),
    TEXT("country", 0, "MailingCountry|Mailing Country", "Country/Region|country", "country"),
    REF("owner_id", "users", RV_F_TRACKED, "OwnerId|Contact Owner", "Contact owner|hubspot_owner_id", "owner"),
    TEXT("source", 0, "LeadSource|Lead Source", "Original Source|hs_analytics_source", "where the contact came from"),
    TS("created_on", 0, "CreatedDate|Created Date", "Create Date|createdate", "when it was created in its source system"),
    CUSTOM,
    V4KEY("email_key", "email match key (lead matching)"),
    V4KEY("phone_key", "phone in E.164 (lead matching)"),
};

static const rv_field campaigns_f[] = {
    EXTID("Id|Campaign ID", NULL),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME, "Name|Campaign Name", NULL, "campaign name"),
    TEXT("channel", RV_F_INDEX, "Type", NULL, "channel: paid_search, events, email, ..."),
    MONEY("spend", 0, 0, "ActualCost", NULL, "money spent"),
    CURRENCY("CurrencyIsoCode", NULL),
    DATE("start_on", 0, "StartDate", NULL, "first day"),
    DATE("end_on", 0, "EndDate", NULL, "last day"),
    REF("owner_id", "users", 0, "OwnerId", NULL, "owner"),
    CUSTOM,
};

static const rv_field leads_f[] = {
    EXTID("Id|Lead ID", "Record ID|hs_object_id"),
    TEXT("first_name", 0, "FirstName|First Name", "First Name|firstname", "first name"),
    TEXT("last_name", 0, "LastName|Last Name", "Last Name|lastname", "last name"),
    EMAIL("email", RV_F_INDEX, "Email", "Email|email", "email"),
    TEXT("phone", 0, "Phone", "Phone Number|phone", "phone"),
    TEXT("company", 0, "Company", "Company Name|company", "company as typed by the lead"),
    TEXT("title", 0, "Title", "Job Title|jobtitle", "job title"),
    TEXT("website", 0, "Website", "Website URL|website", "company website"),
    TEXT("industry", 0, "Industry", "Industry", "industry"),
    INT("employees", 0, 0, 100000000, NULL, "NumberOfEmployees", "Number of Employees", "company head count"),
    TEXT("country", 0, "Country", "Country/Region|country", "country"),
    TEXT("source", RV_F_INDEX, "LeadSource|Lead Source", "Original Source|hs_analytics_source", "lead source"),
    REF("campaign_id", "campaigns", 0, "CampaignId", NULL, "campaign that brought the lead"),
    ENUM("status", RV_F_TRACKED, lead_status, "new", "Status|Lead Status", "Lead Status|hs_lead_status", "new, working, mql, sql, converted or disqualified"),
    INT("score", 0, 0, 100, NULL, NULL, "HubSpot Score|hubspotscore", "lead score 0-100"),
    REF("owner_id", "users", RV_F_TRACKED, "OwnerId|Lead Owner", "Contact owner|hubspot_owner_id", "owner"),
    REF("account_id", "accounts", 0, "ConvertedAccountId", NULL, "matched or converted account"),
    REF("contact_id", "contacts", 0, "ConvertedContactId", NULL, "converted contact"),
    REF("deal_id", "deals", 0, "ConvertedOpportunityId", NULL, "converted deal"),
    TS("created_on", RV_F_INDEX, "CreatedDate|Created Date", "Create Date|createdate", "when the lead arrived"),
    TS("first_touch_at", 0, NULL, NULL, "first follow-up by a person"),
    TS("mql_at", 0, NULL, "Became a Marketing Qualified Lead Date", "when it became an MQL"),
    TS("sql_at", 0, NULL, "Became a Sales Qualified Lead Date", "when it became an SQL"),
    TS("converted_at", 0, "ConvertedDate", NULL, "when it converted"),
    TEXT("disqualified_reason", 0, NULL, NULL, "why it was disqualified"),
    CUSTOM,
    {.name = "postcode", .type = RV_FT_TEXT, .doc = "postal code", .since = 4},
    {.name = "priority", .type = RV_FT_ENUM, .values = lead_priority, .def = "normal", .doc = "high, normal or low: chooses the follow-up SLA", .since = 4},
    {.name = "source_id", .type = RV_FT_INT, .flags = RV_F_SYSTEM, .doc = "id of the lead_sources row that captured it (a number: lead sources come after leads)", .since = 4},
    V4KEY("email_key", "email match key (capture matching)"),
    V4KEYNI("domain_key", "company domain from website or (not free-mail) email"),
    V4KEYNI("name_key", "company-name key without legal suffixes or spaces"),
    V4KEY("phone_key", "phone in E.164"),
    {.name = "duplicate_of_id", .type = RV_FT_REF, .ref = "leads", .flags = RV_F_SYSTEM, .doc = "earlier lead of the same person (linked, not re-created)", .since = 4},
    {.name = "matched_contact_id", .type = RV_FT_REF, .ref = "contacts", .flags = RV_F_SYSTEM, .doc = "existing contact of the same person", .since = 4},
    {.name = "match_reason", .type = RV_FT_TEXT, .flags = RV_F_SYSTEM, .max_len = 2000, .doc = "why the lead was linked to its duplicate, contact and account", .since = 4},
    {.name = "fit_score", .type = RV_FT_INT, .flags = RV_F_SYSTEM, .doc = "ICP fit points (scoring rules)", .since = 4},
    {.name = "engagement_score", .type = RV_FT_INT, .flags = RV_F_SYSTEM, .doc = "engagement points: touches and activities with time decay", .since = 4},
    {.name = "score_reasons", .type = RV_FT_TEXT, .flags = RV_F_SYSTEM, .max_len = 4000, .doc = "JSON: the points of each scoring rule that applied", .since = 4},
    {.name = "route_reason", .type = RV_FT_TEXT, .flags = RV_F_SYSTEM, .max_len = 2000, .doc = "why the owner was chosen", .since = 4},
    {.name = "sla_due_at", .type = RV_FT_TS, .flags = RV_F_SYSTEM, .doc = "first touch due by (SLA of the priority)", .since = 4},
    {.name = "sla_breached_at", .type = RV_FT_TS, .flags = RV_F_SYSTEM, .doc = "when the SLA check found the first touch late", .since = 4},
};

static const rv_field products_f[] = {
    EXTID("Id|Product ID", "Record ID|hs_object_id"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME | RV_F_UNIQUE, "Name|Product Name", "Name|name", "product name"),
    TEXT("code", 0, "ProductCode|Product Code", "SKU|hs_sku", "SKU"),
    TEXT("family", RV_F_INDEX, "Family|Product Family", "Product Type", "product family or series"),
    MONEY("list_price", 0, 0, "UnitPrice|List Price", "Unit price|price", "list price per unit"),
    MONEY("cost", 0, 0, NULL, "Unit cost|hs_cost_of_goods_sold", "cost per unit (for margin)"),
    CURRENCY("CurrencyIsoCode", NULL),
    BOOL("recurring", "false", NULL, NULL, "sold as a subscription"),
    BOOL("active", "true", "IsActive", NULL, "can be sold"),
    CUSTOM,
};

static const rv_field pipelines_f[] = {
    EXTID(NULL, "Pipeline ID"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME | RV_F_UNIQUE, NULL, "Pipeline", "pipeline name"),
    BOOL("is_default", "false", NULL, NULL, "used when a deal names no pipeline"),
    CUSTOM,
};

static const rv_field stages_f[] = {
    EXTID(NULL, "Stage ID"),
    REF("pipeline_id", "pipelines", RV_F_REQUIRED | RV_F_CASCADE, NULL, NULL, "pipeline the stage belongs to"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME, "MasterLabel|StageName", "Label", "stage name, unique within its pipeline"),
    INT("position", 0, 0, 1000, "0", "SortOrder", "Display order", "order in the pipeline"),
    INT("probability", 0, 0, 100, "0", "DefaultProbability", "Probability", "default win probability, percent"),
    ENUM("kind", 0, stage_kind, "open", NULL, NULL, "open, won or lost"),
    ENUM("forecast_category", 0, forecast_cat, "pipeline", "ForecastCategoryName", NULL, "default forecast category of deals in the stage"),
    TEXT("exit_criteria", 0, NULL, NULL, "comma-separated deal fields that must be filled to enter the next stage"),
    INT("stall_days", 0, 0, 3650, NULL, NULL, NULL, "days in stage after which a deal counts as stalled"),
    CUSTOM,
};

static const rv_field deals_f[] = {
    EXTID("Id|Opportunity ID", "Record ID|Deal ID|hs_object_id"),
    TEXT("name", RV_F_REQUIRED | RV_F_NAME, "Name|Opportunity Name", "Deal Name|dealname", "deal name"),
    REF("account_id", "accounts", 0, "AccountId|Account ID", "Associated Company ID|associatedcompanyid", "account"),
    REF("contact_id", "contacts", 0, "ContactId", NULL, "primary contact"),
    REF("owner_id", "users", RV_F_TRACKED, "OwnerId|Opportunity Owner", "Deal owner|hubspot_owner_id", "owner"),
    REF("pipeline_id", "pipelines", 0, "Pipeline", "Pipeline|pipeline", "pipeline (the default pipeline when omitted)"),
    REF("stage_id", "stages", RV_F_REQUIRED, "StageName|Stage", "Deal Stage|dealstage", "current stage; changes go to stage_history"),
    MONEY("amount", RV_F_TRACKED, 0, "Amount", "Amount|amount", "deal value"),
    MONEY("list_amount", 0, 0, NULL, NULL, "value at list price (discount = list_amount - amount)"),
    CURRENCY("CurrencyIsoCode", "Currency|deal_currency_code"),
    DATE("close_date", RV_F_TRACKED | RV_F_INDEX, "CloseDate|Close Date", "Close Date|closedate", "expected close date, or the day it closed"),
    ENUM("type", 0, deal_type, "new", "Type", "Deal Type|dealtype", "new, expansion or renewal"),
    TEXT("source", RV_F_INDEX, "LeadSource|Lead Source", "Original Source|hs_analytics_source", "where the deal came from"),
    REF("campaign_id", "campaigns", 0, "CampaignId", NULL, "primary campaign"),
    ENUM("forecast_category", RV_F_TRACKED, forecast_cat, NULL, "ForecastCategoryName|Forecast Category", "Forecast category|hs_manual_forecast_category", "commit, best_case, pipeline or omitted (default from the stage)"),
    INT("probability", 0, 0, 100, NULL, "Probability|Probability (%)", "Deal probability|hs_deal_stage_probability", "win probability, percent (default from the stage)"),
    TEXT("next_step", 0, "NextStep|Next Step", "Next step|hs_next_step", "the next step"),
    TEXT("lost_reason", 0, "Loss_Reason__c", "Closed Lost Reason|closed_lost_reason", "why it was lost"),
    TEXT("won_reason", 0, NULL, "Closed Won Reason|closed_won_reason", "why it was won"),
    TS("created_on", RV_F_INDEX, "CreatedDate|Created Date", "Create Date|createdate", "when the deal was opened (in its source system)"),
    TS("closed_at", 0, NULL, NULL, "when it entered a won or lost stage"),
    LONGTEXT("description", "Description", "Deal Description|description", "notes"),
    CUSTOM,
};

static const rv_field deal_products_f[] = {
    EXTID("Id", NULL),
    REF("deal_id", "deals", RV_F_REQUIRED | RV_F_CASCADE, "OpportunityId", "Deal ID", "deal"),
    REF("product_id", "products", RV_F_REQUIRED, "Product2Id|PricebookEntryId", "Product ID", "product"),
    INT("quantity", 0, 1, 100000000, "1", "Quantity", "Quantity|quantity", "units"),
    MONEY("unit_price", RV_F_REQUIRED, 0, "UnitPrice|Sales Price", "Unit price|price", "price per unit as sold"),
    MONEY("discount", 0, 0, "Discount", "Unit discount", "total discount on the line"),
    CURRENCY("CurrencyIsoCode", NULL),
    CUSTOM,
};

static const rv_field activities_f[] = {
    EXTID("Id|Activity ID", "Record ID|hs_object_id"),
    ENUM("kind", RV_F_REQUIRED, activity_kind, NULL, "TaskSubtype|Type", "Activity type", "call, email, meeting, note or task"),
    TEXT("subject", 0, "Subject", "Subject", "subject"),
    REF("owner_id", "users", 0, "OwnerId|Assigned", "Activity assigned to", "who did it"),
    REF("account_id", "accounts", 0, "AccountId", NULL, "account"),
    REF("contact_id", "contacts", 0, "WhoId", NULL, "contact"),
    REF("lead_id", "leads", 0, NULL, NULL, "lead"),
    REF("deal_id", "deals", 0, "WhatId", NULL, "deal"),
    TS("due_at", 0, "ActivityDate|Due Date", "Due date", "when it is due"),
    TS("done_at", RV_F_INDEX, "CompletedDateTime", "Completed at", "when it was done (empty while open)"),
    INT("duration_min", 0, 0, 100000, NULL, "CallDurationInSeconds", NULL, "minutes"),
    LONGTEXT("notes", "Description", "Notes", "notes"),
    CUSTOM,
};

static const rv_field touches_f[] = {
    EXTID(NULL, NULL),
    REF("campaign_id", "campaigns", 0, "CampaignId", NULL, "campaign"),
    REF("lead_id", "leads", 0, "LeadId", NULL, "lead touched"),
    REF("contact_id", "contacts", 0, "ContactId", NULL, "contact touched"),
    REF("deal_id", "deals", 0, NULL, NULL, "deal influenced"),
    ENUM("kind", RV_F_REQUIRED, touch_kind, NULL, NULL, NULL, "visit, form, email_open, email_click, ad_click, event, webinar, download or call"),
    TS("at", RV_F_REQUIRED | RV_F_INDEX, "FirstRespondedDate", NULL, "when"),
    TEXT("channel", 0, NULL, NULL, "channel"),
    CUSTOM,
};

static const rv_field subscriptions_f[] = {
    EXTID(NULL, NULL),
    REF("account_id", "accounts", RV_F_REQUIRED, NULL, NULL, "customer"),
    REF("product_id", "products", 0, NULL, NULL, "product"),
    REF("deal_id", "deals", 0, NULL, NULL, "deal that sold it"),
    MONEY("mrr", RV_F_REQUIRED | RV_F_TRACKED, 0, NULL, NULL, "monthly recurring revenue"),
    CURRENCY(NULL, NULL),
    INT("seats", 0, 0, 100000000, NULL, NULL, NULL, "seats"),
    DATE("start_on", RV_F_REQUIRED, NULL, NULL, "first day"),
    DATE("end_on", 0, NULL, NULL, "last day (empty while running)"),
    DATE("renewal_on", RV_F_INDEX, NULL, NULL, "next renewal date"),
    ENUM("status", RV_F_TRACKED, sub_status, "active", NULL, NULL, "active, canceled or paused"),
    TEXT("churn_reason", 0, NULL, NULL, "why it was canceled"),
    CUSTOM,
};

static const rv_field field_defs_f[] = {
    ENUM("entity", RV_F_REQUIRED, custom_entity, NULL, NULL, NULL, "entity the custom field belongs to"),
    TEXT("name", RV_F_REQUIRED, NULL, NULL, "key inside the record's custom object (snake_case)"),
    ENUM("type", RV_F_REQUIRED, custom_type, NULL, NULL, NULL, "text, int, number, money, date, bool or enum"),
    TEXT("options", 0, NULL, NULL, "enum values, comma-separated"),
    BOOL("required", "false", NULL, NULL, "must be present on create"),
    TEXT("label", 0, NULL, NULL, "label shown to people"),
};

static const rv_field stage_history_f[] = {
    EXTID("Id", NULL),
    REF("deal_id", "deals", RV_F_REQUIRED | RV_F_CASCADE, "OpportunityId", NULL, "deal"),
    REF("from_stage_id", "stages", 0, NULL, NULL, "stage before (empty for the first)"),
    REF("to_stage_id", "stages", RV_F_REQUIRED, "StageName", NULL, "stage after"),
    TS("changed_at", RV_F_REQUIRED | RV_F_INDEX, "CreatedDate", NULL, "when"),
    REF("changed_by_id", "users", 0, "CreatedById", NULL, "who"),
    MONEY("amount", 0, 0, "Amount", NULL, "deal amount at that moment"),
    CURRENCY(NULL, NULL),
    DATE("close_date", 0, "CloseDate", NULL, "close date at that moment"),
    ENUM("forecast_category", 0, forecast_cat, NULL, "ForecastCategory", NULL, "forecast category at that moment"),
};

static const rv_field field_history_f[] = {
    TEXT("entity", RV_F_REQUIRED | RV_F_INDEX, NULL, NULL, "entity of the changed record"),
    INT("record_id", RV_F_REQUIRED | RV_F_INDEX, 0, 0, NULL, NULL, NULL, "id of the changed record"),
    TEXT("field", RV_F_REQUIRED, NULL, NULL, "field that changed"),
    TEXT("old_value", 0, NULL, NULL, "value before, as text"),
    TEXT("new_value", 0, NULL, NULL, "value after, as text"),
    TS("changed_at", RV_F_REQUIRED, NULL, NULL, "when"),
    REF("changed_by_id", "users", 0, NULL, NULL, "who"),
};

static const rv_field events_f[] = {
    TEXT("entity", RV_F_REQUIRED, NULL, NULL, "entity of the record"),
    INT("record_id", RV_F_REQUIRED, 0, 0, NULL, NULL, NULL, "id of the record"),
    ENUM("kind", RV_F_REQUIRED, event_kind, NULL, NULL, NULL, "created, updated, deleted or stage_changed"),
    TS("at", RV_F_REQUIRED, NULL, NULL, "when"),
    REF("actor_id", "users", 0, NULL, NULL, "who"),
    {.name = "payload", .type = RV_FT_TEXT, .max_len = 100000, .doc = "JSON details"},
};

#define ENT(idx, v, n, o, fl, sfo, hso, d) \
    static const rv_entity v = {n, o, v##_f, NF(v##_f), fl, sfo, hso, d, 1, idx}
#define ENT2(idx, v, n, o, fl, d) \
    static const rv_entity v = {n, o, v##_f, NF(v##_f), fl, NULL, NULL, d, 2, idx}

/* --- schema version 2: sign-in, access, audit ------------------------------ */

static const rv_field settings_f[] = {
    {.name = "key", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED | RV_F_UNIQUE | RV_F_NAME, .doc = "setting name: rep_read_team, fiscal_year_start_month, display_currency", .since = 2},
    {.name = "value", .type = RV_FT_TEXT, .doc = "value as text (true/false for switches)", .since = 2},
};

static const rv_field audit_log_f[] = {
    {.name = "at", .type = RV_FT_TS, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "when", .since = 2},
    {.name = "actor_id", .type = RV_FT_REF, .ref = "users", .doc = "who (empty: the CLI with full rights)", .since = 2},
    {.name = "actor", .type = RV_FT_TEXT, .doc = "who, as text: an email, or 'cli'", .since = 2},
    {.name = "action", .type = RV_FT_ENUM, .flags = RV_F_REQUIRED | RV_F_INDEX, .values = audit_action, .doc = "create, update, delete, refused, login, logout, login_failed, password, token_create, token_revoke or import", .since = 2},
    {.name = "entity", .type = RV_FT_TEXT, .flags = RV_F_INDEX, .doc = "entity of the record", .since = 2},
    {.name = "record_id", .type = RV_FT_INT, .flags = RV_F_INDEX, .doc = "id of the record", .since = 2},
    {.name = "changes", .type = RV_FT_TEXT, .max_len = 100000, .doc = "JSON {field:[old,new]} of the changed fields", .since = 2},
    {.name = "reason", .type = RV_FT_TEXT, .max_len = 1000, .doc = "why an access was refused", .since = 2},
};

static const rv_field sessions_f[] = {
    {.name = "user_id", .type = RV_FT_REF, .ref = "users", .flags = RV_F_REQUIRED | RV_F_CASCADE, .doc = "signed-in user", .since = 2},
    {.name = "token_hash", .type = RV_FT_TEXT, .flags = RV_F_SECRET | RV_F_UNIQUE, .doc = "SHA-256 of the cookie token", .since = 2},
    {.name = "expires_at", .type = RV_FT_TS, .flags = RV_F_REQUIRED, .doc = "end of the session", .since = 2},
    {.name = "last_seen_at", .type = RV_FT_TS, .doc = "last request", .since = 2},
};

static const rv_field api_tokens_f[] = {
    {.name = "user_id", .type = RV_FT_REF, .ref = "users", .flags = RV_F_REQUIRED | RV_F_CASCADE, .doc = "the token acts as this user", .since = 2},
    {.name = "name", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED, .doc = "what it is for", .since = 2},
    {.name = "prefix", .type = RV_FT_TEXT, .doc = "first characters of the token, to recognise it", .since = 2},
    {.name = "token_hash", .type = RV_FT_TEXT, .flags = RV_F_SECRET | RV_F_UNIQUE, .doc = "SHA-256 of the token", .since = 2},
    {.name = "scope", .type = RV_FT_ENUM, .flags = RV_F_REQUIRED, .values = token_scope, .doc = "read, write or admin", .since = 2},
    {.name = "last_used_at", .type = RV_FT_TS, .doc = "last request made with it", .since = 2},
    {.name = "revoked_at", .type = RV_FT_TS, .doc = "when it was revoked (empty: valid)", .since = 2},
};

/* --- schema version 3: quotas ------------------------------------------------ */

static const rv_field quotas_f[] = {
    {.name = "external_id", .type = RV_FT_EXTID, .flags = RV_F_UNIQUE, .doc = "id of this quota in the system it came from; imports upsert by it", .since = 3},
    {.name = "user_id", .type = RV_FT_REF, .ref = "users", .flags = RV_F_REQUIRED | RV_F_CASCADE, .doc = "whose quota", .since = 3},
    {.name = "period_start", .type = RV_FT_DATE, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "first day of the quota period", .since = 3},
    {.name = "period_end", .type = RV_FT_DATE, .flags = RV_F_REQUIRED, .doc = "last day of the quota period", .since = 3},
    {.name = "amount", .type = RV_FT_MONEY, .flags = RV_F_REQUIRED | RV_F_TRACKED, .min = 0, .max = 999999999999999LL, .doc = "won revenue expected in the period", .since = 3},
    {.name = "currency", .type = RV_FT_CURRENCY, .def = "USD", .doc = "ISO-4217 code of the amount", .since = 3},
};

/* --- schema version 4: lead capture, routing, follow-up SLAs --------------- */

#define V4(n, t, fl, d, ...) {.name = n, .type = t, .flags = fl, .doc = d, .since = 4, __VA_ARGS__}

static const rv_field lead_sources_f[] = {
    V4("name", RV_FT_TEXT, RV_F_REQUIRED | RV_F_UNIQUE | RV_F_NAME, "web form or integration sending leads"),
    V4("key_prefix", RV_FT_TEXT, RV_F_SYSTEM, "first characters of the source key, to recognise it"),
    V4("key_hash", RV_FT_TEXT, RV_F_SECRET | RV_F_UNIQUE, "SHA-256 of the source key (shown once at creation)"),
    V4("rate_per_minute", RV_FT_INT, 0, "captures accepted per minute before 429", .min = 1, .max = 1000000, .def = "600"),
    V4("priority", RV_FT_ENUM, 0, "priority given to its leads (high, normal, low)", .values = lead_priority, .def = "normal"),
    V4("campaign_id", RV_FT_REF, 0, "campaign its leads belong to", .ref = "campaigns"),
    V4("active", RV_FT_BOOL, 0, "false refuses its captures", .def = "true"),
    V4("last_used_at", RV_FT_TS, RV_F_SYSTEM, "last capture"),
};

static const rv_field capture_keys_f[] = {
    V4("key", RV_FT_TEXT, RV_F_REQUIRED | RV_F_UNIQUE, "source id, ':' and the Idempotency-Key header"),
    V4("source_id", RV_FT_REF, RV_F_REQUIRED | RV_F_CASCADE, "source", .ref = "lead_sources"),
    V4("lead_id", RV_FT_REF, RV_F_CASCADE, "lead the first request with the key created", .ref = "leads"),
    V4("at", RV_FT_TS, RV_F_REQUIRED, "when"),
};

static const rv_field routing_pools_f[] = {
    V4("name", RV_FT_TEXT, RV_F_REQUIRED | RV_F_UNIQUE | RV_F_NAME, "pool (team) of reps leads are shared in"),
    V4("method", RV_FT_ENUM, 0, "round_robin (weighted turns), lowest_count (fewest this period), load_balance (fewest open leads) or best_rep (best win rate)", .values = route_method, .def = "round_robin"),
    V4("account_owner", RV_FT_BOOL, 0, "a lead matched to an owned account goes to that owner when they are in the pool and available", .def = "true"),
    V4("fallback", RV_FT_BOOL, 0, "the queue for leads no rule or pool could place", .def = "false"),
    V4("active", RV_FT_BOOL, 0, "false skips the pool", .def = "true"),
};

static const rv_field routing_rules_f[] = {
    V4("name", RV_FT_TEXT, RV_F_REQUIRED, "what the rule is for"),
    V4("position", RV_FT_INT, RV_F_INDEX, "rules are tried in ascending position, the first match wins", .min = 0, .max = 1000000, .def = "100"),
    V4("field", RV_FT_TEXT, RV_F_REQUIRED, "lead field tested (country, employees, source, ...)"),
    V4("op", RV_FT_ENUM, 0, "eq, ne, contains, in (comma list), gte, lte, present, any or between (\"lo,hi\")", .values = rule_op, .def = "eq"),
    V4("value", RV_FT_TEXT, 0, "value compared (case-insensitive for text)"),
    V4("pool_id", RV_FT_REF, RV_F_REQUIRED | RV_F_CASCADE, "pool chosen when the rule matches", .ref = "routing_pools"),
    V4("active", RV_FT_BOOL, 0, "false skips the rule", .def = "true"),
};

static const rv_field pool_members_f[] = {
    V4("pool_id", RV_FT_REF, RV_F_REQUIRED | RV_F_CASCADE, "pool", .ref = "routing_pools"),
    V4("user_id", RV_FT_REF, RV_F_REQUIRED | RV_F_CASCADE, "rep", .ref = "users"),
    V4("weight", RV_FT_INT, 0, "share of round-robin turns", .min = 1, .max = 1000, .def = "1"),
    V4("cap_day", RV_FT_INT, 0, "most leads a day (empty: no cap)", .min = 0, .max = 1000000),
    V4("cap_week", RV_FT_INT, 0, "most leads a week (empty: no cap)", .min = 0, .max = 1000000),
    V4("work_days", RV_FT_TEXT, 0, "working days, ISO digits (1 Monday ... 7 Sunday); empty: every day", .def = "12345"),
    V4("work_start_min", RV_FT_INT, 0, "working hours start, minutes after local midnight", .min = 0, .max = 1440, .def = "0"),
    V4("work_end_min", RV_FT_INT, 0, "working hours end, minutes after local midnight", .min = 0, .max = 1440, .def = "1440"),
    V4("utc_offset_min", RV_FT_INT, 0, "the rep's offset from UTC in minutes", .min = -900, .max = 900, .def = "0"),
    V4("away_from", RV_FT_TS, 0, "out of office from"),
    V4("away_until", RV_FT_TS, 0, "out of office until"),
    V4("turns", RV_FT_INT, RV_F_SYSTEM, "round-robin turns taken (stride scheduling state)"),
    V4("active", RV_FT_BOOL, 0, "false takes no leads", .def = "true"),
};

static const rv_field lead_assignments_f[] = {
    V4("lead_id", RV_FT_REF, RV_F_REQUIRED | RV_F_CASCADE, "lead", .ref = "leads"),
    V4("user_id", RV_FT_REF, 0, "owner chosen (empty: left in the unassigned queue)", .ref = "users"),
    V4("pool_id", RV_FT_REF, 0, "pool it was routed in", .ref = "routing_pools"),
    V4("rule_id", RV_FT_REF, 0, "rule that chose the pool", .ref = "routing_rules"),
    V4("method", RV_FT_TEXT, 0, "how the owner was chosen"),
    V4("reason", RV_FT_TEXT, RV_F_REQUIRED, "the decision in words", .max_len = 2000),
    V4("at", RV_FT_TS, RV_F_REQUIRED, "when"),
};

static const rv_field sla_policies_f[] = {
    V4("priority", RV_FT_ENUM, RV_F_REQUIRED | RV_F_INDEX, "lead priority it applies to (several: the first by id)", .values = lead_priority),
    V4("first_touch_minutes", RV_FT_INT, RV_F_REQUIRED, "minutes from arrival to first touch", .min = 1, .max = 1000000),
    V4("escalate", RV_FT_ENUM, 0, "on breach: notify (a task for the escalation user) or reassign (route again, excluding the owner)", .values = sla_escalate, .def = "notify"),
    V4("escalate_to_id", RV_FT_REF, 0, "who is notified (empty: the owner's manager)", .ref = "users"),
};

static const rv_field fit_rules_f[] = {
    V4("field", RV_FT_TEXT, RV_F_REQUIRED, "lead field tested (industry, employees, country, title, ...)"),
    V4("op", RV_FT_ENUM, 0, "eq, ne, contains, in (comma list), gte, lte, present, any or between (\"lo,hi\")", .values = rule_op, .def = "eq"),
    V4("value", RV_FT_TEXT, 0, "value compared (case-insensitive for text)"),
    V4("points", RV_FT_INT, RV_F_REQUIRED, "points added when the test holds (negative lowers the score)", .min = -1000, .max = 1000),
    V4("cap", RV_FT_INT, 0, "most points the rules of this field add together (empty: no cap)", .min = 0, .max = 1000),
};

static const rv_field engagement_rules_f[] = {
    V4("kind", RV_FT_TEXT, RV_F_REQUIRED | RV_F_UNIQUE, "touch kind (form, visit, webinar, ...) or activity kind (call, email, meeting)"),
    V4("points", RV_FT_INT, RV_F_REQUIRED, "points of one such touch or activity today", .min = -1000, .max = 1000),
    V4("half_life_days", RV_FT_INT, 0, "days after which a touch counts half", .min = 1, .max = 3650, .def = "30"),
    V4("cap", RV_FT_INT, 0, "most points this kind adds (empty: no cap)", .min = 0, .max = 1000),
};

#define ENT4(idx, v, n, o, fl, d) \
    static const rv_entity v = {n, o, v##_f, NF(v##_f), fl, NULL, NULL, d, 4, idx}

/* --- schema version 5: exchange rates ---------------------------------------- */

static const rv_field fx_rates_f[] = {
    {.name = "external_id", .type = RV_FT_EXTID, .flags = RV_F_UNIQUE, .doc = "id of this rate in the system it came from; imports upsert by it", .since = 5},
    {.name = "currency", .type = RV_FT_CURRENCY, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "ISO-4217 code of the currency the rate converts from (EUR)", .since = 5},
    {.name = "rate", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED, .max_len = 32, .doc = "units of the display currency one unit of currency is worth, an exact decimal with at most 9 decimals (1.0825)", .since = 5},
    {.name = "effective_on", .type = RV_FT_DATE, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "first day the rate applies; it applies until the currency's next rate", .since = 5},
};

/* --- schema version 6: merge log ---------------------------------------------- */

static const rv_field merges_f[] = {
    {.name = "entity", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "entity of the two records: accounts, contacts or leads", .since = 6},
    {.name = "survivor_id", .type = RV_FT_INT, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "the record kept", .since = 6},
    {.name = "merged_id", .type = RV_FT_INT, .flags = RV_F_REQUIRED | RV_F_INDEX, .doc = "the record merged into it and deleted", .since = 6},
    {.name = "actor_id", .type = RV_FT_INT, .doc = "user who merged (empty: the CLI with full rights)", .since = 6},
    {.name = "merged_at", .type = RV_FT_TS, .flags = RV_F_REQUIRED, .doc = "when", .since = 6},
    {.name = "plan", .type = RV_FT_TEXT, .max_len = 4000000, .doc = "JSON: both records as they were, the field each value came from, and every re-pointed child row; what undo restores", .since = 6},
    {.name = "undone_at", .type = RV_FT_TS, .doc = "when the merge was undone (empty: in force)", .since = 6},
};

/* --- schema version 7: scoring models -------------------------------------- */
static const char *const score_object[] = {"leads", NULL};
static const char *const score_kind[] = {"lr", "gbt", NULL};
static const rv_field score_models_f[] = {
    {.name = "object", .type = RV_FT_ENUM, .flags = RV_F_REQUIRED | RV_F_INDEX, .values = score_object, .doc = "what the model scores: leads", .since = 7},
    {.name = "target", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED, .doc = "the outcome it predicts: converted", .since = 7},
    {.name = "version", .type = RV_FT_INT, .flags = RV_F_REQUIRED, .min = 1, .max = 1000000000, .doc = "1, 2, ... per object and target, in training order", .since = 7},
    {.name = "kind", .type = RV_FT_ENUM, .flags = RV_F_REQUIRED, .values = score_kind, .doc = "lr (logistic regression) or gbt (boosted trees)", .since = 7},
    {.name = "features", .type = RV_FT_TEXT, .max_len = 100000, .doc = "comma-separated columns the model uses", .since = 7},
    {.name = "excluded", .type = RV_FT_TEXT, .max_len = 100000, .doc = "comma-separated columns left out (leakage)", .since = 7},
    {.name = "rows", .type = RV_FT_INT, .min = 0, .max = 1000000000000LL, .doc = "records it was trained on", .since = 7},
    {.name = "positives", .type = RV_FT_INT, .min = 0, .max = 1000000000000LL, .doc = "of which the outcome happened", .since = 7},
    {.name = "through_id", .type = RV_FT_INT, .min = 0, .max = 1000000000000000000LL, .doc = "the newest record (id) it was trained on", .since = 7},
    {.name = "cv_auc_ppm", .type = RV_FT_INT, .min = 0, .max = 1000000, .doc = "cross-validated AUC in millionths (874972 = 0.874972)", .since = 7},
    {.name = "cv_log_loss_ppm", .type = RV_FT_INT, .min = 0, .max = 1000000000, .doc = "cross-validated log-loss in millionths", .since = 7},
    {.name = "active_auc_ppm", .type = RV_FT_INT, .min = 0, .max = 1000000, .doc = "AUC of the model active when this one was trained, on the same held-out rows (millionths; empty: none)", .since = 7},
    {.name = "challenger_auc_ppm", .type = RV_FT_INT, .min = 0, .max = 1000000, .doc = "this model's AUC on those same rows (millionths)", .since = 7},
    {.name = "metrics", .type = RV_FT_TEXT, .max_len = 100000, .doc = "JSON: folds, seed, per-fold AUC, calibration table", .since = 7},
    {.name = "model", .type = RV_FT_TEXT, .flags = RV_F_REQUIRED, .max_len = 64 * 1024 * 1024, .doc = "the trained model in revos' text format (docs/scoring.md)", .since = 7},
    {.name = "active", .type = RV_FT_BOOL, .def = "false", .doc = "the model that scores (at most one per object and target)", .since = 7},
    {.name = "note", .type = RV_FT_TEXT, .max_len = 1000, .doc = "why it was or was not made active", .since = 7},
};

ENT(0, teams, "teams", "team", 0, NULL, NULL, "Sales teams; parent_id forms the roll-up hierarchy.");
ENT(1, users, "users", "user", 0, "User", "owners", "People: reps, managers, marketing, customer success, finance, admins.");
ENT(2, accounts, "accounts", "account", 0, "Account", "companies", "Companies you sell to.");
ENT(3, contacts, "contacts", "contact", 0, "Contact", "contacts", "People at accounts.");
ENT(4, campaigns, "campaigns", "campaign", 0, "Campaign", NULL, "Marketing campaigns with spend.");
ENT(5, leads, "leads", "lead", 0, "Lead", NULL, "Unqualified prospects, from capture to conversion.");
ENT(6, products, "products", "product", 0, "Product2", "products", "What you sell, with list price and cost.");
ENT(7, pipelines, "pipelines", "pipeline", 0, NULL, NULL, "Sales processes; each has ordered stages.");
ENT(8, stages, "stages", "stage", 0, "OpportunityStage", NULL, "Stages of a pipeline, with probability, exit criteria and stall limit.");
ENT(9, deals, "deals", "deal", 0, "Opportunity", "deals", "Opportunities; stage changes are kept in stage_history.");
ENT(10, deal_products, "deal_products", "deal_product", 0, "OpportunityLineItem", "line_items", "Products on a deal.");
ENT(11, activities, "activities", "activity", 0, "Task", NULL, "Calls, emails, meetings, notes and tasks.");
ENT(12, touches, "touches", "touch", 0, "CampaignMember", NULL, "Marketing touches for attribution.");
ENT(13, subscriptions, "subscriptions", "subscription", 0, NULL, NULL, "Recurring revenue per account and product.");
ENT(14, field_defs, "field_defs", "field_def", 0, NULL, NULL, "Definitions of custom fields.");
ENT(15, stage_history, "stage_history", "stage_change", RV_ENT_APPEND, "OpportunityHistory", NULL, "Every stage change of every deal.");
ENT(16, field_history, "field_history", "field_change", RV_ENT_READONLY | RV_ENT_APPEND, NULL, NULL, "Changes to tracked fields.");
ENT(17, events, "events", "event", RV_ENT_READONLY | RV_ENT_APPEND, NULL, NULL, "Outbox of every write, for automation and refresh.");
ENT2(18, settings, "settings", "setting", 0, "Switches of the installation (rep_read_team).");
ENT2(19, audit_log, "audit_log", "audit_entry", RV_ENT_READONLY | RV_ENT_APPEND, "Every write and every refused access (admins only).");
ENT2(20, sessions, "sessions", "session", RV_ENT_READONLY, "Web sign-in sessions (the token is stored hashed).");
ENT2(21, api_tokens, "api_tokens", "api_token", RV_ENT_READONLY, "API tokens (stored hashed; shown once at creation).");
static const rv_entity quotas = {"quotas", "quota", quotas_f, NF(quotas_f), 0, NULL, NULL,
                                 "Revenue targets per user and period (attainment, coverage).", 3, 22};
ENT4(23, lead_sources, "lead_sources", "lead_source", 0, "Web forms and integrations that capture leads, each with its own key and rate limit.");
ENT4(24, capture_keys, "capture_keys", "capture_key", RV_ENT_READONLY, "Idempotency keys of lead captures: a retried post answers with the first lead.");
ENT4(25, routing_pools, "routing_pools", "routing_pool", 0, "Pools of reps leads are routed in, and how the owner is chosen.");
ENT4(26, routing_rules, "routing_rules", "routing_rule", 0, "Rules on lead fields that choose a pool, tried by position.");
ENT4(27, pool_members, "pool_members", "pool_member", 0, "Reps in a pool with weight, capacity, working hours and time away.");
ENT4(28, lead_assignments, "lead_assignments", "lead_assignment", RV_ENT_READONLY | RV_ENT_APPEND, "Every routing decision with its reason.");
ENT4(29, sla_policies, "sla_policies", "sla_policy", 0, "Follow-up SLA per lead priority and what a breach does.");
ENT4(30, fit_rules, "fit_rules", "fit_rule", 0, "ICP fit scoring: points per lead field value or range, capped per field.");
ENT4(31, engagement_rules, "engagement_rules", "engagement_rule", 0, "Engagement scoring: points per touch or activity kind, halved every half-life.");
static const rv_entity fx_rates = {"fx_rates", "fx_rate", fx_rates_f, NF(fx_rates_f), 0, NULL, NULL,
                                   "Exchange rates into the display currency, by day: reports convert money in other currencies with them.",
                                   5, 32};
static const rv_entity merges = {"merges", "merge", merges_f, NF(merges_f), RV_ENT_READONLY, NULL, NULL,
                                 "Merges of duplicate records, with what undoing each needs (revos dedupe undo).", 6, 33};

static const rv_entity score_models = {"score_models", "score_model", score_models_f, NF(score_models_f), 0, NULL, NULL,
                                       "Trained scoring models, versioned, with their cross-validated metrics.", 7, 34};
/* The number in each ENT() row is its position here (a test checks).
 * Order matters: an entity comes after the ones it requires (imports and
 * the generator write in this order). */
const rv_entity *const rv_entities[] = {
    &teams, &users, &accounts, &contacts, &campaigns, &leads, &products, &pipelines, &stages,
    &deals, &deal_products, &activities, &touches, &subscriptions, &field_defs, &stage_history,
    &field_history, &events, &settings, &audit_log, &sessions, &api_tokens, &quotas,
    &lead_sources, &capture_keys, &routing_pools, &routing_rules, &pool_members,
    &lead_assignments, &sla_policies, &fit_rules, &engagement_rules, &fx_rates, &merges, &score_models, NULL,
};
const int rv_entity_count = NF(rv_entities) - 1;

const rv_entity *rv_entity_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; rv_entities[i]; i++)
        if (strcmp(rv_entities[i]->name, name) == 0 || strcmp(rv_entities[i]->one, name) == 0)
            return rv_entities[i];
    return NULL;
}

int rv_field_index(const rv_entity *e, const char *name)
{
    for (int i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].name, name) == 0)
            return i;
    return -1;
}

int rv_entity_name_field(const rv_entity *e)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].flags & RV_F_NAME)
            return i;
    return -1;
}

static int field_of_type(const rv_entity *e, rv_ftype t)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].type == t)
            return i;
    return -1;
}

int rv_entity_extid_field(const rv_entity *e) { return field_of_type(e, RV_FT_EXTID); }
int rv_entity_currency_field(const rv_entity *e) { return field_of_type(e, RV_FT_CURRENCY); }

bool rv_entity_has_secret(const rv_entity *e)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].flags & RV_F_SECRET)
            return true;
    return false;
}

int rv_schema_version(void)
{
    int v = 1;
    for (int i = 0; rv_entities[i]; i++) {
        const rv_entity *e = rv_entities[i];
        if (e->since > v)
            v = e->since;
        for (int k = 0; k < e->nfields; k++)
            if (e->fields[k].since > v)
                v = e->fields[k].since;
    }
    return v;
}

bool rv_ftype_is_int(rv_ftype t)
{
    switch (t) {
    case RV_FT_INT:
    case RV_FT_MONEY:
    case RV_FT_DATE:
    case RV_FT_TS:
    case RV_FT_BOOL:
    case RV_FT_REF:
        return true;
    default:
        return false;
    }
}

const char *rv_ftype_name(rv_ftype t)
{
    static const char *const n[] = {"text", "email", "int", "money", "currency", "date",
                                    "timestamp", "bool", "enum", "reference", "external_id", "json"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

int rv_enum_index(const rv_field *f, const char *v, size_t len)
{
    if (!f->values)
        return -1;
    for (int i = 0; f->values[i]; i++)
        if (strlen(f->values[i]) == len && memcmp(f->values[i], v, len) == 0)
            return i;
    return -1;
}
