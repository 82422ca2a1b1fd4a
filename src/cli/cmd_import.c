/*
 * cmd_import.c - `revos import` and `revos export` (implementation lands
 * next; until then they say so and fail).
 */
#include "cli/cli.h"

int rv_cmd_import(rv_cli *c)
{
    fprintf(stderr, "revos: error: '%s' is not available in this build yet\n", c->noun);
    return 1;
}

int rv_cmd_export(rv_cli *c)
{
    fprintf(stderr, "revos: error: '%s' is not available in this build yet\n", c->noun);
    return 1;
}
