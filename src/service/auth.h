/*
 * auth.h - users with passwords, sign-in sessions and API tokens.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str, its
 * "interactive" limits) and kept in the secret field users.password_hash;
 * nothing else ever writes or shows that field.  Sessions and API tokens
 * are 32 random bytes (randombytes_buf) shown once; only their SHA-256
 * (crypto_hash_sha256, hex) is stored, which is enough for secrets with
 * 256 bits of entropy (no salt or slow hash needed).
 *
 * Lockout: after RV_AUTH_MAX_FAILS wrong passwords in a row an account is
 * locked for RV_AUTH_LOCK_MS; sign-in during the lock is refused with
 * RV_ELOCKED (429) naming the time it ends, even with the right password.
 *
 * Every call is one transaction and is audited (login, login_failed,
 * logout, password, token_create, token_revoke).  Managing users and
 * tokens needs full rights (c->who NULL: the CLI) or an admin principal.
 *
 * Errors: RV_EUNAUTH (401) for unknown, wrong, expired or revoked
 * credentials, with a message that does not tell which; RV_EINVAL for bad
 * input (messages name the field); RV_EFORBIDDEN for a non-admin.
 */
#ifndef RV_AUTH_H
#define RV_AUTH_H

#include "service/service.h"

#define RV_AUTH_MAX_FAILS 5
#define RV_AUTH_LOCK_MS (15LL * 60 * 1000)
#define RV_SESSION_TTL_MS (12LL * 3600 * 1000)
#define RV_TOKEN_TEXT 80 /* room for a token as text, NUL included */

/* Initialise libsodium (idempotent, thread-safe); RV_EINTERNAL if it cannot. */
rv_status rv_auth_init(rv_err *err);
/* A fresh secret: prefix + 32 random bytes in URL-safe base64 (for API
 * tokens, session cookies and lead-source keys). */
void rv_auth_random_token(const char *prefix, char out[RV_TOKEN_TEXT]);
/* SHA-256 of a secret, in hex: what is stored instead of the secret. */
void rv_auth_token_hash(const char *token, char hex[65]);
/* Tests: use libsodium's minimum argon2id cost (fast, still argon2id). */
void rv_auth_set_fast(bool fast);

/* Create a user; password may be NULL (no sign-in until set).  *id gets
 * the new user's id. */
rv_status rv_users_create(rv_ctx *c, const char *email, const char *name, const char *role,
                          const char *password, int64_t *id, rv_err *err);
/* Set a user's password (at least 8 bytes) and clear any lockout. */
rv_status rv_users_passwd(rv_ctx *c, const char *email, const char *password, rv_err *err);
/* Disable a user (active = false): sign-in, sessions and tokens stop working. */
rv_status rv_users_disable(rv_ctx *c, const char *email, rv_err *err);
/* `revos init`: create an admin when none exists.  *created tells whether
 * one was made; password receives the generated password (shown once). */
rv_status rv_users_first_admin(rv_ctx *c, const char *email, char password[RV_TOKEN_TEXT],
                               bool *created, rv_err *err);

/* Check email and password and open a session: token receives the
 * cookie value (shown once), csrf its CSRF token. */
rv_status rv_auth_login(rv_ctx *c, const char *email, const char *password,
                        char token[RV_TOKEN_TEXT], char csrf[RV_TOKEN_TEXT], rv_err *err);
/* The principal of a session cookie; RV_EUNAUTH when unknown or expired. */
rv_status rv_auth_session(rv_ctx *c, const char *token, rv_principal *p, rv_err *err);
/* End the session of token (no error if already gone). */
rv_status rv_auth_logout(rv_ctx *c, const char *token, rv_err *err);
/* The CSRF token that belongs to a session token (a keyed hash of it). */
void rv_auth_csrf(const char *session_token, char csrf[RV_TOKEN_TEXT]);

/* Create an API token for the user with that email; scope is "read",
 * "write" or "admin".  token receives it (shown once), *id its row. */
rv_status rv_tokens_create(rv_ctx *c, const char *email, const char *name, const char *scope,
                           char token[RV_TOKEN_TEXT], int64_t *id, rv_err *err);
rv_status rv_tokens_revoke(rv_ctx *c, int64_t id, rv_err *err);
/* The principal of "Authorization: Bearer <token>"; RV_EUNAUTH when
 * unknown or revoked.  Records last_used_at. */
rv_status rv_auth_bearer(rv_ctx *c, const char *token, rv_principal *p, rv_err *err);
/* Principals signed in before, for one connection (one worker thread;
 * not thread-safe).  Give it to rv_auth_bearer and rv_auth_session through
 * ctx->auth_cache.  An entry is used only while the store's data version
 * is the one it was loaded at, so a write by another connection or
 * process (a revoked token, a disabled user, a changed team or setting)
 * takes effect on the next request; a session's expiry is checked on every
 * use.  Writes through the cache's own connection do not change that
 * version: call rv_auth_cache_clear after them.  Only token hashes are
 * kept.  The principal handed out points into the entry, which stays
 * valid until the next sign-in through the cache. */
typedef struct rv_auth_cache rv_auth_cache;
rv_auth_cache *rv_auth_cache_new(void);
void rv_auth_cache_clear(rv_auth_cache *ac); /* NULL ok */
void rv_auth_cache_free(rv_auth_cache *ac);  /* NULL ok */

/* Write a last-used stamp that sign-in deferred (p->touch_entity). */
rv_status rv_auth_touch(rv_ctx *c, const rv_principal *p, rv_err *err);

#endif
