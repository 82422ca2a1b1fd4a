/*
 * cmd_gen.c - `revos gen` (its implementation lands next; until then it
 * says so and fails).
 */
#include "cli/cli.h"

int rv_cmd_gen(rv_cli *c)
{
    fprintf(stderr, "revos: error: '%s' is not available in this build yet\n", c->noun);
    return 1;
}
