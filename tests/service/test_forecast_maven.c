/*
 * test_forecast_maven.c - the quarterly backtest on the Maven dataset
 * (../shared/datasets/maven-crm-sales-opportunities) after `import maven`:
 * the actual won revenue of each quarter and the deals that cannot be
 * placed in time are checked against sums computed here from the CSV
 * file, and the predictive forecast must beat both baselines (list value x
 * historical win rate, last quarter's run-rate).
 */
/* cmocka.h needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on
#include <stdio.h>
#include <string.h>

#include "service/forecast.h"
#include "service/import.h"
#include "testutil.h"

#define DS "maven-crm-sales-opportunities/"

typedef struct figures {
    int64_t won[4]; /* cents won per quarter of 2017 */
    int64_t no_engage;
} figures;

static void deal_row(void *ud, const char *const *cells, const size_t *lens)
{
    figures *f = ud;
    (void)lens;
    if (!cells[5][0])
        f->no_engage++;
    if (!strcmp(cells[4], "Won") && !strncmp(cells[6], "2017-", 5)) {
        int month = (cells[6][5] - '0') * 10 + (cells[6][6] - '0');
        f->won[(month - 1) / 3] += tu_hundredths(cells[7]);
    }
}

static void maven_backtest(void **state)
{
    (void)state;
    figures f = {0};
    tu_dataset_csv(DS "sales_pipeline.csv", 8, deal_row, &f);
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s", tu_dataset_file(DS "sales_pipeline.csv"));
    *strrchr(dir, '/') = '\0';
    tu_env *t = tu_env_new("forecast-maven");
    rv_maven_report rep;
    rv_err err;
    if (rv_maven_import(&t->ctx, dir, NULL, &rep, &err))
        fail_msg("maven import: %s", err.message);
    rv_import_report_release(&rep.import);

    rv_forecast_req req = {.from = "2017-04-01", .to = "2017-12-31", .period = "quarter"};
    rv_forecast_backtest b;
    if (rv_forecast_backtest_run(&t->ctx, &req, &b, &err))
        fail_msg("backtest: %s", err.message);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.unplaced, f.no_engage);
    assert_int_equal(f.no_engage, 500);
    const char *labels[3] = {"2017-Q2", "2017-Q3", "2017-Q4"};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(b.rows[i].label, labels[i]);
        assert_int_equal(b.rows[i].actual, f.won[i + 1]);
        /* last quarter's run-rate is last quarter's actual */
        assert_int_equal(b.rows[i].forecast[RV_FC_M_RUNRATE], f.won[i]);
    }
    /* settings are chosen on quarter-long windows starting on the 1st or
     * 16th of a month from the month after the first close (2017-03-01),
     * ended by the as-of day, not starting a quarter: none for Q2 and Q3;
     * for Q4 04-16, 05-01, 05-16, 06-01 and 06-16 */
    assert_int_equal(b.rows[0].tune_windows, 0);
    assert_int_equal(b.rows[1].tune_windows, 0);
    assert_int_equal(b.rows[2].tune_windows, 5);
    printf("mape: predictive %.2f%%, weighted %.2f%%, run-rate %.2f%%\n", b.mape[RV_FC_M_PREDICTIVE],
           b.mape[RV_FC_M_WEIGHTED], b.mape[RV_FC_M_RUNRATE]);
    assert_true(b.mape[RV_FC_M_PREDICTIVE] < b.mape[RV_FC_M_WEIGHTED]);
    assert_true(b.mape[RV_FC_M_PREDICTIVE] < b.mape[RV_FC_M_RUNRATE]);
    tu_env_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(maven_backtest)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
