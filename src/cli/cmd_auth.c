/*
 * cmd_auth.c - `revos users`, `revos tokens`, `revos audit`.
 *
 * Passwords come from stdin (--password-stdin: the first line, without
 * its newline), never from the command line where `ps` and shell history
 * would keep them.  Tokens are printed once, on stdout, and never again.
 * Everything else is the generic record commands on users, api_tokens and
 * audit_log, so lists, filters and output formats are the same as
 * everywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "service/auth.h"

/* Shift the verb off the positional arguments. */
static const char *take_verb(rv_cli *c)
{
    if (c->npos == 0)
        return NULL;
    const char *v = c->pos[0];
    c->pos++;
    c->npos--;
    c->verb = v;
    return v;
}

static int read_password(rv_cli *c, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin)) {
        fprintf(stderr, "revos: error: no password on stdin\n");
        return 1;
    }
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    (void)c;
    return 0;
}

static int generic(rv_cli *c, const char *verb)
{
    if (!strcmp(verb, "list"))
        return rv_cmd_list(c);
    if (!strcmp(verb, "get"))
        return rv_cmd_get(c);
    if (!strcmp(verb, "update"))
        return rv_cmd_update(c);
    if (!strcmp(verb, "delete"))
        return rv_cmd_delete(c);
    if (!strcmp(verb, "count"))
        return rv_cmd_count(c);
    return -1;
}

int rv_cmd_users(rv_cli *c)
{
    const char *verb = take_verb(c);
    if (!verb)
        return rv_cli_usage(c, "users needs a verb: create, passwd, disable, list, get, update, "
                               "count");
    int rc = generic(c, verb);
    if (rc >= 0)
        return rc;
    rv_err err;
    char pw[1100];
    if (!strcmp(verb, "create")) {
        const char *email = rv_cli_opt(c, "email"), *name = rv_cli_opt(c, "name"),
                   *role = rv_cli_opt(c, "role");
        bool from_stdin = rv_cli_flag(c, "password-stdin");
        if ((rc = rv_cli_check_opts(c)))
            return rc;
        if (c->npos)
            return rv_cli_usage(c, "unexpected argument '%s'", c->pos[0]);
        if (!email)
            return rv_cli_usage(c, "--email is required");
        if (from_stdin && (rc = read_password(c, pw, sizeof pw)))
            return rc;
        if ((rc = rv_cli_open(c, false)))
            return rc;
        int64_t id;
        rv_status st = rv_users_create(&c->ctx, email, name, role, from_stdin ? pw : NULL, &id, &err);
        memset(pw, 0, sizeof pw);
        if (st)
            return rv_cli_fail(c, &err);
        rv_record r;
        if (rv_svc_get(&c->ctx, rv_entity_find("users"), id, &r, &err))
            return rv_cli_fail(c, &err);
        rv_cli_print_record(c, &r);
        if (!from_stdin)
            fprintf(stderr, "revos: %s has no password yet: set one with "
                            "'revos users passwd %s --password-stdin'\n", email, email);
        return 0;
    }
    if (!strcmp(verb, "passwd") || !strcmp(verb, "disable")) {
        bool passwd = !strcmp(verb, "passwd");
        bool from_stdin = passwd && rv_cli_flag(c, "password-stdin");
        if ((rc = rv_cli_check_opts(c)))
            return rc;
        if (c->npos != 1)
            return rv_cli_usage(c, "expected one email");
        if (passwd && !from_stdin)
            return rv_cli_usage(c, "give the password on stdin with --password-stdin");
        if (from_stdin && (rc = read_password(c, pw, sizeof pw)))
            return rc;
        if ((rc = rv_cli_open(c, false)))
            return rc;
        rv_status st = passwd ? rv_users_passwd(&c->ctx, c->pos[0], pw, &err)
                              : rv_users_disable(&c->ctx, c->pos[0], &err);
        memset(pw, 0, sizeof pw);
        if (st)
            return rv_cli_fail(c, &err);
        fprintf(stderr, "revos: %s %s\n", passwd ? "password changed for" : "disabled", c->pos[0]);
        return 0;
    }
    return rv_cli_usage(c, "unknown verb '%s' for users (create, passwd, disable, list, get, "
                           "update, count)",
                        verb);
}

int rv_cmd_tokens(rv_cli *c)
{
    const char *verb = take_verb(c);
    rv_err err;
    int rc;
    if (!verb)
        return rv_cli_usage(c, "tokens needs a verb: create, list, revoke");
    if (!strcmp(verb, "create")) {
        const char *user = rv_cli_opt(c, "user"), *name = rv_cli_opt(c, "name"),
                   *scope = rv_cli_opt(c, "scope");
        if ((rc = rv_cli_check_opts(c)))
            return rc;
        if (!user || !name || !scope)
            return rv_cli_usage(c, "--user, --name and --scope are required");
        if ((rc = rv_cli_open(c, false)))
            return rc;
        char token[RV_TOKEN_TEXT];
        int64_t id;
        if (rv_tokens_create(&c->ctx, user, name, scope, token, &id, &err))
            return rv_cli_fail(c, &err);
        if (c->out == RV_OUT_JSON)
            printf("{\"id\":%lld,\"token\":\"%s\"}\n", (long long)id, token);
        else
            printf("%s\n", token);
        fprintf(stderr, "revos: token %lld for %s (scope %s); it is shown only this once\n",
                (long long)id, user, scope);
        return 0;
    }
    if (!strcmp(verb, "revoke")) {
        if ((rc = rv_cli_check_opts(c)))
            return rc;
        long long id;
        if (c->npos != 1 || !rv_cli_parse_int(c->pos[0], 1, INT64_MAX, &id))
            return rv_cli_usage(c, "expected one token id");
        if ((rc = rv_cli_open(c, false)))
            return rc;
        if (rv_tokens_revoke(&c->ctx, id, &err))
            return rv_cli_fail(c, &err);
        fprintf(stderr, "revos: token %lld revoked\n", id);
        return 0;
    }
    if (!strcmp(verb, "list")) {
        c->noun = "api_tokens";
        bool has_fields = false;
        for (int i = 0; i < c->nopts; i++)
            has_fields |= !strcmp(c->opts[i].name, "fields");
        if (!has_fields && c->nopts < RV_CLI_MAX_OPTS) {
            c->opts[c->nopts].name = "fields";
            c->opts[c->nopts].value = "id,user_id,name,prefix,scope,last_used_at,revoked_at,created_at";
            c->nopts++;
        }
        return rv_cmd_list(c);
    }
    return rv_cli_usage(c, "unknown verb '%s' for tokens (create, list, revoke)", verb);
}

int rv_cmd_audit(rv_cli *c)
{
    c->noun = "audit_log";
    return rv_cmd_list(c);
}
