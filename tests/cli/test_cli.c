/*
 * test_cli.c - data-driven tests of the revos command line.
 *
 * Each file in tests/cli/cases/ is a script of commands with their exact
 * expected exit code, stdout and stderr, run in order against one fresh
 * database (REVOS_DB points at it):
 *
 *     # comment
 *     $ revos deals create --name X --stage_id Nope
 *     ? 1
 *     ! revos: error: stage_id: no stage 'Nope' in pipeline 1
 *     > a line of expected stdout
 *
 * "?" defaults to 0; stdout and stderr must match exactly when any ">" or
 * "!" line is given, and are ignored otherwise ("> *" alone also ignores
 * stdout).  Commands run under /bin/sh in a scratch folder with the folder
 * of $REVOS_BIN first on PATH, so "revos" is the binary under test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "testutil.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rv_buf b = RV_BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        rv_buf_append(&b, tmp, n);
    fclose(f);
    return rv_buf_detach(&b, NULL);
}

typedef struct cmd_case {
    int line;
    rv_buf cmd, out, err;
    int want_rc;
    bool check_out, check_err;
} cmd_case;

static int run_case(const char *file, cmd_case *c, const char *bin, const char *dir)
{
    char outp[600], errp[600];
    snprintf(outp, sizeof outp, "%s/out.txt", dir);
    snprintf(errp, sizeof errp, "%s/err.txt", dir);
    rv_buf sh = RV_BUF_INIT;
    rv_buf_puts(&sh, rv_buf_str(&c->cmd));
    (void)bin;
    rv_buf full = RV_BUF_INIT;
    rv_buf_printf(&full, "cd '%s' && ( %s ) >'%s' 2>'%s'", dir, rv_buf_str(&sh), outp, errp);
    int st = system(rv_buf_str(&full));
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    char *out = slurp(outp), *err = slurp(errp);
    int bad = 0;
    if (rc != c->want_rc) {
        print_error("%s:%d: `%s` exited %d, want %d\nstderr:\n%s\n", file, c->line,
                    rv_buf_str(&c->cmd), rc, c->want_rc, err ? err : "");
        bad = 1;
    }
    if (c->check_out && strcmp(out ? out : "", rv_buf_str(&c->out)) != 0) {
        print_error("%s:%d: `%s` stdout differs\n--- want\n%s--- got\n%s---\n", file, c->line,
                    rv_buf_str(&c->cmd), rv_buf_str(&c->out), out ? out : "");
        bad = 1;
    }
    if (c->check_err && strcmp(err ? err : "", rv_buf_str(&c->err)) != 0) {
        print_error("%s:%d: `%s` stderr differs\n--- want\n%s--- got\n%s---\n", file, c->line,
                    rv_buf_str(&c->cmd), rv_buf_str(&c->err), err ? err : "");
        bad = 1;
    }
    free(out);
    free(err);
    rv_buf_release(&sh);
    rv_buf_release(&full);
    return bad;
}

static void run_file(void **state)
{
    const char *file = *state;
    const char *bin = getenv("REVOS_BIN");
    if (!bin || !bin[0])
        fail_msg("REVOS_BIN is not set (tests/run.sh sets it)");
    char *text = slurp(file);
    assert_non_null(text);
    char dir[512];
    const char *tmp = getenv("REVOS_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/cli-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    setenv("REVOS_DB", "t.db", 1); /* commands run inside dir */
    char *bindir = strdup(bin);
    char *slash = strrchr(bindir, '/');
    if (slash)
        *slash = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s:%s", bindir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    free(bindir);
    unsetenv("COLUMNS");
    int failures = 0, ncases = 0;
    cmd_case c = {0};
    bool have = false;
    int lineno = 0;
    for (char *line = strtok(text, "\n");; line = strtok(NULL, "\n")) {
        if (line)
            lineno++;
        if (!line || !strncmp(line, "$ ", 2)) {
            if (have) {
                failures += run_case(file, &c, bin, dir);
                ncases++;
                rv_buf_release(&c.cmd);
                rv_buf_release(&c.out);
                rv_buf_release(&c.err);
            }
            if (!line)
                break;
            memset(&c, 0, sizeof c);
            rv_buf_puts(&c.cmd, line + 2);
            c.line = lineno;
            have = true;
        } else if (!strncmp(line, "? ", 2) && have) {
            c.want_rc = atoi(line + 2);
        } else if (line[0] == '>' && have) {
            if (!strcmp(line, "> *")) {
                c.check_out = false;
                continue;
            }
            c.check_out = true;
            rv_buf_puts(&c.out, line[1] == ' ' ? line + 2 : line + 1);
            rv_buf_putc(&c.out, '\n');
        } else if (line[0] == '!' && have) {
            c.check_err = true;
            rv_buf_puts(&c.err, line[1] == ' ' ? line + 2 : line + 1);
            rv_buf_putc(&c.err, '\n');
        }
    }
    /* strtok skipped empty lines: expected output never has blank lines */
    free(text);
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        print_error("could not remove %s\n", dir);
    print_message("%s: %d commands\n", file, ncases);
    assert_int_equal(failures, 0);
}

int main(void)
{
    static char names[64][300];
    struct CMUnitTest tests[64];
    int n = 0;
    DIR *d = opendir("tests/cli/cases");
    if (!d) {
        fprintf(stderr, "tests/cli/cases not found (run from the repository root)\n");
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".txt"))
            continue;
        snprintf(names[n], sizeof names[n], "tests/cli/cases/%s", de->d_name);
        tests[n] = (struct CMUnitTest){names[n], run_file, NULL, NULL, names[n]};
        n++;
    }
    closedir(d);
    /* stable order */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                struct CMUnitTest t = tests[i];
                tests[i] = tests[j];
                tests[j] = t;
                char tmp[300];
                memcpy(tmp, names[i], sizeof tmp);
                memcpy(names[i], names[j], sizeof tmp);
                memcpy(names[j], tmp, sizeof tmp);
                tests[i].name = tests[i].initial_state = names[i];
                tests[j].name = tests[j].initial_state = names[j];
            }
    return _cmocka_run_group_tests("cli", tests, (size_t)n, NULL, NULL);
}
