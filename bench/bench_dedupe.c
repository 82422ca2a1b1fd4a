/*
 * bench_dedupe.c - the duplicate finder on generated contacts with known
 * duplicates, against a full comparison of every pair estimated from a
 * timed sample, in one run.
 *
 *   bench_dedupe [RECORDS] [THREADS] [MAX_BLOCK] [WINDOW]
 *                                      (default 1000000, 2, engine defaults)
 *
 * Data: people invented here, deterministically (seed 1): a given name from
 * a list of common names, a surname from 2,400 built from syllables, an
 * email, a phone, a street address, a city with its postcode and a date of
 * birth.  About 30% of the people are written more than once (1 to 3 extra
 * copies); a copy carries the mistakes people make: a letter changed,
 * dropped, doubled or two letters swapped in a name, given name and surname
 * swapped, a nickname, a field left empty, the phone written another way or
 * a digit wrong, the email at another provider, a street type abbreviated,
 * two digits of the birth date swapped.  Every record carries its person's
 * number: the truth.
 *
 * Measured: the time to load and normalise the records (rv_dd_add) and the
 * time of the scan (rv_dd_run: blocking, comparison, EM, clustering), the
 * candidate pairs, pairwise and clustered precision, recall and F1, and the
 * peak resident memory of the process.  Baseline: the same comparison and
 * scoring (rv_dd_pair_probability) on 1,000,000 random pairs, timed, and
 * extrapolated to all n (n - 1) / 2 pairs: what scanning without blocking
 * would cost.  The ratio printed is that estimate over the measured scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/dedupe.h"

static uint64_t rng = 1;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(next() % n);
}

static bool chance(double p)
{
    return (double)(next() >> 11) / 9007199254740992.0 < p;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const given[] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Sandra", "Anthony",
    "Ashley", "Mark", "Emily", "Steven", "Michelle", "Andrew", "Amanda", "Joshua", "Melissa",
    "Kevin", "Stephanie", "Brian", "Rebecca", "Jason", "Laura", "Ryan", "Amy", "Eric", "Anna",
    "Jonathan", "Nicole", "Justin", "Rachel", "Brandon", "Olivia", "Samuel", "Emma", "Patrick",
    "Sophie", "Lukas", "Hannah", "Felix", "Clara", "Hiroshi", "Yuki", "Kenji", "Aiko", "Priya",
    "Arjun", "Ananya", "Rahul", "Mateo", "Lucia", "Diego", "Sofia", "Lars", "Ingrid", "Erik",
    "Astrid", "Wei", "Mei", "Omar", "Fatima", "Youssef", "Layla", "Liam", "Chloe", "Noah", "Zoe",
    "Ethan", "Grace", "Oliver", "Isla", "Lucas", "Mila", "Leon", "Elena", "Marco", "Giulia",
    "Pierre", "Camille", "Thabo", "Margaret", "Dorothy", "George", "Kenneth", "Paul", "Donna",
    "Edward", "Carol", "Ronald", "Ruth", "Timothy", "Sharon", "Jeffrey", "Cynthia", "Gary",
    "Kathleen", "Nicholas", "Helen", "Larry", "Deborah", "Frank", "Angela", "Scott", "Heather"};
/* nickname of given[i] (same index), or NULL */
static const char *nickname(const char *g)
{
    static const char *const pairs[][2] = {
        {"James", "Jim"}, {"Robert", "Bob"}, {"John", "Jack"}, {"Michael", "Mike"},
        {"William", "Bill"}, {"Richard", "Rick"}, {"Joseph", "Joe"}, {"Thomas", "Tom"},
        {"Charles", "Chuck"}, {"Christopher", "Chris"}, {"Daniel", "Dan"}, {"Matthew", "Matt"},
        {"Anthony", "Tony"}, {"Elizabeth", "Liz"}, {"Jennifer", "Jen"}, {"Patricia", "Pat"},
        {"Susan", "Sue"}, {"Margaret", "Peggy"}, {"Edward", "Ed"}, {"Nicholas", "Nick"}};
    for (size_t i = 0; i < N(pairs); i++)
        if (!strcmp(pairs[i][0], g))
            return pairs[i][1];
    return NULL;
}
static const char *const syl1[] = {"Ander", "Bal", "Car", "Dun", "El", "Fair", "Gar", "Hol",
                                   "Ing", "Jen", "Kel", "Lind", "Mar", "Nor", "Oak", "Pem",
                                   "Quin", "Ross", "Stan", "Thorn", "Ul", "Van", "Whit", "Yar",
                                   "Ash", "Brad", "Cole", "Dal", "Fen", "Grim", "Har", "Kirk",
                                   "Lang", "Mont", "New", "Ost", "Pres", "Red", "Sel", "Wes",
                                   "Bur", "Chad", "Dray", "Eck", "Ford", "Gil", "Hart", "Jor"};
static const char *const syl2[] = {"son", "ton", "ley", "wood", "field", "berg", "man", "ford",
                                   "well", "by", "ham", "stead", "worth", "ridge", "brook", "dale",
                                   "more", "ward", "ston", "ing", "hurst", "wick", "croft", "land",
                                   "sen", "mann", "holt", "shaw", "cott", "den", "gate", "low",
                                   "mere", "ney", "rick", "sey", "thwaite", "ville", "win", "zer",
                                   "ock", "ell", "ard", "ick", "er", "ow", "ay", "ox", "ant", "ees"};
static const char *const streets[] = {"Oak", "Maple", "Cedar", "Pine", "Elm", "Washington",
                                      "Lake", "Hill", "Park", "Main", "Church", "Mill", "River",
                                      "Spring", "Ridge", "Forest", "Sunset", "Highland", "Valley",
                                      "Lincoln", "Jefferson", "Madison", "Franklin", "Adams"};
static const char *const types[][2] = {{"Street", "St"}, {"Avenue", "Ave"}, {"Road", "Rd"},
                                       {"Drive", "Dr"},  {"Lane", "Ln"},    {"Boulevard", "Blvd"},
                                       {"Place", "Pl"},  {"Court", "Ct"}};
static const char *const mail_domains[] = {"gmail.com", "yahoo.com", "outlook.com", "acme.com",
                                           "example.org", "mail.com", "icloud.com"};
#define CITIES 500

typedef struct person {
    char given[24], surname[32], email[64], phone[24], street[64], city[16], postcode[8], dob[12];
} person;

static void invent(person *p)
{
    snprintf(p->given, sizeof p->given, "%s", given[pick(N(given))]);
    snprintf(p->surname, sizeof p->surname, "%s%s", syl1[pick(N(syl1))], syl2[pick(N(syl2))]);
    char low[64];
    snprintf(low, sizeof low, "%c.%s%u", p->given[0], p->surname, pick(100));
    for (char *c = low; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    snprintf(p->email, sizeof p->email, "%s@%s", low, mail_domains[pick(N(mail_domains))]);
    snprintf(p->phone, sizeof p->phone, "(%03u) %03u-%04u", 200 + pick(700), 200 + pick(700),
             pick(10000));
    const char *const *t = types[pick(N(types))];
    snprintf(p->street, sizeof p->street, "%u %s %s", 1 + pick(9999), streets[pick(N(streets))], t[0]);
    unsigned city = pick(CITIES);
    snprintf(p->city, sizeof p->city, "City%03u", city);
    snprintf(p->postcode, sizeof p->postcode, "%05u", 10000 + city * 97 + pick(20));
    snprintf(p->dob, sizeof p->dob, "%04u-%02u-%02u", 1940 + pick(65), 1 + pick(12), 1 + pick(28));
}

/* one typing mistake in s */
static void typo(char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n < 3)
        return;
    size_t i = 1 + pick((unsigned)(n - 2));
    switch (pick(4)) {
    case 0: s[i] = (char)('a' + pick(26)); break;                              /* substitute */
    case 1: memmove(s + i, s + i + 1, n - i); break;                           /* drop */
    case 2: if (n + 1 < cap) { memmove(s + i + 1, s + i, n - i + 1); } break;  /* double */
    default: { char c = s[i]; s[i] = s[i + 1 < n ? i + 1 : i - 1]; s[i + 1 < n ? i + 1 : i - 1] = c; }
    }
}

static void mess(person *d)
{
    if (chance(0.3))
        typo(d->surname, sizeof d->surname);
    if (chance(0.2))
        typo(d->given, sizeof d->given);
    const char *nick = nickname(d->given);
    if (nick && chance(0.3))
        snprintf(d->given, sizeof d->given, "%s", nick);
    if (chance(0.05)) {
        char t[32];
        snprintf(t, sizeof t, "%s", d->given);
        snprintf(d->given, sizeof d->given, "%s", d->surname);
        snprintf(d->surname, sizeof d->surname, "%s", t);
    }
    if (chance(0.15)) {
        char *at = strchr(d->email, '@');
        if (at)
            snprintf(at + 1, sizeof d->email - (size_t)(at + 1 - d->email), "%s",
                     mail_domains[pick(N(mail_domains))]);
    }
    if (chance(0.3)) { /* same number, other punctuation */
        char digits[16];
        size_t k = 0;
        for (char *c = d->phone; *c && k < 15; c++)
            if (*c >= '0' && *c <= '9')
                digits[k++] = *c;
        digits[k] = '\0';
        snprintf(d->phone, sizeof d->phone, "+1 %.3s.%.3s.%s", digits, digits + 3, digits + 6);
    }
    if (chance(0.05))
        typo(d->phone, sizeof d->phone);
    for (size_t i = 0; i < N(types); i++) { /* "Street" -> "St" */
        char *w = strstr(d->street, types[i][0]);
        if (w && chance(0.4))
            strcpy(w, types[i][1]);
    }
    if (chance(0.1))
        typo(d->street, sizeof d->street);
    if (chance(0.05)) {
        char t = d->dob[8];
        d->dob[8] = d->dob[9], d->dob[9] = t;
    }
    char *fields[] = {d->email, d->phone, d->street, d->city, d->postcode, d->dob};
    for (size_t i = 0; i < N(fields); i++)
        if (chance(0.1))
            fields[i][0] = '\0';
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int max_block = argc > 3 ? atoi(argv[3]) : 0, window = argc > 4 ? atoi(argv[4]) : 0;
    static const rv_dd_field fields[] = {
        {"first_name", RV_DD_GIVEN}, {"last_name", RV_DD_SURNAME}, {"email", RV_DD_EMAIL},
        {"phone", RV_DD_PHONE},      {"street", RV_DD_ADDRESS},    {"city", RV_DD_CITY},
        {"postcode", RV_DD_POSTCODE}, {"date_of_birth", RV_DD_DATE}};
    rv_dedupe *d;
    rv_err err;
    if (rv_dd_new(&d, 8, fields, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* generate into memory first, so the load time is the engine's alone */
    person *recs = malloc(n * sizeof *recs);
    int64_t *truth = malloc(n * sizeof *truth);
    size_t k = 0;
    int64_t people = 0;
    while (k < n) {
        person p;
        invent(&p);
        recs[k] = p, truth[k++] = people;
        if (chance(0.3))
            for (unsigned c = 1 + pick(3); c > 0 && k < n; c--) {
                person dup = p;
                mess(&dup);
                recs[k] = dup, truth[k++] = people;
            }
        people++;
    }
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        person *p = &recs[i];
        const char *v[] = {p->given, p->surname, p->email, p->phone, p->street, p->city, p->postcode, p->dob};
        size_t l[8];
        for (int f = 0; f < 8; f++)
            l[f] = strlen(v[f]);
        if (rv_dd_add(d, v, l, truth[i], &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
    }
    double t1 = now();
    rv_dd_opts o = {.threads = threads, .max_block = max_block, .window = window};
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    rv_dd_result res;
    if (rv_dd_run(d, &o, &res, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double t2 = now();
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
                 (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
    /* baseline: every pair compared, estimated from a timed random sample */
    enum { SAMPLE = 1000000 };
    double sink = 0, t3 = now();
    for (int i = 0; i < SAMPLE; i++) {
        size_t a = next() % n, b = next() % n;
        sink += rv_dd_pair_probability(d, a, b == a ? (a + 1) % n : b);
    }
    double per_pair = (now() - t3) / SAMPLE;
    double all_pairs = (double)n * (double)(n - 1) / 2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("records            %zu (%lld people, %lld true duplicate pairs), %d threads\n", n,
           (long long)people, (long long)res.true_pairs, threads);
    printf("load + normalise   %.2f s\n", t1 - t0);
    printf("scan               %.2f s (block %.2f, compare %.2f, EM %.2f, cluster %.2f)\n",
           t2 - t1, res.t_block, res.t_compare, res.t_em, res.t_cluster);
    printf("scan CPU time      %.2f s over all threads\n", cpu);
    printf("candidate pairs    %lld of %.4g (reduction %.6f), blocking recall %.4f\n",
           (long long)res.candidates, all_pairs, res.reduction, res.blocking_recall);
    printf("EM                 %d iterations over %zu patterns, prior %.5f\n", res.em_iterations,
           res.patterns, res.prior);
    printf("pairwise           precision %.4f recall %.4f F1 %.4f (%zu pairs matched)\n",
           res.pairwise.precision, res.pairwise.recall, res.pairwise.f1, res.npairs);
    printf("clustered          precision %.4f recall %.4f F1 %.4f; exact clusters F1 %.4f\n",
           res.clustered.precision, res.clustered.recall, res.clustered.f1, res.exact.f1);
    printf("peak memory        %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    printf("baseline           every pair compared: %.3g pairs x %.0f ns = %.3g s (estimated from "
           "%d random pairs timed, 1 thread)\n",
           all_pairs, per_pair * 1e9, all_pairs * per_pair, SAMPLE);
    printf("ratio              baseline / load + scan = %.0fx; goal: load + scan under 60 s -> %s\n",
           all_pairs * per_pair / (t2 - t0), t2 - t0 < 60 ? "met" : "NOT met");
    if (sink < 0)
        printf("%g\n", sink);
    rv_dd_result_release(&res);
    rv_dd_free(d);
    free(recs);
    free(truth);
    return 0;
}
