/*
 * auth.c - passwords, sessions and API tokens (see auth.h).
 *
 * Why these choices: argon2id is the memory-hard password hash libsodium
 * recommends; crypto_pwhash_str embeds salt and cost in the stored string,
 * so the cost can rise later without a migration (old hashes still
 * verify).  Session and API tokens are random 256-bit values: a fast
 * SHA-256 of them is as good as a slow hash, and lets a request find its
 * row by an indexed lookup of the hash.
 *
 * Tokens as text: "rvs_" (API) or "rvc_" (cookie) + 43 characters of
 * URL-safe base64.  The first 12 characters are kept as the token's
 * prefix, for people to recognise it in `revos tokens list`.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "model/money.h"
#include "service/auth.h"
#include "service/service_internal.h"

static bool fast_hash;

void rv_auth_set_fast(bool fast) { fast_hash = fast; }

rv_status rv_auth_init(rv_err *err)
{
    if (sodium_init() < 0)
        return rv_err_set(err, RV_EINTERNAL, NULL, "libsodium could not be initialised");
    return RV_OK;
}

void rv_auth_random_token(const char *prefix, char out[RV_TOKEN_TEXT])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    sodium_bin2base64(out + n, RV_TOKEN_TEXT - n, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void rv_auth_token_hash(const char *token, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, 65, h, sizeof h);
}

void rv_auth_csrf(const char *session_token, char csrf[RV_TOKEN_TEXT])
{
    unsigned char h[32];
    static const unsigned char key[crypto_generichash_KEYBYTES] = "revos csrf token v1";
    crypto_generichash(h, sizeof h, (const unsigned char *)session_token, strlen(session_token),
                       key, sizeof key);
    sodium_bin2hex(csrf, RV_TOKEN_TEXT, h, sizeof h);
}

/* --- helpers --------------------------------------------------------------- */

static rv_val text_val(const char *s) { return (rv_val){.s = s, .len = (uint32_t)strlen(s), .state = RV_V_SET}; }
static rv_val int_val(int64_t i) { return (rv_val){.i = i, .state = RV_V_SET}; }

static rv_status may_manage(rv_ctx *c, const char *what, rv_err *err)
{
    if (!c->who || c->who->role == RV_ROLE_ADMIN)
        return RV_OK;
    return rv__refuse(c, rv_entity_find("users"), 0, err, "user %s (%s) may not manage %s",
                      c->who->email, rv_role_name(c->who->role), what);
}

static rv_status find_user(rv_ctx *c, const char *email, int64_t *id, rv_err *err)
{
    const rv_entity *ue = rv_entity_find("users");
    char q[80];
    rv_status st = rv_store_find(c->store, ue, rv_field_index(ue, "email"), email, strlen(email),
                                 -1, 0, id, err);
    if (st == RV_ENOTFOUND)
        return rv_err_set(err, RV_ENOTFOUND, "email", "no user with email '%s'",
                          rv_err_quote(q, sizeof q, email, strlen(email)));
    return st;
}

static rv_status hash_password(const char *pw, char out[crypto_pwhash_STRBYTES], rv_err *err)
{
    size_t n = strlen(pw);
    if (n < 8)
        return rv_err_set(err, RV_EINVAL, "password", "password must have at least 8 characters, got %zu", n);
    if (n > 1024)
        return rv_err_set(err, RV_EINVAL, "password", "password must have at most 1024 characters");
    unsigned long long ops = fast_hash ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = fast_hash ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str_alg(out, pw, n, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return rv_err_set(err, RV_ENOMEM, "password", "out of memory while hashing the password");
    return RV_OK;
}

/* --- users ------------------------------------------------------------------- */

typedef struct user_args {
    const char *email, *name, *role, *password;
    int64_t *id;
} user_args;

static rv_status create_user_tx(rv_ctx *c, void *ud, rv_err *err)
{
    user_args *a = ud;
    const rv_entity *ue = rv_entity_find("users");
    rv_record r;
    rv_record_init(&r, ue);
    rv_status st;
    if ((st = rv_record_set_named(&r, "email", a->email, c->arena, err)) ||
        (st = rv_record_set_named(&r, "name", a->name, c->arena, err)) ||
        (a->role && (st = rv_record_set_named(&r, "role", a->role, c->arena, err))))
        return st;
    if (r.v[rv_field_index(ue, "email")].state != RV_V_SET)
        return rv_err_set(err, RV_EINVAL, "email", "email is required");
    int64_t other;
    rv_err e2;
    if (rv_store_find(c->store, ue, rv_field_index(ue, "email"), a->email, strlen(a->email), -1,
                      0, &other, &e2) != RV_ENOTFOUND)
        return rv_err_set(err, RV_ECONFLICT, "email", "a user with email '%s' exists already",
                          a->email);
    char hash[crypto_pwhash_STRBYTES];
    if (a->password) {
        if ((st = hash_password(a->password, hash, err)))
            return st;
        r.v[rv_field_index(ue, "password_hash")] = text_val(hash);
    }
    c->set_secret = true;
    st = rv_svc_create(c, &r, err);
    c->set_secret = false;
    if (!st && a->id)
        *a->id = r.id;
    return st;
}

rv_status rv_users_create(rv_ctx *c, const char *email, const char *name, const char *role,
                          const char *password, int64_t *id, rv_err *err)
{
    rv_status st = rv_auth_init(err);
    if (st || (st = may_manage(c, "users", err))) {
        rv__audit_flush(c);
        return st;
    }
    if (!email || !email[0])
        return rv_err_set(err, RV_EINVAL, "email", "--email is required");
    user_args a = {email, name && name[0] ? name : email, role, password, id};
    return rv_svc_tx(c, create_user_tx, &a, err);
}

typedef struct passwd_args {
    const char *email, *password;
    bool disable;
} passwd_args;

static rv_status passwd_tx(rv_ctx *c, void *ud, rv_err *err)
{
    passwd_args *a = ud;
    const rv_entity *ue = rv_entity_find("users");
    int64_t id;
    rv_status st = find_user(c, a->email, &id, err);
    if (st)
        return st;
    rv_record old, r;
    if ((st = rv_store_get(c->store, ue, id, &old, c->arena, err)))
        return st;
    r = old;
    char hash[crypto_pwhash_STRBYTES];
    if (a->disable) {
        r.v[rv_field_index(ue, "active")] = int_val(0);
    } else {
        if ((st = hash_password(a->password, hash, err)))
            return st;
        r.v[rv_field_index(ue, "password_hash")] = text_val(hash);
        r.v[rv_field_index(ue, "failed_logins")] = int_val(0);
        r.v[rv_field_index(ue, "locked_until")] = (rv_val){.state = RV_V_NULL};
    }
    r.updated_at = rv_now_ms();
    if ((st = rv_store_update(c->store, &r, err)))
        return st;
    return rv__audit_write(c, a->disable ? "update" : "password", ue, id, &old, &r, err);
}

rv_status rv_users_passwd(rv_ctx *c, const char *email, const char *password, rv_err *err)
{
    rv_status st = rv_auth_init(err);
    if (st || (st = may_manage(c, "passwords", err))) {
        rv__audit_flush(c);
        return st;
    }
    passwd_args a = {email, password ? password : "", false};
    return rv_svc_tx(c, passwd_tx, &a, err);
}

rv_status rv_users_disable(rv_ctx *c, const char *email, rv_err *err)
{
    rv_status st = may_manage(c, "users", err);
    if (st) {
        rv__audit_flush(c);
        return st;
    }
    passwd_args a = {email, NULL, true};
    return rv_svc_tx(c, passwd_tx, &a, err);
}

typedef struct admin_args {
    const char *email;
    char *password;
    bool *created;
} admin_args;

static int any_row(void *ud, const rv_record *r)
{
    (void)r;
    *(bool *)ud = true;
    return 1;
}

static rv_status first_admin_tx(rv_ctx *c, void *ud, rv_err *err)
{
    admin_args *a = ud;
    const rv_entity *ue = rv_entity_find("users");
    rv_query q;
    rv_query_init(&q, ue);
    q.filters[0] = (rv_filter){.field = rv_field_index(ue, "role"), .op = RV_OP_EQ,
                               .val = text_val("admin")};
    q.nfilters = 1;
    bool have = false;
    rv_status st = rv_store_list(c->store, &q, any_row, &have, err);
    if (st || have)
        return st;
    char pw[RV_TOKEN_TEXT];
    rv_auth_random_token("", pw);
    pw[20] = '\0';
    user_args u = {a->email, "Administrator", "admin", pw, NULL};
    if ((st = create_user_tx(c, &u, err)))
        return st;
    snprintf(a->password, RV_TOKEN_TEXT, "%s", pw);
    *a->created = true;
    return RV_OK;
}

rv_status rv_users_first_admin(rv_ctx *c, const char *email, char password[RV_TOKEN_TEXT],
                               bool *created, rv_err *err)
{
    *created = false;
    password[0] = '\0';
    rv_status st = rv_auth_init(err);
    if (st)
        return st;
    admin_args a = {email && email[0] ? email : "admin@revos.local", password, created};
    return rv_svc_tx(c, first_admin_tx, &a, err);
}

/* --- sessions ---------------------------------------------------------------- */

typedef struct login_args {
    const char *email, *password;
    char *token, *csrf;
    rv_status refused; /* set when the attempt failed but its bookkeeping commits */
    rv_err why;
} login_args;

static rv_status login_tx(rv_ctx *c, void *ud, rv_err *err)
{
    login_args *a = ud;
    const rv_entity *ue = rv_entity_find("users");
    int64_t id = 0;
    rv_err e2;
    rv_status st = rv_store_find(c->store, ue, rv_field_index(ue, "email"), a->email,
                                 strlen(a->email), -1, 0, &id, &e2);
    if (st) {
        a->refused = rv_err_set(&a->why, RV_EUNAUTH, NULL, "email or password is wrong");
        return rv_audit_event(c, "login_failed", ue, 0, "unknown email", err);
    }
    rv_record old, r;
    if ((st = rv_store_get(c->store, ue, id, &old, c->arena, err)))
        return st;
    r = old;
    int fh = rv_field_index(ue, "password_hash"), ff = rv_field_index(ue, "failed_logins"),
        fl = rv_field_index(ue, "locked_until"), fa = rv_field_index(ue, "active");
    int64_t now = rv_now_ms();
    char when[40];
    if (old.v[fl].state == RV_V_SET && old.v[fl].i > now) {
        a->refused = rv_err_set(&a->why, RV_ELOCKED, NULL,
                                "too many failed sign-ins for %s: locked until %s; try again "
                                "then or ask an admin to reset the password",
                                a->email, rv_ts_format(old.v[fl].i, when, sizeof when));
        return RV_OK;
    }
    char hash[crypto_pwhash_STRBYTES] = "";
    if (old.v[fh].state == RV_V_SET)
        snprintf(hash, sizeof hash, "%.*s", (int)old.v[fh].len, old.v[fh].s);
    bool ok = hash[0] &&
              crypto_pwhash_str_verify(hash, a->password, strlen(a->password)) == 0;
    bool active = old.v[fa].state != RV_V_SET || old.v[fa].i;
    if (!ok || !active) {
        int64_t fails = (old.v[ff].state == RV_V_SET ? old.v[ff].i : 0) + 1;
        if (!ok && fails >= RV_AUTH_MAX_FAILS) {
            r.v[fl] = int_val(now + RV_AUTH_LOCK_MS);
            r.v[ff] = int_val(0);
            a->refused = rv_err_set(&a->why, RV_ELOCKED, NULL,
                                    "too many failed sign-ins for %s: locked until %s", a->email,
                                    rv_ts_format(now + RV_AUTH_LOCK_MS, when, sizeof when));
        } else {
            if (!ok)
                r.v[ff] = int_val(fails);
            a->refused = rv_err_set(&a->why, RV_EUNAUTH, NULL,
                                    ok ? "user %s is disabled" : "email or password is wrong",
                                    a->email);
        }
        r.updated_at = now;
        if ((st = rv_store_update(c->store, &r, err)))
            return st;
        const rv_principal *who = c->who;
        rv_principal p = {.user_id = id};
        snprintf(p.email, sizeof p.email, "%s", a->email);
        c->who = &p;
        st = rv_audit_event(c, "login_failed", ue, id, ok ? "disabled" : "wrong password", err);
        c->who = who;
        return st;
    }
    r.v[ff] = int_val(0);
    r.v[fl] = (rv_val){.state = RV_V_NULL};
    if (!rv_val_equal(&ue->fields[ff], &old.v[ff], &r.v[ff]) || old.v[fl].state == RV_V_SET) {
        r.updated_at = now;
        if ((st = rv_store_update(c->store, &r, err)))
            return st;
    }
    rv_auth_random_token("rvc_", a->token);
    rv_auth_csrf(a->token, a->csrf);
    char hex[65];
    rv_auth_token_hash(a->token, hex);
    const rv_entity *se = rv_entity_find("sessions");
    rv_record s;
    rv_record_init(&s, se);
    s.v[0] = int_val(id);
    s.v[1] = text_val(hex);
    s.v[2] = int_val(now + RV_SESSION_TTL_MS);
    s.v[3] = int_val(now);
    s.created_at = s.updated_at = now;
    if ((st = rv_store_insert(c->store, &s, err)))
        return st;
    const rv_principal *who = c->who;
    rv_principal p = {.user_id = id};
    snprintf(p.email, sizeof p.email, "%s", a->email);
    c->who = &p;
    st = rv_audit_event(c, "login", se, s.id, NULL, err);
    c->who = who;
    return st;
}

rv_status rv_auth_login(rv_ctx *c, const char *email, const char *password,
                        char token[RV_TOKEN_TEXT], char csrf[RV_TOKEN_TEXT], rv_err *err)
{
    token[0] = csrf[0] = '\0';
    rv_status st = rv_auth_init(err);
    if (st)
        return st;
    if (!email || !email[0] || !password)
        return rv_err_set(err, RV_EINVAL, email && email[0] ? "password" : "email",
                          "%s is required", email && email[0] ? "password" : "email");
    login_args a = {email, password, token, csrf, RV_OK, {0}};
    if ((st = rv_svc_tx(c, login_tx, &a, err)))
        return st;
    if (a.refused) {
        token[0] = csrf[0] = '\0';
        *err = a.why;
        return a.refused;
    }
    return RV_OK;
}

/* Find the row of e whose token_hash is hex. */
static rv_status by_token(rv_ctx *c, const rv_entity *e, const char *hex, rv_record *r,
                          rv_err *err)
{
    int64_t id;
    rv_err e2;
    if (rv_store_find(c->store, e, rv_field_index(e, "token_hash"), hex, 64, -1, 0, &id, &e2) ||
        rv_store_get(c->store, e, id, r, c->arena, &e2))
        return rv_err_set(err, RV_EUNAUTH, NULL, "%s is not valid (unknown%s)",
                          strcmp(e->name, "sessions") ? "the API token" : "the session",
                          strcmp(e->name, "sessions") ? " or revoked" : " or expired");
    return RV_OK;
}

/* Is a last-used stamp written at `last` due again?  At most once a minute,
 * so that reads do not all become writes. */
static bool stamp_due(int64_t last, int64_t now) { return last == 0 || now - last > 60000; }

/* Stamp field fi (last used / last seen) of r with now.  Inside a
 * read-only request the write waits for rv_svc_read_end (rv_auth_touch). */
static rv_status touch(rv_ctx *c, rv_principal *p, rv_record *r, int fi, rv_err *err)
{
    int64_t now = rv_now_ms();
    if (!stamp_due(r->v[fi].state == RV_V_SET ? r->v[fi].i : 0, now))
        return RV_OK;
    if (rv_store_in_tx(c->store)) {
        p->touch_entity = r->ent->name;
        p->touch_field = fi;
        p->touch_id = r->id;
        return RV_OK;
    }
    r->v[fi] = int_val(now);
    r->updated_at = now;
    rv_status st = rv_store_begin(c->store, err);
    if (st)
        return st;
    st = rv_store_update(c->store, r, err);
    return st ? (rv_store_rollback(c->store), st) : rv_store_commit(c->store, err);
}

rv_status rv_auth_touch(rv_ctx *c, const rv_principal *p, rv_err *err)
{
    if (!p || !p->touch_entity)
        return RV_OK;
    rv_record r;
    rv_status st = rv_store_get(c->store, rv_entity_find(p->touch_entity), p->touch_id, &r,
                                c->arena, err);
    if (st)
        return st;
    rv_principal copy = *p;
    copy.touch_entity = NULL;
    return touch(c, &copy, &r, p->touch_field, err);
}

/* --- the principal cache ----------------------------------------------------
 *
 * Signing in costs a hash, two lookups of the token, the user, their
 * subtree and team and a setting: most of a small GET.  A worker keeps
 * what it loaded, keyed by the SHA-256 of the token, for as long as the
 * database has not changed: every lookup first reads the store's data
 * version (SQLite's data_version, PostgreSQL's snapshot), and any commit
 * by another connection or process empties the cache.  Commits of the
 * cache's own connection do not move that version, so whoever writes
 * through it calls rv_auth_cache_clear afterwards (the API server does
 * after every request that is not a GET).  Inside a read transaction the
 * version read is the one of the snapshot the request reads, so a hit
 * answers exactly what a fresh load would have.  What does not need a
 * write to change is checked on every hit: a session's expiry.  The last
 * used stamp is kept in the entry and written as before, once a minute.
 * Only hashes are kept; the token itself never is. */

#define CACHE_SLOTS 16

typedef struct cache_entry {
    unsigned char hash[crypto_hash_sha256_BYTES];
    const rv_entity *ent; /* api_tokens or sessions; NULL: empty slot */
    int64_t row_id;
    int64_t expires_at;   /* sessions */
    int64_t stamp;        /* last used / last seen, as last read or written */
    rv_principal p;       /* subtree and team point into ids */
    int64_t *ids;
} cache_entry;

struct rv_auth_cache {
    bool valid;
    int64_t version; /* data version the entries were loaded at */
    unsigned next;   /* slot to reuse next */
    cache_entry e[CACHE_SLOTS];
};

rv_auth_cache *rv_auth_cache_new(void) { return rv_xcalloc(1, sizeof(rv_auth_cache)); }

static void entry_clear(cache_entry *ce)
{
    free(ce->ids);
    sodium_memzero(ce, sizeof *ce);
}

void rv_auth_cache_clear(rv_auth_cache *ac)
{
    if (!ac)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&ac->e[i]);
    ac->valid = false;
}

void rv_auth_cache_free(rv_auth_cache *ac)
{
    rv_auth_cache_clear(ac);
    free(ac);
}

/* The entry of hash, after emptying the cache if the database changed. */
static cache_entry *cache_find(rv_ctx *c, const rv_entity *e, const unsigned char *hash)
{
    rv_auth_cache *ac = c->auth_cache;
    int64_t v = rv_store_data_version(c->store);
    if (!ac->valid || v != ac->version) {
        rv_auth_cache_clear(ac);
        ac->valid = true;
        ac->version = v;
        return NULL;
    }
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (ac->e[i].ent == e && !memcmp(ac->e[i].hash, hash, sizeof ac->e[i].hash))
            return &ac->e[i];
    return NULL;
}

static void cache_put(rv_ctx *c, const rv_entity *e, const unsigned char *hash,
                      const rv_record *row, int64_t expires_at, int64_t stamp,
                      const rv_principal *p)
{
    rv_auth_cache *ac = c->auth_cache;
    cache_entry *ce = &ac->e[ac->next++ % CACHE_SLOTS];
    entry_clear(ce);
    memcpy(ce->hash, hash, sizeof ce->hash);
    ce->ent = e;
    ce->row_id = row->id;
    ce->expires_at = expires_at;
    ce->stamp = stamp;
    ce->p = *p;
    ce->p.touch_entity = NULL;
    ce->ids = rv_xmalloc(((size_t)p->nsubtree + (size_t)p->nteam + 1) * sizeof *ce->ids);
    memcpy(ce->ids, p->subtree, (size_t)p->nsubtree * sizeof *ce->ids);
    memcpy(ce->ids + p->nsubtree, p->team, (size_t)p->nteam * sizeof *ce->ids);
    ce->p.subtree = ce->ids;
    ce->p.team = ce->ids + p->nsubtree;
}

/* --- signing in with a token ---------------------------------------------- */

/* Fields of the two kinds of credential rows. */
#define F_USER 0
#define F_SESSION_EXPIRES 2
#define F_SESSION_SEEN 3
#define F_TOKEN_SCOPE 4
#define F_TOKEN_USED 5
#define F_TOKEN_REVOKED 6

/* The principal of token, a row of e (api_tokens or sessions): from the
 * cache when the database has not changed since it was loaded. */
static rv_status sign_in(rv_ctx *c, const rv_entity *e, const char *token, rv_principal *p,
                         rv_err *err)
{
    rv_status st = rv_auth_init(err);
    if (st)
        return st;
    bool session = !strcmp(e->name, "sessions");
    int fstamp = session ? F_SESSION_SEEN : F_TOKEN_USED;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    int64_t now = rv_now_ms();
    cache_entry *ce = c->auth_cache ? cache_find(c, e, hash) : NULL;
    if (ce && session && ce->expires_at <= now) {
        entry_clear(ce);
        return rv_err_set(err, RV_EUNAUTH, NULL, "the session has expired; sign in again");
    }
    if (ce) {
        *p = ce->p;
        if (!stamp_due(ce->stamp, now))
            return RV_OK;
        ce->stamp = now; /* a stamp, best effort: not retried by this worker */
        rv_record r;
        if ((st = rv_store_get(c->store, e, ce->row_id, &r, c->arena, err)))
            return st;
        return touch(c, p, &r, fstamp, err);
    }

    char hex[65];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    rv_record r;
    if ((st = by_token(c, e, hex, &r, err)))
        return st;
    if (session && r.v[F_SESSION_EXPIRES].i <= now)
        return rv_err_set(err, RV_EUNAUTH, NULL, "the session has expired; sign in again");
    if (!session && r.v[F_TOKEN_REVOKED].state == RV_V_SET)
        return rv_err_set(err, RV_EUNAUTH, NULL, "the API token is not valid (unknown or revoked)");
    if ((st = rv_principal_load(c, r.v[F_USER].i, p, err)))
        return st;
    if (!session) {
        const rv_val *sv = &r.v[F_TOKEN_SCOPE];
        p->scope = sv->len == 4 && !memcmp(sv->s, "read", 4)    ? RV_TOKEN_READ
                   : sv->len == 5 && !memcmp(sv->s, "write", 5) ? RV_TOKEN_WRITE
                                                                : RV_TOKEN_ADMIN;
        p->token_id = r.id;
    }
    int64_t stamp = r.v[fstamp].state == RV_V_SET ? r.v[fstamp].i : 0;
    if (c->auth_cache)
        cache_put(c, e, hash, &r, session ? r.v[F_SESSION_EXPIRES].i : 0,
                  stamp_due(stamp, now) ? now : stamp, p);
    return touch(c, p, &r, fstamp, err);
}

rv_status rv_auth_session(rv_ctx *c, const char *token, rv_principal *p, rv_err *err)
{
    return sign_in(c, rv_entity_find("sessions"), token, p, err);
}

rv_status rv_auth_logout(rv_ctx *c, const char *token, rv_err *err)
{
    const rv_entity *se = rv_entity_find("sessions");
    rv_record s;
    rv_err e2;
    char hex[65];
    rv_auth_token_hash(token, hex);
    if (by_token(c, se, hex, &s, &e2))
        return RV_OK;
    bool own = !rv_store_in_tx(c->store);
    rv_status st;
    if (own && (st = rv_store_begin(c->store, err)))
        return st;
    st = rv_store_delete(c->store, se, s.id, err);
    if (!st)
        st = rv_audit_event(c, "logout", se, s.id, NULL, err);
    if (own)
        st = st ? (rv_store_rollback(c->store), st) : rv_store_commit(c->store, err);
    return st;
}

/* --- API tokens ----------------------------------------------------------- */

typedef struct token_args {
    const char *email, *name, *scope;
    char *token;
    int64_t *id;
} token_args;

static rv_status token_tx(rv_ctx *c, void *ud, rv_err *err)
{
    token_args *a = ud;
    const rv_entity *te = rv_entity_find("api_tokens");
    int64_t uid;
    rv_status st = find_user(c, a->email, &uid, err);
    if (st)
        return st;
    rv_record t;
    rv_record_init(&t, te);
    if ((st = rv_record_set_named(&t, "scope", a->scope, c->arena, err)))
        return st;
    if (!a->name || !a->name[0])
        return rv_err_set(err, RV_EINVAL, "name", "--name is required (what the token is for)");
    if ((st = rv_record_set_named(&t, "name", a->name, c->arena, err)))
        return st;
    rv_auth_random_token("rvs_", a->token);
    char hex[65], prefix[16];
    rv_auth_token_hash(a->token, hex);
    snprintf(prefix, sizeof prefix, "%.12s", a->token);
    t.v[0] = int_val(uid);
    t.v[2] = text_val(prefix);
    t.v[3] = text_val(hex);
    t.created_at = t.updated_at = rv_now_ms();
    if ((st = rv_store_insert(c->store, &t, err)))
        return st;
    *a->id = t.id;
    return rv_audit_event(c, "token_create", te, t.id, a->name, err);
}

rv_status rv_tokens_create(rv_ctx *c, const char *email, const char *name, const char *scope,
                           char token[RV_TOKEN_TEXT], int64_t *id, rv_err *err)
{
    token[0] = '\0';
    rv_status st = rv_auth_init(err);
    if (st || (st = may_manage(c, "API tokens", err))) {
        rv__audit_flush(c);
        return st;
    }
    if (!scope || !scope[0])
        return rv_err_set(err, RV_EINVAL, "scope", "--scope is required: read, write or admin");
    token_args a = {email ? email : "", name, scope, token, id};
    st = rv_svc_tx(c, token_tx, &a, err);
    if (st)
        token[0] = '\0';
    return st;
}

static rv_status revoke_tx(rv_ctx *c, void *ud, rv_err *err)
{
    int64_t id = *(int64_t *)ud;
    const rv_entity *te = rv_entity_find("api_tokens");
    rv_record t;
    rv_status st = rv_store_get(c->store, te, id, &t, c->arena, err);
    if (st)
        return st;
    if (t.v[6].state == RV_V_SET)
        return RV_OK;
    t.v[6] = int_val(rv_now_ms());
    t.updated_at = t.v[6].i;
    if ((st = rv_store_update(c->store, &t, err)))
        return st;
    return rv_audit_event(c, "token_revoke", te, id, NULL, err);
}

rv_status rv_tokens_revoke(rv_ctx *c, int64_t id, rv_err *err)
{
    rv_status st = may_manage(c, "API tokens", err);
    if (st) {
        rv__audit_flush(c);
        return st;
    }
    return rv_svc_tx(c, revoke_tx, &id, err);
}

rv_status rv_auth_bearer(rv_ctx *c, const char *token, rv_principal *p, rv_err *err)
{
    return sign_in(c, rv_entity_find("api_tokens"), token, p, err);
}
