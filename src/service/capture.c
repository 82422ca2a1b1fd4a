/*
 * capture.c - lead capture: source keys and rate limits, the pipeline of
 * one lead (normalise, match, score, route, follow up, events) in one
 * transaction, and the match keys every account, contact and lead keeps.
 *
 * Matching reads indexed key columns (accounts.domain_key, name_key,
 * acronym_key, phone_key; contacts.email_key, phone_key; leads.email_key,
 * phone_key) kept by the entity behaviours below on every write, whoever
 * makes it (API, CLI, import).  An equality lookup on an index stays in
 * microseconds at millions of rows on both databases, and needs no cache
 * that could disagree with what another process just wrote.  Fuzzy
 * comparison (Jaro-Winkler on names) is the duplicate engine's job
 * (engine/match.h): it plugs in at match_account() as a last step over
 * the candidates that share a blocking key.
 *
 * The steps and their reasons are described in leads.h and docs/leads.md.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/leadscore.h"
#include "engine/normalize.h"
#include "model/money.h"
#include "service/auth.h"
#include "service/leads_internal.h"

/* --- small helpers shared by the lead files ----------------------------------- */

rv_val rv__text_val(const char *s)
{
    return (rv_val){.s = s, .len = (uint32_t)strlen(s), .state = RV_V_SET};
}

rv_val rv__int_val(int64_t i) { return (rv_val){.i = i, .state = RV_V_SET}; }

const char *rv__field_text(rv_ctx *c, const rv_record *r, const char *field)
{
    int fi = rv_field_index(r->ent, field);
    if (fi < 0 || r->v[fi].state != RV_V_SET)
        return NULL;
    const rv_field *f = &r->ent->fields[fi];
    if (rv_ftype_is_int(f->type)) {
        char buf[64];
        const char *t = rv_record_text(r, fi, buf, sizeof buf);
        return t ? rv_arena_strdup(c->arena, t) : NULL;
    }
    if (!r->v[fi].len)
        return NULL;
    return rv_arena_strndup(c->arena, r->v[fi].s, r->v[fi].len);
}

int64_t rv__field_int(const rv_record *r, const char *field)
{
    int fi = rv_field_index(r->ent, field);
    return fi >= 0 && r->v[fi].state == RV_V_SET ? r->v[fi].i : 0;
}

const char *rv__setting(rv_ctx *c, const char *key)
{
    const rv_entity *e = rv_entity_find("settings");
    int64_t id;
    rv_err e2;
    rv_record r;
    if (rv_store_find(c->store, e, rv_field_index(e, "key"), key, strlen(key), -1, 0, &id, &e2) ||
        rv_store_get(c->store, e, id, &r, c->arena, &e2))
        return NULL;
    return rv__field_text(c, &r, "value");
}

typedef struct ids_acc {
    int64_t *ids;
    int max, n;
} ids_acc;

static int ids_row(void *ud, const rv_record *r)
{
    ids_acc *a = ud;
    if (a->n < a->max)
        a->ids[a->n++] = r->id;
    return a->n >= a->max;
}

static rv_status ids_where(rv_ctx *c, const rv_entity *e, const char *field, rv_val v,
                           int64_t *ids, int max, int *n, rv_err *err)
{
    rv_query q;
    rv_query_init(&q, e);
    q.filters[0] = (rv_filter){.field = rv_field_index(e, field), .op = RV_OP_EQ, .val = v};
    q.nfilters = 1;
    q.sort_field = RV_COL_ID;
    q.limit = max;
    ids_acc a = {ids, max, 0};
    rv_status st = rv_store_list(c->store, &q, ids_row, &a, err);
    *n = a.n;
    return st;
}

rv_status rv__ids_where_text(rv_ctx *c, const rv_entity *e, const char *field, const char *value,
                             int64_t *ids, int max, int *n, rv_err *err)
{
    return ids_where(c, e, field, rv__text_val(value), ids, max, n, err);
}

rv_status rv__ids_where_int(rv_ctx *c, const rv_entity *e, const char *field, int64_t value,
                            int64_t *ids, int max, int *n, rv_err *err)
{
    return ids_where(c, e, field, rv__int_val(value), ids, max, n, err);
}

rv_status rv__sla_minutes(rv_ctx *c, const char *priority, int64_t *minutes, rv_record *policy,
                          bool *has_policy, rv_err *err)
{
    const rv_entity *pe = rv_entity_find("sla_policies");
    int64_t id;
    int n = 0;
    *has_policy = false;
    rv_status st = rv__ids_where_text(c, pe, "priority", priority ? priority : "normal", &id, 1,
                                      &n, err);
    if (st)
        return st;
    if (n) {
        if ((st = rv_store_get(c->store, pe, id, policy, c->arena, err)))
            return st;
        *has_policy = true;
        *minutes = rv__field_int(policy, "first_touch_minutes");
        return RV_OK;
    }
    const char *s = rv__setting(c, "lead_sla_minutes");
    int v = s ? atoi(s) : 0;
    *minutes = v > 0 ? v : RV_SLA_DEFAULT_MINUTES;
    return RV_OK;
}

rv_status rv__first_touch_task(rv_ctx *c, const rv_record *lead, int64_t owner, int64_t due,
                               const char *subject, int64_t *id, rv_err *err)
{
    rv_record t;
    rv_record_init(&t, rv_entity_find("activities"));
    t.v[rv_field_index(t.ent, "kind")] = rv__text_val("task");
    t.v[rv_field_index(t.ent, "subject")] = rv__text_val(subject);
    if (owner)
        t.v[rv_field_index(t.ent, "owner_id")] = rv__int_val(owner);
    t.v[rv_field_index(t.ent, "lead_id")] = rv__int_val(lead->id);
    t.v[rv_field_index(t.ent, "due_at")] = rv__int_val(due);
    rv_status st = rv_svc_create(c, &t, err);
    if (!st && id)
        *id = t.id;
    return st;
}

/* --- match keys ------------------------------------------------------------------ */

typedef rv_status (*norm_fn)(rv_buf *out, const char *in, size_t len, const char *field,
                             rv_err *err);

/* Key of field src by fn into key field dst (NULL when src is empty or
 * unreadable).  Returns the key text (arena) or NULL. */
static const char *set_key(rv_ctx *c, rv_record *r, const char *dst, const char *src, norm_fn fn)
{
    int di = rv_field_index(r->ent, dst);
    const char *v = rv__field_text(c, r, src);
    r->v[di] = (rv_val){.state = RV_V_NULL};
    if (!v)
        return NULL;
    rv_buf b;
    rv_err e2;
    rv_buf_init(&b, 4096);
    const char *out = NULL;
    if (!fn(&b, v, strlen(v), src, &e2) && b.len)
        out = rv_arena_strndup(c->arena, b.data, b.len);
    rv_buf_release(&b);
    if (out)
        r->v[di] = rv__text_val(out);
    return out;
}

static const char *default_cc(rv_ctx *c)
{
    const char *s = rv__setting(c, "default_country_code");
    return s && *s ? s : "1";
}

static __thread const char *norm_cc; /* the default country code of phone_norm */

static rv_status phone_norm(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err)
{
    return rv_norm_phone(out, in, len, norm_cc, field, err);
}

/* Company key without spaces, so that word splits meet ("Micro Soft",
 * "Microsoft"); the acronym of the spaced key into *acro. */
static rv_status company_join(rv_buf *out, const char *in, size_t len, const char *field,
                              rv_err *err)
{
    rv_buf k;
    rv_buf_init(&k, 4096);
    rv_status st = rv_norm_company_key(&k, in, len, field, err);
    for (size_t i = 0; !st && i < k.len; i++)
        if (k.data[i] != ' ')
            rv_buf_putc(out, k.data[i]);
    rv_buf_release(&k);
    return st;
}

static rv_status company_acronym(rv_buf *out, const char *in, size_t len, const char *field,
                                 rv_err *err)
{
    rv_buf k;
    rv_buf_init(&k, 4096);
    rv_status st = rv_norm_company_key(&k, in, len, field, err);
    if (!st && k.len)
        rv_norm_acronym(out, k.data);
    rv_buf_release(&k);
    return st;
}

static rv_status email_key(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err)
{
    rv_buf e;
    rv_buf_init(&e, 4096);
    rv_status st = rv_norm_email(&e, in, len, field, err);
    if (!st)
        st = rv_norm_email_key(out, e.data, e.len, field, err);
    rv_buf_release(&e);
    return st;
}

/* Company domain of a lead's email: none for free-mail. */
static rv_status email_company_domain(rv_buf *out, const char *in, size_t len, const char *field,
                                      rv_err *err)
{
    size_t before = out->len;
    rv_status st = rv_norm_domain(out, in, len, field, err);
    if (!st && rv_norm_domain_is_freemail(out->data + before)) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
    }
    return st;
}

void rv__match_keys(rv_ctx *c, rv_record *r)
{
    const char *n = r->ent->name;
    norm_cc = NULL;
    if (rv_field_index(r->ent, "phone_key") >= 0) {
        norm_cc = default_cc(c);
        set_key(c, r, "phone_key", "phone", phone_norm);
    }
    if (!strcmp(n, "accounts")) {
        set_key(c, r, "domain_key", "domain", rv_norm_domain);
        set_key(c, r, "name_key", "name", company_join);
        set_key(c, r, "acronym_key", "name", company_acronym);
        set_key(c, r, "postcode_key", "postcode", rv_norm_postcode);
    } else if (!strcmp(n, "contacts")) {
        set_key(c, r, "email_key", "email", email_key);
    } else if (!strcmp(n, "leads")) {
        set_key(c, r, "email_key", "email", email_key);
        if (!set_key(c, r, "domain_key", "website", rv_norm_domain))
            set_key(c, r, "domain_key", "email", email_company_domain);
        set_key(c, r, "name_key", "company", company_join);
    }
}

static rv_status keys_check(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    (void)old, (void)err;
    rv__match_keys(c, r);
    return RV_OK;
}

const rv__behaviour rv__account_behaviour = {"accounts", NULL, keys_check, NULL};
const rv__behaviour rv__contact_behaviour = {"contacts", NULL, keys_check, NULL};
const rv__behaviour rv__lead_behaviour = {"leads", NULL, keys_check, NULL};

/* --- sources: keys and rate limits ------------------------------------------------ */

typedef struct source_args {
    const char *name, *rate;
    char *key;
    int64_t *id;
} source_args;

static rv_status source_tx(rv_ctx *c, void *ud, rv_err *err)
{
    source_args *a = ud;
    rv_record s;
    rv_record_init(&s, rv_entity_find("lead_sources"));
    rv_status st;
    if (!a->name || !a->name[0])
        return rv_err_set(err, RV_EINVAL, "name", "--name is required (the form or integration)");
    if ((st = rv_record_set_named(&s, "name", a->name, c->arena, err)) ||
        (a->rate && (st = rv_record_set_named(&s, "rate_per_minute", a->rate, c->arena, err))))
        return st;
    char hex[65], prefix[16];
    rv_auth_random_token("rvl_", a->key);
    rv_auth_token_hash(a->key, hex);
    snprintf(prefix, sizeof prefix, "%.12s", a->key);
    s.v[rv_field_index(s.ent, "key_hash")] = rv__text_val(rv_arena_strdup(c->arena, hex));
    s.v[rv_field_index(s.ent, "key_prefix")] = rv__text_val(rv_arena_strdup(c->arena, prefix));
    bool secret = c->set_secret;
    c->set_secret = true;
    st = rv_svc_create(c, &s, err);
    c->set_secret = secret;
    if (!st)
        *a->id = s.id;
    return st;
}

rv_status rv_lead_source_create(rv_ctx *c, const char *name, const char *rate_per_minute,
                                char key[80], int64_t *id, rv_err *err)
{
    key[0] = '\0';
    rv_status st = rv_auth_init(err);
    if (st)
        return st;
    source_args a = {name, rate_per_minute, key, id};
    if ((st = rv_svc_tx(c, source_tx, &a, err)))
        key[0] = '\0';
    return st;
}

#define RATE_SLOTS 256
static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rate_slot {
    int64_t source, minute, count;
} rate[RATE_SLOTS];

void rv_capture_rate_reset(void)
{
    pthread_mutex_lock(&rate_mu);
    memset(rate, 0, sizeof rate);
    pthread_mutex_unlock(&rate_mu);
}

/* One more capture of source in the current minute, unless limit is
 * reached: RV_ERATE then, with the seconds to wait. */
static rv_status rate_take(int64_t source, const char *name, int64_t limit, int64_t now,
                           rv_err *err)
{
    int64_t minute = now / 60000;
    pthread_mutex_lock(&rate_mu);
    struct rate_slot *s = &rate[(uint64_t)source % RATE_SLOTS];
    if (s->source != source || s->minute != minute)
        *s = (struct rate_slot){source, minute, 0};
    bool over = s->count >= limit;
    if (!over)
        s->count++;
    pthread_mutex_unlock(&rate_mu);
    if (over)
        return rv_err_set(err, RV_ERATE, NULL,
                          "lead source '%s' is over its limit of %lld captures per minute; retry "
                          "in %lld s",
                          name, (long long)limit, (long long)((minute + 1) * 60000 - now + 999) / 1000);
    return RV_OK;
}

/* The source of a key: RV_EUNAUTH when missing, unknown or inactive. */
static rv_status source_of(rv_ctx *c, const char *key, rv_record *src, rv_err *err)
{
    const rv_entity *e = rv_entity_find("lead_sources");
    if (!key || !*key)
        return rv_err_set(err, RV_EUNAUTH, NULL,
                          "lead capture needs the source's key in the X-Source-Key header");
    char hex[65];
    rv_auth_token_hash(key, hex);
    int64_t id;
    int n = 0;
    rv_status st = rv__ids_where_text(c, e, "key_hash", hex, &id, 1, &n, err);
    if (st)
        return st;
    if (!n)
        return rv_err_set(err, RV_EUNAUTH, NULL, "unknown source key '%.12s...'", key);
    if ((st = rv_store_get(c->store, e, id, src, c->arena, err)))
        return st;
    if (!rv__field_int(src, "active"))
        return rv_err_set(err, RV_EUNAUTH, NULL, "lead source '%s' is inactive",
                          rv__field_text(c, src, "name"));
    return RV_OK;
}

/* --- the pipeline ------------------------------------------------------------------- */

/* What a capture may set; the rest (owner, status, scores, links) is
 * revos's decision. */
static const char *const capture_fields[] = {
    "first_name", "last_name", "email",    "phone",  "company",     "title",    "website",
    "industry",   "employees", "country",  "postcode", "source",    "campaign_id", "priority",
    NULL,
};

static bool capturable(const char *k)
{
    for (int i = 0; capture_fields[i]; i++)
        if (!strcmp(capture_fields[i], k))
            return true;
    return false;
}

/* Body -> lead record: strings and integers as text, so that JSON and
 * form posts read alike. */
static rv_status parse_body(rv_ctx *c, json_t *body, rv_record *r, rv_err *err)
{
    char q[80], num[32];
    if (!json_is_object(body))
        return rv_err_set(err, RV_EINVAL, NULL, "the body must be a JSON object or a form");
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (rv_field_index(r->ent, k) < 0)
            return rv_err_set(err, RV_EUNKNOWN, k, "leads has no field '%s'",
                              rv_err_quote(q, sizeof q, k, strlen(k)));
        if (!capturable(k))
            return rv_err_set(err, RV_EINVAL, k,
                              "%s cannot be captured: revos sets it (a capture may give "
                              "first_name, last_name, email, phone, company, title, website, "
                              "industry, employees, country, postcode, source, campaign_id, "
                              "priority)",
                              k);
        const char *s;
        if (json_is_string(v))
            s = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), s = num;
        else if (json_is_null(v))
            continue;
        else
            return rv_err_set(err, RV_EINVAL, k, "%s must be text or a whole number", k);
        rv_status st = rv_record_set_named(r, k, s, c->arena, err);
        if (st)
            return st;
    }
    return RV_OK;
}

/* Stored forms: display names, the email's and the phone's canonical
 * forms; errors name the field and the value. */
static rv_status normalise(rv_ctx *c, rv_record *r, rv_err *err)
{
    static const char *const names[] = {"first_name", "last_name", "company", "title", NULL};
    rv_buf b;
    rv_buf_init(&b, 4096);
    rv_status st = RV_OK;
    for (int i = 0; names[i] && !st; i++) {
        const char *v = rv__field_text(c, r, names[i]);
        rv_buf_reset(&b);
        if (v && !(st = rv_norm_display(&b, v, strlen(v), names[i], err)))
            r->v[rv_field_index(r->ent, names[i])] =
                rv__text_val(rv_arena_strndup(c->arena, b.data ? b.data : "", b.len));
    }
    const char *email = rv__field_text(c, r, "email"), *phone = rv__field_text(c, r, "phone");
    rv_buf_reset(&b);
    if (!st && email && !(st = rv_norm_email(&b, email, strlen(email), "email", err)))
        r->v[rv_field_index(r->ent, "email")] = rv__text_val(rv_arena_strndup(c->arena, b.data, b.len));
    rv_buf_reset(&b);
    if (!st && phone &&
        !(st = rv_norm_phone(&b, phone, strlen(phone), default_cc(c), "phone", err)))
        r->v[rv_field_index(r->ent, "phone")] = rv__text_val(rv_arena_strndup(c->arena, b.data, b.len));
    const char *site = rv__field_text(c, r, "website");
    rv_buf_reset(&b);
    if (!st && site)
        st = rv_norm_domain(&b, site, strlen(site), "website", err);
    rv_buf_release(&b);
    if (!st && !email && !phone)
        st = rv_err_set(err, RV_EINVAL, "email", "email or phone is required");
    return st;
}

typedef struct match {
    int64_t lead, contact, account, account_owner;
    bool lead_open;
    rv_buf reason;
} match;

static void reason_add(match *m, const char *what, const char *word, long long id)
{
    if (m->reason.len)
        rv_buf_puts(&m->reason, "; ");
    rv_buf_printf(&m->reason, "%s%s %lld", what, word, id);
}

static bool lead_closed(rv_ctx *c, const rv_record *l)
{
    const char *s = rv__field_text(c, l, "status");
    return s && (!strcmp(s, "converted") || !strcmp(s, "disqualified"));
}

/* The same person among the leads (email key, else phone key), then the
 * contacts. */
static rv_status match_person(rv_ctx *c, const rv_record *r, match *m, rv_err *err)
{
    static const char *const keys[] = {"email_key", "phone_key"};
    static const char *const words[] = {"email", "phone"};
    const rv_entity *le = rv_entity_find("leads"), *ce = rv_entity_find("contacts");
    rv_status st;
    for (int k = 0; k < 2 && !m->lead; k++) {
        const char *key = rv__field_text(c, r, keys[k]);
        int64_t ids[8];
        int n = 0;
        if (!key)
            continue;
        if ((st = rv__ids_where_text(c, le, keys[k], key, ids, 8, &n, err)))
            return st;
        /* an open lead takes the capture; else the latest closed one is linked */
        for (int i = 0; i < n; i++) {
            rv_record l;
            if ((st = rv_store_get(c->store, le, ids[i], &l, c->arena, err)))
                return st;
            if (!lead_closed(c, &l)) {
                m->lead = l.id, m->lead_open = true;
                break;
            }
            m->lead = l.id;
        }
        if (m->lead)
            reason_add(m, "same ", rv_arena_printf(c->arena, "%s as %s lead", words[k],
                                                   m->lead_open ? "open" : "closed"),
                       (long long)m->lead);
    }
    for (int k = 0; k < 2 && !m->contact; k++) {
        const char *key = rv__field_text(c, r, keys[k]);
        int64_t id;
        int n = 0;
        if (!key)
            continue;
        if ((st = rv__ids_where_text(c, ce, keys[k], key, &id, 1, &n, err)))
            return st;
        if (!n)
            continue;
        m->contact = id;
        reason_add(m, "same ", rv_arena_printf(c->arena, "%s as contact", words[k]), (long long)id);
        rv_record ct;
        if ((st = rv_store_get(c->store, ce, id, &ct, c->arena, err)))
            return st;
        if ((m->account = rv__field_int(&ct, "account_id")))
            rv_buf_printf(&m->reason, "; account %lld of the contact", (long long)m->account);
    }
    return RV_OK;
}

/* Accounts sharing a key: the one with the same postcode, then the same
 * country, then one with an owner, then the lowest id. */
static rv_status tie_break(rv_ctx *c, const rv_record *lead, const int64_t *ids, int n,
                           int64_t *best, const char **why, rv_err *err)
{
    const rv_entity *ae = rv_entity_find("accounts");
    rv_buf pc;
    rv_buf_init(&pc, 256);
    const char *lp = rv__field_text(c, lead, "postcode"), *lc = rv__field_text(c, lead, "country");
    rv_err e2;
    const char *lpk = lp && !rv_norm_postcode(&pc, lp, strlen(lp), "postcode", &e2)
                          ? rv_arena_strndup(c->arena, pc.data, pc.len)
                          : NULL;
    rv_buf_release(&pc);
    int best_rank = -1;
    *why = "lowest id";
    for (int i = 0; i < n; i++) {
        rv_record a;
        rv_status st = rv_store_get(c->store, ae, ids[i], &a, c->arena, err);
        if (st)
            return st;
        const char *ap = rv__field_text(c, &a, "postcode_key"), *ac = rv__field_text(c, &a, "country");
        int rank = (lpk && ap && !strcmp(lpk, ap)) * 4 + (lc && ac && !strcasecmp(lc, ac)) * 2 +
                   (rv__field_int(&a, "owner_id") != 0);
        if (rank > best_rank) {
            best_rank = rank, *best = a.id;
            *why = rank >= 4 ? "same postcode" : rank >= 2 ? "same country" : rank ? "has an owner" : "lowest id";
        }
    }
    return RV_OK;
}

static rv_status match_account(rv_ctx *c, const rv_record *r, match *m, rv_err *err)
{
    static const struct {
        const char *lead_key, *acct_key, *words;
    } steps[] = {
        {"domain_key", "domain_key", "domain"},
        {"name_key", "name_key", "company name"},
        {"name_key", "acronym_key", "company name as the account's acronym"},
        {NULL, "name_key", "acronym of the company name"},
        {"phone_key", "phone_key", "phone"},
    };
    const rv_entity *ae = rv_entity_find("accounts");
    rv_status st;
    if (!m->account) {
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            const char *key;
            if (steps[s].lead_key) {
                key = rv__field_text(c, r, steps[s].lead_key);
            } else { /* the lead's acronym ("International Business Machines" -> ibm) */
                const char *co = rv__field_text(c, r, "company");
                rv_buf b;
                rv_buf_init(&b, 4096);
                rv_err e2;
                key = co && !company_acronym(&b, co, strlen(co), "company", &e2) && b.len
                          ? rv_arena_strndup(c->arena, b.data, b.len)
                          : NULL;
                rv_buf_release(&b);
            }
            int64_t ids[8];
            int n = 0;
            if (!key)
                continue;
            if ((st = rv__ids_where_text(c, ae, steps[s].acct_key, key, ids, 8, &n, err)))
                return st;
            if (!n)
                continue;
            const char *why = NULL;
            m->account = ids[0];
            if (n > 1 && (st = tie_break(c, r, ids, n, &m->account, &why, err)))
                return st;
            if (m->reason.len)
                rv_buf_puts(&m->reason, "; ");
            rv_buf_printf(&m->reason, "account %lld by %s '%s'", (long long)m->account,
                          steps[s].words, key);
            if (why)
                rv_buf_printf(&m->reason, " (%d%s candidates, chosen by %s)", n, n == 8 ? "+" : "", why);
            break;
        }
    }
    if (m->account) {
        rv_record a;
        if ((st = rv_store_get(c->store, ae, m->account, &a, c->arena, err)))
            return st;
        m->account_owner = rv__field_int(&a, "owner_id");
    } else {
        rv_buf_puts(&m->reason, m->reason.len ? "; no account matched" : "no account matched");
    }
    return RV_OK;
}

/* --- scoring ------------------------------------------------------------------------ */

typedef struct rules_acc {
    rv_ctx *c;
    rv_fit_rule *fit;
    rv_engage_rule *eng;
    int n, max;
} rules_acc;

static int int_or(const rv_record *r, const char *f, int dflt)
{
    int fi = rv_field_index(r->ent, f);
    return r->v[fi].state == RV_V_SET ? (int)r->v[fi].i : dflt;
}

static int fit_row(void *ud, const rv_record *r)
{
    rules_acc *a = ud;
    if (a->n == a->max)
        return 1;
    rv_fit_rule *f = &a->fit[a->n++];
    f->field = rv__field_text(a->c, r, "field");
    const char *op = rv__field_text(a->c, r, "op");
    f->op = op ? (rv_route_op)rv_route_op_parse(op) : RV_RO_EQ;
    f->value = rv__field_text(a->c, r, "value");
    f->points = int_or(r, "points", 0);
    f->cap = int_or(r, "cap", -1);
    return 0;
}

static int eng_row(void *ud, const rv_record *r)
{
    rules_acc *a = ud;
    if (a->n == a->max)
        return 1;
    rv_engage_rule *g = &a->eng[a->n++];
    g->kind = rv__field_text(a->c, r, "kind");
    g->points = int_or(r, "points", 0);
    g->half_life_days = int_or(r, "half_life_days", 30);
    g->cap = int_or(r, "cap", -1);
    return 0;
}

typedef struct events_acc {
    rv_ctx *c;
    rv_engage_event *ev;
    int n, max;
    const char *at_field;
} events_acc;

static int event_row(void *ud, const rv_record *r)
{
    events_acc *a = ud;
    int64_t at = rv__field_int(r, a->at_field);
    if (a->n == a->max)
        return 1;
    if (!at)
        return 0;
    a->ev[a->n++] = (rv_engage_event){rv__field_text(a->c, r, "kind"), at};
    return 0;
}

rv_status rv__list_where(rv_ctx *c, const char *entity, const char *field, int64_t id,
                         const char *sort, int limit, rv_row_fn fn, void *ud, rv_err *err)
{
    rv_query q;
    rv_query_init(&q, rv_entity_find(entity));
    if (field) {
        q.filters[0] = (rv_filter){.field = rv_field_index(q.ent, field), .op = RV_OP_EQ,
                                   .val = rv__int_val(id)};
        q.nfilters = 1;
    }
    q.sort_field = sort ? rv_field_index(q.ent, sort) : RV_COL_ID;
    q.limit = limit;
    return rv_store_list(c->store, &q, fn, ud, err);
}

static rv_status list_all(rv_ctx *c, const char *entity, const char *field, int64_t id,
                          rv_row_fn fn, void *ud, rv_err *err)
{
    return rv__list_where(c, entity, field, id, NULL, 1000, fn, ud, err);
}

typedef struct value_ud {
    rv_ctx *c;
    const rv_record *r;
} value_ud;

static const char *lead_value(void *ud, const char *field)
{
    value_ud *v = ud;
    return rv_field_index(v->r->ent, field) >= 0 ? rv__field_text(v->c, v->r, field) : NULL;
}

#define MAX_RULES 200
#define MAX_EVENTS 1000

/* Score lead r: its linked lead's and contact's touches and done
 * activities, plus this capture's form touch at now. */
static rv_status score(rv_ctx *c, const rv_record *r, const match *m, int64_t now,
                       rv_leadscore_result *res, rv_err *err)
{
    rv_fit_rule *fit = rv_arena_alloc(c->arena, MAX_RULES * sizeof *fit);
    rv_engage_rule *eng = rv_arena_alloc(c->arena, MAX_RULES * sizeof *eng);
    rv_engage_event *ev = rv_arena_alloc(c->arena, MAX_EVENTS * sizeof *ev);
    rules_acc fa = {c, fit, NULL, 0, MAX_RULES}, ea = {c, NULL, eng, 0, MAX_RULES};
    events_acc va = {c, ev, 0, MAX_EVENTS - 1, "at"};
    rv_status st;
    if ((st = list_all(c, "fit_rules", NULL, 0, fit_row, &fa, err)) ||
        (st = list_all(c, "engagement_rules", NULL, 0, eng_row, &ea, err)))
        return st;
    if (ea.n) { /* history matters only when some kind scores */
        if (m->lead && (st = list_all(c, "touches", "lead_id", m->lead, event_row, &va, err)))
            return st;
        if (m->contact && (st = list_all(c, "touches", "contact_id", m->contact, event_row, &va, err)))
            return st;
        va.at_field = "done_at";
        if (m->lead && (st = list_all(c, "activities", "lead_id", m->lead, event_row, &va, err)))
            return st;
        if (m->contact &&
            (st = list_all(c, "activities", "contact_id", m->contact, event_row, &va, err)))
            return st;
    }
    ev[va.n++] = (rv_engage_event){"form", now};
    value_ud vu = {c, r};
    /* A predictive probability joins here once a model engine serves
     * leads (engine/model.h): res->has_predicted stays false until then. */
    rv_leadscore(fit, fa.n, lead_value, &vu, eng, ea.n, ev, va.n, now, res);
    return RV_OK;
}

static const char *reasons_json(rv_ctx *c, const rv_leadscore_result *res)
{
    rv_buf b;
    rv_jsonw w;
    rv_buf_init(&b, 8192);
    rv_jsonw_init(&w, &b, false);
    rv_jsonw_arr_begin(&w);
    for (int i = 0; i < res->nreasons; i++) {
        rv_jsonw_obj_begin(&w);
        rv_jsonw_key(&w, "rule");
        rv_jsonw_str(&w, res->reasons[i].text);
        rv_jsonw_key(&w, "points");
        rv_jsonw_int(&w, res->reasons[i].points);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_arr_end(&w);
    const char *s = rv_arena_strndup(c->arena, b.data ? b.data : "[]", b.data ? b.len : 2);
    rv_buf_release(&b);
    return s;
}

static void set_scores(rv_record *r, const rv_leadscore_result *res, const char *reasons)
{
    r->v[rv_field_index(r->ent, "fit_score")] = rv__int_val(res->fit);
    r->v[rv_field_index(r->ent, "engagement_score")] = rv__int_val(res->engagement);
    r->v[rv_field_index(r->ent, "score")] = rv__int_val(res->score);
    r->v[rv_field_index(r->ent, "score_reasons")] = rv__text_val(reasons);
}

static rv_status add_touch(rv_ctx *c, int64_t lead, int64_t campaign, int64_t now, rv_err *err)
{
    rv_record t;
    rv_record_init(&t, rv_entity_find("touches"));
    t.v[rv_field_index(t.ent, "kind")] = rv__text_val("form");
    t.v[rv_field_index(t.ent, "lead_id")] = rv__int_val(lead);
    t.v[rv_field_index(t.ent, "at")] = rv__int_val(now);
    t.v[rv_field_index(t.ent, "channel")] = rv__text_val("capture");
    if (campaign)
        t.v[rv_field_index(t.ent, "campaign_id")] = rv__int_val(campaign);
    return rv_svc_create(c, &t, err);
}

static uint64_t fnv(const char *s, uint64_t h)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

typedef struct capture_args {
    const rv_capture_req *req;
    rv_record *src; /* NULL for trusted callers */
    rv_capture_result *out;
} capture_args;

static rv_status emit_captured(rv_ctx *c, const rv_capture_result *o, rv_err *err)
{
    rv_buf b;
    rv_jsonw w;
    rv_buf_init(&b, 65536);
    rv_jsonw_init(&w, &b, false);
    rv_capture_result_json(o, &w);
    rv_status st = rv__emit_event(c, rv_entity_find("leads"), o->lead_id, "captured",
                                  rv_buf_str(&b), err);
    rv_buf_release(&b);
    return st;
}

/* An open lead of the same person takes the capture: a touch, empty
 * fields filled from the capture, a new score. */
static rv_status link_to_open(rv_ctx *c, const rv_record *in, match *m, int64_t now,
                              capture_args *a, rv_err *err)
{
    const rv_entity *le = rv_entity_find("leads");
    rv_record old, ch;
    rv_status st;
    if ((st = rv_store_get(c->store, le, m->lead, &old, c->arena, err)))
        return st;
    rv_record_init(&ch, le);
    ch.id = old.id;
    for (int i = 0; capture_fields[i]; i++) {
        int fi = rv_field_index(le, capture_fields[i]);
        if (in->v[fi].state == RV_V_SET && old.v[fi].state != RV_V_SET)
            ch.v[fi] = in->v[fi];
    }
    rv_leadscore_result res;
    /* scored before this capture's touch is stored: score() counts it */
    if ((st = score(c, &old, m, now, &res, err)) ||
        (st = add_touch(c, old.id, rv__field_int(&old, "campaign_id"), now, err)))
        return st;
    const char *reasons = reasons_json(c, &res);
    set_scores(&ch, &res, reasons);
    rv_record now_lead;
    if ((st = rv_svc_update(c, &ch, &now_lead, err)))
        return st;
    rv_capture_result *o = a->out;
    o->lead_id = old.id, o->linked = true;
    o->contact_id = rv__field_int(&now_lead, "matched_contact_id");
    o->account_id = rv__field_int(&now_lead, "account_id");
    o->owner_id = rv__field_int(&now_lead, "owner_id");
    o->duplicate_of_id = rv__field_int(&now_lead, "duplicate_of_id");
    o->fit = res.fit, o->engagement = res.engagement, o->score = res.score;
    o->sla_due_at = rv__field_int(&now_lead, "sla_due_at");
    o->match_reason = rv_arena_strdup(c->arena, rv_buf_str(&m->reason));
    o->score_reasons = reasons;
    o->route_reason = rv__field_text(c, &now_lead, "route_reason");
    return RV_OK;
}

static rv_status capture_tx(rv_ctx *c, void *ud, rv_err *err)
{
    capture_args *a = ud;
    const rv_capture_req *req = a->req;
    rv_capture_result *o = a->out;
    const rv_entity *le = rv_entity_find("leads");
    int64_t now = rv_now_ms();
    rv_status st;
    int64_t sid = a->src ? a->src->id : 0;
    const char *ikey = NULL;
    if (sid && req->idem_key && *req->idem_key) {
        if (strlen(req->idem_key) > 200)
            return rv_err_set(err, RV_EINVAL, "Idempotency-Key",
                              "Idempotency-Key must be at most 200 characters, got %zu",
                              strlen(req->idem_key));
        ikey = rv_arena_printf(c->arena, "%lld:%s", (long long)sid, req->idem_key);
        int64_t id;
        int n = 0;
        const rv_entity *ke = rv_entity_find("capture_keys");
        if ((st = rv__ids_where_text(c, ke, "key", ikey, &id, 1, &n, err)))
            return st;
        if (n) { /* a retry: answer with the first capture's lead */
            rv_record k, l;
            if ((st = rv_store_get(c->store, ke, id, &k, c->arena, err)) ||
                (st = rv_store_get(c->store, le, rv__field_int(&k, "lead_id"), &l, c->arena, err)))
                return st;
            o->replayed = true;
            o->lead_id = l.id, o->source_id = sid;
            o->duplicate_of_id = rv__field_int(&l, "duplicate_of_id");
            o->contact_id = rv__field_int(&l, "matched_contact_id");
            o->account_id = rv__field_int(&l, "account_id");
            o->owner_id = rv__field_int(&l, "owner_id");
            o->fit = (int)rv__field_int(&l, "fit_score");
            o->engagement = (int)rv__field_int(&l, "engagement_score");
            o->score = (int)rv__field_int(&l, "score");
            o->sla_due_at = rv__field_int(&l, "sla_due_at");
            o->match_reason = rv__field_text(c, &l, "match_reason");
            o->score_reasons = rv__field_text(c, &l, "score_reasons");
            o->route_reason = rv__field_text(c, &l, "route_reason");
            return RV_OK;
        }
    }
    /* 1. normalise */
    rv_record r;
    rv_record_init(&r, le);
    if ((st = parse_body(c, req->body, &r, err)) || (st = normalise(c, &r, err)))
        return st;
    if (rv__field_int(&r, "campaign_id") == 0 && r.v[rv_field_index(le, "campaign_id")].state == RV_V_UNSET &&
        a->src && rv__field_int(a->src, "campaign_id"))
        r.v[rv_field_index(le, "campaign_id")] = rv__int_val(rv__field_int(a->src, "campaign_id"));
    if (r.v[rv_field_index(le, "priority")].state != RV_V_SET && a->src)
        r.v[rv_field_index(le, "priority")] = rv__text_val(rv__field_text(c, a->src, "priority"));
    if ((st = rv_svc_resolve_refs(c, &r, err)))
        return st;
    rv_record_apply_defaults(&r, c->arena);
    rv__match_keys(c, &r);
    /* 2. match */
    match m = {0};
    rv_buf_init(&m.reason, 4000);
    if ((st = match_person(c, &r, &m, err)) || (!m.lead_open && (st = match_account(c, &r, &m, err)))) {
        rv_buf_release(&m.reason);
        return st;
    }
    o->source_id = sid;
    if (m.lead_open) {
        st = link_to_open(c, &r, &m, now, a, err);
    } else {
        /* 3. score */
        rv_leadscore_result res;
        int64_t dup = m.lead;
        m.lead = dup; /* a closed lead's touches count toward engagement */
        st = score(c, &r, &m, now, &res, err);
        const char *reasons = st ? NULL : reasons_json(c, &res);
        if (!st) {
            set_scores(&r, &res, reasons);
            if (dup)
                r.v[rv_field_index(le, "duplicate_of_id")] = rv__int_val(dup);
            if (m.contact)
                r.v[rv_field_index(le, "matched_contact_id")] = rv__int_val(m.contact);
            if (m.account)
                r.v[rv_field_index(le, "account_id")] = rv__int_val(m.account);
            r.v[rv_field_index(le, "match_reason")] =
                rv__text_val(rv_arena_strdup(c->arena, rv_buf_str(&m.reason)));
            if (sid)
                r.v[rv_field_index(le, "source_id")] = rv__int_val(sid);
            r.v[rv_field_index(le, "created_on")] = rv__int_val(now);
        }
        /* 4. route */
        rv__route_out ro = {0};
        uint64_t tie = fnv(rv__field_text(c, &r, "email_key"), 0xcbf29ce484222325ULL) ^
                       fnv(rv__field_text(c, &r, "phone_key"), (uint64_t)now);
        if (!st)
            st = rv__route_decide(c, &r, m.account_owner, tie, 0, &ro, err);
        int64_t minutes = 0;
        rv_record pol;
        bool has_pol;
        if (!st)
            st = rv__sla_minutes(c, rv__field_text(c, &r, "priority"), &minutes, &pol, &has_pol, err);
        if (!st) {
            if (ro.owner)
                r.v[rv_field_index(le, "owner_id")] = rv__int_val(ro.owner);
            r.v[rv_field_index(le, "route_reason")] = rv__text_val(ro.reason);
            r.v[rv_field_index(le, "sla_due_at")] = rv__int_val(now + minutes * 60000);
            st = rv_svc_create(c, &r, err);
        }
        /* 5. follow up, record, events: the assignment, the touch and the
         * task are named by the one "captured" event, not an event each
         * (three event rows and their index entries fewer per capture) */
        bool quiet = c->no_events;
        c->no_events = true;
        if (!st)
            st = rv__route_record(c, r.id, &ro, err);
        if (!st)
            st = add_touch(c, r.id, rv__field_int(&r, "campaign_id"), now, err);
        if (!st) {
            const char *who = rv__field_text(c, &r, "last_name");
            const char *co = rv__field_text(c, &r, "company");
            const char *subject = rv_arena_printf(c->arena, "First touch: %s%s%s",
                                                  who ? who : rv__field_text(c, &r, "email") ? rv__field_text(c, &r, "email") : "new lead",
                                                  co ? ", " : "", co ? co : "");
            st = rv__first_touch_task(c, &r, ro.owner, now + minutes * 60000, subject, &o->task_id, err);
        }
        c->no_events = quiet;
        if (!st) {
            o->lead_id = r.id, o->duplicate_of_id = dup, o->contact_id = m.contact;
            o->account_id = m.account, o->owner_id = ro.owner;
            o->fit = res.fit, o->engagement = res.engagement, o->score = res.score;
            o->sla_due_at = now + minutes * 60000;
            o->match_reason = rv_arena_strdup(c->arena, rv_buf_str(&m.reason));
            o->score_reasons = reasons;
            o->route_reason = ro.reason;
        }
    }
    rv_buf_release(&m.reason);
    if (st)
        return st;
    if (ikey) {
        rv_record k;
        rv_record_init(&k, rv_entity_find("capture_keys"));
        k.v[0] = rv__text_val(ikey);
        k.v[1] = rv__int_val(sid);
        k.v[2] = rv__int_val(o->lead_id);
        k.v[3] = rv__int_val(now);
        k.created_at = k.updated_at = now;
        if ((st = rv_store_insert(c->store, &k, err)))
            return st;
    }
    return emit_captured(c, o, err);
}

rv_status rv_leads_capture(rv_ctx *c, const rv_capture_req *req, rv_capture_result *out,
                           rv_err *err)
{
    memset(out, 0, sizeof *out);
    rv_record src;
    rv_status st;
    capture_args a = {req, NULL, out};
    if (req->source_key) {
        if ((st = source_of(c, req->source_key, &src, err)) ||
            (st = rate_take(src.id, rv__field_text(c, &src, "name"),
                            rv__field_int(&src, "rate_per_minute"), rv_now_ms(), err)))
            return st;
        a.src = &src;
    }
    const rv_principal *who = c->who;
    c->who = NULL; /* the source's key was the authentication: system rights */
    st = rv_svc_tx(c, capture_tx, &a, err);
    c->who = who;
    return st;
}

static void key_int(rv_jsonw *w, const char *k, int64_t v)
{
    rv_jsonw_key(w, k);
    if (v)
        rv_jsonw_int(w, v);
    else
        rv_jsonw_null(w);
}

static void key_str(rv_jsonw *w, const char *k, const char *v)
{
    rv_jsonw_key(w, k);
    if (v)
        rv_jsonw_str(w, v);
    else
        rv_jsonw_null(w);
}

void rv_capture_result_json(const rv_capture_result *r, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    key_int(w, "lead_id", r->lead_id);
    rv_jsonw_key(w, "replayed");
    rv_jsonw_bool(w, r->replayed);
    rv_jsonw_key(w, "linked");
    rv_jsonw_bool(w, r->linked);
    key_int(w, "duplicate_of_id", r->duplicate_of_id);
    key_int(w, "contact_id", r->contact_id);
    key_int(w, "account_id", r->account_id);
    key_int(w, "owner_id", r->owner_id);
    key_int(w, "task_id", r->task_id);
    rv_jsonw_key(w, "fit_score");
    rv_jsonw_int(w, r->fit);
    rv_jsonw_key(w, "engagement_score");
    rv_jsonw_int(w, r->engagement);
    rv_jsonw_key(w, "score");
    rv_jsonw_int(w, r->score);
    rv_jsonw_key(w, "sla_due_at");
    if (r->sla_due_at) {
        char ts[40];
        rv_ts_format(r->sla_due_at, ts, sizeof ts);
        rv_jsonw_str(w, ts);
    } else {
        rv_jsonw_null(w);
    }
    key_str(w, "match_reason", r->match_reason);
    rv_jsonw_key(w, "score_reasons");
    if (r->score_reasons)
        rv_jsonw_raw(w, r->score_reasons, strlen(r->score_reasons));
    else
        rv_jsonw_null(w);
    key_str(w, "route_reason", r->route_reason);
    rv_jsonw_obj_end(w);
}
