/*
 * gen.c - the deterministic CRM data generator (see gen.h for the API, the
 * external-id scheme and the row format).
 *
 * Why records are recomputed rather than kept
 * -------------------------------------------
 * Rows must come out in entity order (all deals, then all deal_products,
 * ..., then all stage_history), but a deal's stage history, its line items,
 * its activities and the lead it came from are all parts of one story.
 * Keeping 1e8 stories in memory is not an option, so every record is a pure
 * function of (seed, entity, index): it draws from its own PRNG stream,
 * seeded by splitmix64 from those three numbers.  A later phase that needs
 * deal 42 simply builds deal 42 again and gets the same deal.  Memory is
 * then the small shared tables built once in setup():
 *
 *   cum[]     cumulative daily weight over the window (seasonality, growth)
 *   dc[]      up to DC_MAX campaigns running on each day of the window
 *   users[]   teams, managers and reps with region, tenure and skill
 *   camps[]   campaigns
 *
 * i.e. O(window + users + campaigns), a few MB at most for a 100-year
 * window, independent of the number of records.
 *
 * Streams: xoshiro256** seeded from splitmix64(seed, tag, index).  Normal
 * variates by Box-Muller (one cosine branch per call, no cached second
 * value, so a record's draws never depend on another record's).
 *
 * Shape of the data (the numbers a demo user will notice)
 * -------------------------------------------------------
 * Time.  A day's weight is
 *     w(day) = month[m] x quarter_end_ramp x weekday x 1.35^(years since start)
 * month[] is low in August (0.70) and December (0.75); in the last 21 days
 * of March, June and September the ramp rises linearly to 1.6; weekends
 * weigh 0.12.  Deal i is created on the day where the cumulative weight
 * reaches (i + u) / deals, u uniform in [0,1): deal ids follow creation
 * order and the monthly counts follow w without sampling noise.  Leads use
 * the same curve.
 *
 * Teams.  reps = clamp(deals / 300, 4, 400), split 30/30/25/15 over
 * AMER East, AMER West, EMEA and APAC (at least one each), 12 reps per
 * team, one manager per team, a VP over the managers, plus an admin, a
 * marketing, a cs and a finance user.  Rep skill is lognormal(0, 0.25)
 * clamped to [0.55, 1.6]; 30% of reps are hired during the window and ramp
 * up: their win-rate multiplier is 0.6 + 0.4 x tenure_days / 180 during
 * their first 180 days.
 *
 * Accounts.  Account a appears on day base + a x (end - base) / accounts,
 * base = start - 365 (but not before 1970); a deal can only go to an
 * account that exists on its day.
 * Employees lognormal(median 170, sigma 1.5) in [2, 300000]; annual revenue
 * = employees x lognormal(median $160k, sigma 0.45).  Names combine two
 * word lists through an affine permutation (unique for the first
 * |W1| x |W2| accounts, then a descriptor word, then a number), so domains
 * are unique.
 *
 * Deals.  Amount before discount:
 *     est = $15,000 x clamp((employees / 200)^0.35, 0.3, 6) x type_factor
 *           x exp(0.95 N(0,1)),  clamped to [$1,000, $3,000,000]
 * (type_factor 1 new, 0.55 expansion, 0.9 renewal), so the median is near
 * $15k with a long right tail.  Discount: none for 30% of deals, otherwise
 * uniform 3%..25%; list_amount = amount / (1 - discount).  55% of deals
 * carry line items whose quantity x unit_price - discount add up to the
 * amount to the cent; the others carry a rough estimate (est0) until they
 * reach Proposal, where the amount becomes the quoted one.
 *
 * Stages.  A deal walks the open stages in order; leaving stage s it moves
 * on with probability min(0.97, p[s] x m^(1/steps)) and is lost otherwise,
 * m = rep skill x ramp x size penalty.  p = .60 .66 .70 .76 .80 for new
 * business (product 0.17), .65 .72 .78 .82 from Qualification for
 * expansions (0.30) and .88 .88 .85 from Discovery for renewals (0.66);
 * with the type mix (about 67% new, 22% expansion, 11% renewal) the win
 * rate of closed deals is about 27% (measured: 0.27 at 20k deals).  Time in stage is
 * lognormal(median 8/10/14/12/10 days x (amount / $15k)^0.2, sigma 0.7); lost deals leave after
 * 0.5..1.5 of that.  The close date starts at the expected end of the cycle (40% snapped to month
 * end) and is pushed whenever a stage change happens within 5 days of it (or, 6% of the time,
 * anyway): that is the slippage visible in stage_history.  Wins bunch up at quarter ends (the
 * hockey stick): 40% of wins due in the first 14 days of a quarter are
 * pulled into the last three days of the previous one (when the deal was
 * already in Negotiation by then), and 50% of those due in the last 45
 * days of a quarter wait for its last three days.
 * Everything at or after the snapshot is cut off: recent deals are open.
 *
 * Leads.  conversions = min(35% of deals, 20% of leads); converted lead c
 * and the deal it became are spread evenly over both id ranges, so either
 * side finds the other by arithmetic (lead_of_conv / deal_of_conv).  A
 * converted lead's story is written backwards from its deal's creation;
 * the others progress new -> first touch (85%) -> mql (40%) -> sql (45%),
 * and 55% (70% from sql) of those that stop are disqualified.
 *
 * Subscriptions.  Every won new or expansion deal with recurring lines
 * starts one subscription per recurring line, mrr = line net / 12, renewed
 * yearly unless it churns at an anniversary (12% a year, 20% under 50
 * employees, 7% from 1000).  Renewal deals renew; they start nothing.
 *
 * Money is int64 cents throughout; double is used only to sample before
 * rounding to cents.
 */
#include "engine/gen.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MIN_MS 60000LL
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_COLS 32
#define ROW_CAP 8192
#define DC_MAX 6
#define MAX_HIST 8
#define MAX_LINES 3
#define NREGIONS 4
#define REPS_PER_TEAM 12
#define DEFAULT_START 19358 /* 2023-01-01 */
#define NPRODUCTS 8
#define NSTAGES 7

/* ---- PRNG ------------------------------------------------------------- */

enum {
    TAG_USER = 1,
    TAG_ACC,
    TAG_CON,
    TAG_CAMP,
    TAG_LEAD,
    TAG_DEAL,
    TAG_PATH,
    TAG_ACT,
    TAG_TOUCH,
    TAG_SUB,
    TAG_NAME,
    TAG_LEADX,
};

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t tag, uint64_t idx)
{
    uint64_t x = mix64(seed ^ mix64((tag << 56) ^ mix64(idx)));
    for (int i = 0; i < 4; i++)
        r->s[i] = mix64(x + (uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* uniform in [0, 1) */
static double rng_u(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* uniform integer in [0, n), n >= 1 */
static int64_t rng_below(rng *r, int64_t n)
{
    int64_t v = (int64_t)(rng_u(r) * (double)n);
    return v < n ? v : n - 1;
}

static int rng_int(rng *r, int lo, int hi)
{
    return lo + (int)rng_below(r, hi - lo + 1);
}
static bool rng_chance(rng *r, double p)
{
    return rng_u(r) < p;
}

static double rng_normal(rng *r)
{
    double u1 = 1.0 - rng_u(r); /* (0, 1] */
    double u2 = rng_u(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double rng_lognormal(rng *r, double median, double sigma)
{
    return median * exp(sigma * rng_normal(r));
}

/* index drawn with integer weights w[0..n) */
static int rng_pick(rng *r, const int *w, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    int x = (int)rng_below(r, total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, arr) ((arr)[rng_below((r), NELEM(arr))])

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}
static int64_t round_to(double v, int64_t unit)
{
    return (int64_t)llround(v / (double)unit) * unit;
}

/* ---- static data -------------------------------------------------------- */

static const char *const first_names[] = {
    "James",   "Mary",    "Robert",    "Patricia", "John",     "Jennifer", "Michael",
    "Linda",   "David",   "Elizabeth", "William",  "Barbara",  "Richard",  "Susan",
    "Joseph",  "Jessica", "Thomas",    "Sarah",    "Charles",  "Karen",    "Christopher",
    "Lisa",    "Daniel",  "Nancy",     "Matthew",  "Sandra",   "Anthony",  "Ashley",
    "Mark",    "Emily",   "Steven",    "Michelle", "Andrew",   "Amanda",   "Joshua",
    "Melissa", "Kevin",   "Stephanie", "Brian",    "Rebecca",  "Jason",    "Laura",
    "Ryan",    "Amy",     "Eric",      "Anna",     "Jonathan", "Nicole",   "Justin",
    "Rachel",  "Brandon", "Olivia",    "Samuel",   "Emma",     "Patrick",  "Sophie",
    "Lukas",   "Hannah",  "Felix",     "Clara",    "Hiroshi",  "Yuki",     "Kenji",
    "Aiko",    "Priya",   "Arjun",     "Ananya",   "Rahul",    "Mateo",    "Lucia",
    "Diego",   "Sofia",   "Lars",      "Ingrid",   "Erik",     "Astrid",   "Wei",
    "Mei",     "Jun",     "Li",        "Omar",     "Fatima",   "Youssef",  "Layla",
    "Liam",    "Chloe",   "Noah",      "Zoe",      "Ethan",    "Grace",    "Oliver",
    "Isla",    "Lucas",   "Mila",      "Leon",     "Elena",    "Marco",    "Giulia",
    "Pierre",  "Camille", "Thabo",
};

static const char *const last_names[] = {
    "Smith",     "Johnson",   "Williams", "Brown",     "Jones",     "Garcia",   "Miller",
    "Davis",     "Rodriguez", "Martinez", "Hernandez", "Lopez",     "Gonzalez", "Wilson",
    "Anderson",  "Thomas",    "Taylor",   "Moore",     "Jackson",   "Martin",   "Lee",
    "Perez",     "Thompson",  "White",    "Harris",    "Sanchez",   "Clark",    "Ramirez",
    "Lewis",     "Robinson",  "Walker",   "Young",     "Allen",     "King",     "Wright",
    "Scott",     "Torres",    "Nguyen",   "Hill",      "Flores",    "Green",    "Adams",
    "Nelson",    "Baker",     "Hall",     "Rivera",    "Campbell",  "Mitchell", "Carter",
    "Roberts",   "Mueller",   "Schmidt",  "Schneider", "Fischer",   "Weber",    "Becker",
    "Dubois",    "Laurent",   "Moreau",   "Bernard",   "Rossi",     "Russo",    "Bianchi",
    "Jansen",    "de Vries",  "Bakker",   "Andersson", "Johansson", "Nilsson",  "Larsen",
    "Hansen",    "Murphy",    "Kelly",    "O'Brien",   "Byrne",     "Sato",     "Suzuki",
    "Takahashi", "Tanaka",    "Watanabe", "Kim",       "Park",      "Chen",     "Wang",
    "Zhang",     "Liu",       "Singh",    "Kumar",     "Sharma",    "Patel",    "Gupta",
    "Silva",     "Santos",    "Oliveira", "Costa",     "Novak",     "Kowalski", "Nowak",
    "Cohen",     "Evans",
};

static const char *const title_senior[] = {
    "CEO",
    "CFO",
    "COO",
    "CTO",
    "Chief Revenue Officer",
    "VP Sales",
    "VP Marketing",
    "VP Operations",
    "Head of Revenue Operations",
    "Director of IT",
};
static const char *const title_other[] = {
    "Sales Operations Manager",
    "Revenue Operations Analyst",
    "IT Manager",
    "Procurement Manager",
    "Data Analyst",
    "Controller",
    "Marketing Operations Manager",
    "Sales Manager",
    "Business Systems Analyst",
    "Director of Finance",
    "Customer Success Manager",
    "Operations Manager",
    "Product Manager",
    "Office Manager",
    "Software Engineer",
};

/* first word of account names (no overlap with descr[] or w2[]) */
static const char *const w1[] = {
    "Apex",    "Blue",      "North",   "Summit",     "Bright",   "Cedar",  "Crimson",  "Delta",
    "Eagle",   "Evergreen", "Falcon",  "Golden",     "Granite",  "Harbor", "Horizon",  "Iron",
    "Juniper", "Keystone",  "Lumen",   "Maple",      "Meridian", "Nova",   "Oak",      "Orbit",
    "Pacific", "Pioneer",   "Quantum", "Red",        "Redwood",  "River",  "Sierra",   "Silver",
    "Skyline", "Sterling",  "Stone",   "Swift",      "Terra",    "Titan",  "True",     "Union",
    "Vertex",  "Vista",     "West",    "Willow",     "Zenith",   "Atlas",  "Beacon",   "Cobalt",
    "Copper",  "Crest",     "Echo",    "Ember",      "Fusion",   "Hudson", "Insight",  "Lake",
    "Liberty", "Metro",     "Nimbus",  "Onyx",       "Peak",     "Prime",  "Pulse",    "Radiant",
    "Sage",    "Signal",    "Spring",  "Tidal",      "Trident",  "Vector", "Velocity", "Aurora",
    "Birch",   "Canyon",    "Harvest", "Lighthouse", "Mosaic",   "Polar",  "Sequoia",  "Cascade",
};

static const char *const industries[] = {
    "Software",        "Financial Services",
    "Healthcare",      "Manufacturing",
    "Retail",          "Logistics",
    "Energy",          "Media",
    "Education",       "Telecommunications",
    "Biotechnology",   "Construction",
    "Food & Beverage", "Professional Services",
};

typedef struct noun {
    const char *word;
    int industry;
} noun;

/* second word of account names, with the industry it implies */
static const noun w2[] = {
    {"Software", 0},      {"Systems", 0},       {"Analytics", 0},      {"Cloud", 0},
    {"Data", 0},          {"Labs", 0},          {"Digital", 0},        {"Capital", 1},
    {"Financial", 1},     {"Bancorp", 1},       {"Insurance", 1},      {"Payments", 1},
    {"Health", 2},        {"Medical", 2},       {"Care", 2},           {"Clinics", 2},
    {"Manufacturing", 3}, {"Industries", 3},    {"Machines", 3},       {"Robotics", 3},
    {"Materials", 3},     {"Components", 3},    {"Retail", 4},         {"Outfitters", 4},
    {"Markets", 4},       {"Brands", 4},        {"Logistics", 5},      {"Freight", 5},
    {"Shipping", 5},      {"Transport", 5},     {"Energy", 6},         {"Power", 6},
    {"Solar", 6},         {"Utilities", 6},     {"Media", 7},          {"Studios", 7},
    {"Publishing", 7},    {"Learning", 8},      {"Academy", 8},        {"Education", 8},
    {"Networks", 9},      {"Telecom", 9},       {"Communications", 9}, {"Wireless", 9},
    {"Biosciences", 10},  {"Therapeutics", 10}, {"Genomics", 10},      {"Pharma", 10},
    {"Construction", 11}, {"Builders", 11},     {"Engineering", 11},   {"Homes", 11},
    {"Foods", 12},        {"Kitchens", 12},     {"Beverages", 12},     {"Consulting", 13},
    {"Advisors", 13},     {"Partners", 13},     {"Solutions", 13},     {"Services", 13},
};

static const char *const descr[] = {
    "United",   "First",     "Advanced", "Integrated",   "Premier",     "National",
    "Modern",   "Allied",    "General",  "Royal",        "Central",     "Western",
    "Eastern",  "Southern",  "Northern", "Consolidated", "Continental", "International",
    "Superior", "Precision", "Smart",    "Next",         "New",         "Open",
    "Clear",    "Direct",    "Secure",   "Trusted",      "Pure",        "Bold",
};

typedef struct city {
    const char *name, *country, *postcode, *phone, *tld, *legal;
} city;

static const city cities_ae[] = {
    {"New York", "United States", "100##", "+1 212 555 ####", ".com", "Inc"},
    {"Boston", "United States", "021##", "+1 617 555 ####", ".com", "Inc"},
    {"Atlanta", "United States", "303##", "+1 404 555 ####", ".com", "LLC"},
    {"Chicago", "United States", "606##", "+1 312 555 ####", ".com", "Corp"},
    {"Miami", "United States", "331##", "+1 305 555 ####", ".com", "LLC"},
    {"Toronto", "Canada", "M5V #A#", "+1 416 555 ####", ".ca", "Inc"},
};
static const city cities_aw[] = {
    {"San Francisco", "United States", "941##", "+1 415 555 ####", ".com", "Inc"},
    {"Seattle", "United States", "981##", "+1 206 555 ####", ".com", "Inc"},
    {"Austin", "United States", "787##", "+1 512 555 ####", ".com", "LLC"},
    {"Denver", "United States", "802##", "+1 303 555 ####", ".com", "Corp"},
    {"Los Angeles", "United States", "900##", "+1 213 555 ####", ".com", "Inc"},
    {"Vancouver", "Canada", "V6B #C#", "+1 604 555 ####", ".ca", "Ltd"},
};
static const city cities_em[] = {
    {"London", "United Kingdom", "EC1A #BB", "+44 20 7946 0###", ".co.uk", "Ltd"},
    {"Manchester", "United Kingdom", "M1 #AE", "+44 161 496 0###", ".co.uk", "Ltd"},
    {"Berlin", "Germany", "101##", "+49 30 9018####", ".de", "GmbH"},
    {"Munich", "Germany", "803##", "+49 89 2019####", ".de", "GmbH"},
    {"Paris", "France", "750##", "+33 1 ## ## ## ##", ".fr", "SAS"},
    {"Amsterdam", "Netherlands", "10## AB", "+31 20 ### ####", ".nl", "BV"},
    {"Stockholm", "Sweden", "111 ##", "+46 8 ### ### ##", ".se", "AB"},
    {"Madrid", "Spain", "280##", "+34 91 ### ## ##", ".es", "SL"},
    {"Dublin", "Ireland", "D0# X###", "+353 1 ### ####", ".ie", "Ltd"},
};
static const city cities_ap[] = {
    {"Sydney", "Australia", "20##", "+61 2 #### ####", ".com.au", "Pty Ltd"},
    {"Melbourne", "Australia", "30##", "+61 3 #### ####", ".com.au", "Pty Ltd"},
    {"Singapore", "Singapore", "01####", "+65 6### ####", ".sg", "Pte Ltd"},
    {"Tokyo", "Japan", "100-00##", "+81 3 #### ####", ".jp", "KK"},
    {"Bangalore", "India", "5600##", "+91 80 #### ####", ".in", "Pvt Ltd"},
    {"Auckland", "New Zealand", "10##", "+64 9 ### ####", ".co.nz", "Ltd"},
};

typedef struct region_def {
    const char *name;
    int weight; /* percent of reps and of accounts */
    const city *cities;
    int ncities;
} region_def;

static const region_def regions[NREGIONS] = {
    {"AMER East", 30, cities_ae, NELEM(cities_ae)},
    {"AMER West", 30, cities_aw, NELEM(cities_aw)},
    {"EMEA", 25, cities_em, NELEM(cities_em)},
    {"APAC", 15, cities_ap, NELEM(cities_ap)},
};

static const int region_w[NREGIONS] = {30, 30, 25, 15};

enum { R_ADMIN, R_MANAGER, R_REP, R_MARKETING, R_CS, R_FINANCE };
static const char *const role_names[] = {"admin", "manager", "rep", "marketing", "cs", "finance"};

typedef struct product {
    const char *id, *name, *code, *family;
    int64_t list_price, cost; /* cents per unit (per seat-year for seat products) */
    bool recurring;
} product;

enum { P_CORE, P_ANALYTICS, P_FORECAST, P_API, P_SUPPORT, P_IMPL, P_TRAINING, P_MIGRATION };

static const product products[NPRODUCTS] = {
    {"prd-1", "Revos Core", "RV-CORE", "Platform", 60000, 9000, true},
    {"prd-2", "Revos Analytics", "RV-ANL", "Add-on", 36000, 6000, true},
    {"prd-3", "Revos Forecasting", "RV-FCST", "Add-on", 48000, 7000, true},
    {"prd-4", "API Pack", "RV-API", "Add-on", 300000, 30000, true},
    {"prd-5", "Enterprise Support", "RV-SUP", "Services", 1200000, 400000, true},
    {"prd-6", "Implementation", "SV-IMPL", "Services", 1500000, 900000, false},
    {"prd-7", "Training Day", "SV-TRN", "Services", 250000, 120000, false},
    {"prd-8", "Data Migration", "SV-MIG", "Services", 800000, 500000, false},
};

enum {
    ST_PROSPECTING = 1,
    ST_QUALIFICATION,
    ST_DISCOVERY,
    ST_PROPOSAL,
    ST_NEGOTIATION,
    ST_WON,
    ST_LOST
};

typedef struct stage {
    const char *id, *name, *kind, *forecast, *exit_criteria;
    int probability, stall_days; /* stall_days 0: none */
} stage;

static const stage stages[NSTAGES + 1] = {
    {"", "", "", NULL, NULL, 0, 0},
    {"stg-1", "Prospecting", "open", "pipeline", "account_id,contact_id", 10, 14},
    {"stg-2", "Qualification", "open", "pipeline", "amount", 20, 21},
    {"stg-3", "Discovery", "open", "best_case", "amount,contact_id", 40, 30},
    {"stg-4", "Proposal", "open", "best_case", "amount,close_date", 60, 45},
    {"stg-5", "Negotiation", "open", "commit", "amount,close_date", 80, 30},
    {"stg-6", "Closed Won", "won", "closed", NULL, 100, 0},
    {"stg-7", "Closed Lost", "lost", "omitted", NULL, 0, 0},
};

static const double stage_days[6] = {0, 8, 10, 14, 12, 10};
static const double adv_new[6] = {0, .60, .66, .70, .76, .80};
static const double adv_exp[6] = {0, 0, .65, .72, .78, .82};
static const double adv_ren[6] = {0, 0, 0, .88, .88, .85};

enum { T_NEW, T_EXPANSION, T_RENEWAL };
static const char *const deal_types[] = {"new", "expansion", "renewal"};

typedef struct channel {
    const char *key, *label, *first_touch;
    int min_days, max_days;     /* campaign duration */
    int64_t spend_lo, spend_hi; /* dollars for the whole campaign */
    int weight;
} channel;

static const channel channels[] = {
    {"paid_search", "Paid Search", "ad_click", 30, 90, 15000, 60000, 20},
    {"paid_social", "Paid Social", "ad_click", 30, 90, 8000, 40000, 12},
    {"events", "Event", "event", 10, 21, 25000, 150000, 14},
    {"webinar", "Webinar", "webinar", 21, 45, 3000, 12000, 18},
    {"email", "Email", "email_click", 14, 30, 1000, 5000, 16},
    {"content", "Content", "download", 60, 180, 5000, 20000, 12},
    {"partner", "Partner", "form", 60, 120, 10000, 40000, 8},
};

static const char *const themes[] = {
    "Forecasting 101", "Pipeline Health",      "RevOps Summit",  "Win More Renewals",
    "Sales Velocity",  "Data-Driven Selling",  "Quota Planning", "Attribution Deep Dive",
    "Q-End Playbook",  "Customer Success Day", "Product Launch", "Benchmark Report",
};

static const char *const organic_sources[] = {"Organic Search", "Direct", "Referral"};
static const char *const outbound_sources[] = {"Outbound", "Outbound", "Outbound", "Referral",
                                               "Partner"};
static const char *const contact_sources[] = {"Inbound", "Outbound", "Event", "Referral",
                                              "Partner"};
static const char *const lost_reasons[] = {
    "Price",     "Lost to competitor", "No decision",   "Timing",
    "No budget", "Product fit",        "Champion left",
};
static const char *const won_reasons[] = {
    "Product fit", "Relationship", "Price", "Ease of use", "Integrations", "Time to value",
};
static const char *const dq_reasons[] = {
    "No budget",    "Not a fit", "Student or job seeker", "Competitor", "Duplicate",
    "Unresponsive", "Too small",
};
static const char *const churn_reasons[] = {
    "Budget cuts",      "Switched to competitor", "Low adoption",
    "Company acquired", "Went out of business",   "Missing features",
};
static const char *const next_steps[6][2] = {
    {"", ""},
    {"Book discovery call", "Research account"},
    {"Qualify budget and timeline", "Find the economic buyer"},
    {"Demo for the buying committee", "Technical validation"},
    {"Send proposal", "Review pricing with champion"},
    {"Legal review of MSA", "Get signature"},
};

enum { A_CALL, A_EMAIL, A_MEETING, A_NOTE, A_TASK };
static const char *const act_kinds[] = {"call", "email", "meeting", "note", "task"};
static const int act_w[] = {25, 35, 15, 10, 15};
static const char *const act_subjects[5][5] = {
    {"Intro call", "Qualification call", "Discovery call", "Pricing call", "Check-in call"},
    {"Intro email", "Sent recap", "Shared case study", "Sent proposal", "Follow-up: next steps"},
    {"First meeting", "Qualification meeting", "Product demo", "Proposal review",
     "Negotiation meeting"},
    {"Account research", "Budget confirmed", "Competitor mentioned", "Decision criteria",
     "Champion update"},
    {"Research account", "Prepare demo", "Prepare proposal", "Update close plan", "Send contract"},
};
static const char *const touch_follow[] = {"visit", "visit", "email_open", "download"};

/* ---- output columns (X-macros keep the enum and the names together) ------ */

// clang-format off
#define X_ENUM(p, n) p##_##n,
#define X_NAME(p, n) #n,

#define TEAM_COLS(X, p) X(p, external_id) X(p, name) X(p, parent_id) X(p, region)
#define USER_COLS(X, p)                                                                          \
    X(p, external_id) X(p, name) X(p, email) X(p, role) X(p, manager_id) X(p, team_id)          \
    X(p, title) X(p, region) X(p, hired_on) X(p, active)
#define ACCT_COLS(X, p)                                                                          \
    X(p, external_id) X(p, name) X(p, domain) X(p, industry) X(p, employees)                    \
    X(p, annual_revenue) X(p, currency) X(p, phone) X(p, city) X(p, postcode) X(p, country)     \
    X(p, region) X(p, year_founded) X(p, owner_id) X(p, parent_id) X(p, territory)              \
    X(p, created_on)
#define CONTACT_COLS(X, p)                                                                       \
    X(p, external_id) X(p, account_id) X(p, first_name) X(p, last_name) X(p, email)             \
    X(p, phone) X(p, title) X(p, country) X(p, owner_id) X(p, source) X(p, created_on)
#define CAMP_COLS(X, p)                                                                          \
    X(p, external_id) X(p, name) X(p, channel) X(p, spend) X(p, currency) X(p, start_on)        \
    X(p, end_on) X(p, owner_id)
#define LEAD_COLS(X, p)                                                                          \
    X(p, external_id) X(p, first_name) X(p, last_name) X(p, email) X(p, phone) X(p, company)    \
    X(p, title) X(p, website) X(p, industry) X(p, employees) X(p, country) X(p, source)         \
    X(p, campaign_id) X(p, status) X(p, score) X(p, owner_id) X(p, account_id)                  \
    X(p, contact_id) X(p, created_on) X(p, first_touch_at) X(p, mql_at) X(p, sql_at)            \
    X(p, converted_at) X(p, disqualified_reason)
#define PROD_COLS(X, p)                                                                          \
    X(p, external_id) X(p, name) X(p, code) X(p, family) X(p, list_price) X(p, cost)            \
    X(p, currency) X(p, recurring) X(p, active)
#define PIPE_COLS(X, p) X(p, external_id) X(p, name) X(p, is_default)
#define STAGE_COLS(X, p)                                                                         \
    X(p, external_id) X(p, pipeline_id) X(p, name) X(p, position) X(p, probability) X(p, kind)  \
    X(p, forecast_category) X(p, exit_criteria) X(p, stall_days)
#define DEAL_COLS(X, p)                                                                          \
    X(p, external_id) X(p, name) X(p, account_id) X(p, contact_id) X(p, owner_id)               \
    X(p, pipeline_id) X(p, stage_id) X(p, amount) X(p, list_amount) X(p, currency)              \
    X(p, close_date) X(p, type) X(p, source) X(p, campaign_id) X(p, forecast_category)          \
    X(p, probability) X(p, next_step) X(p, lost_reason) X(p, won_reason) X(p, created_on)       \
    X(p, closed_at)
#define DP_COLS(X, p)                                                                            \
    X(p, external_id) X(p, deal_id) X(p, product_id) X(p, quantity) X(p, unit_price)            \
    X(p, discount) X(p, currency)
#define ACT_COLS(X, p)                                                                           \
    X(p, external_id) X(p, kind) X(p, subject) X(p, owner_id) X(p, account_id) X(p, contact_id) \
    X(p, deal_id) X(p, due_at) X(p, done_at) X(p, duration_min)
#define TOUCH_COLS(X, p)                                                                         \
    X(p, external_id) X(p, campaign_id) X(p, lead_id) X(p, contact_id) X(p, deal_id) X(p, kind) \
    X(p, at) X(p, channel)
#define SUB_COLS(X, p)                                                                           \
    X(p, external_id) X(p, account_id) X(p, product_id) X(p, deal_id) X(p, mrr) X(p, currency)  \
    X(p, seats) X(p, start_on) X(p, end_on) X(p, renewal_on) X(p, status) X(p, churn_reason)
#define SH_COLS(X, p)                                                                            \
    X(p, external_id) X(p, deal_id) X(p, from_stage_id) X(p, to_stage_id) X(p, changed_at)      \
    X(p, changed_by_id) X(p, amount) X(p, currency) X(p, close_date) X(p, forecast_category)
#define QUOTA_COLS(X, p)                                                                         \
    X(p, external_id) X(p, user_id) X(p, period_start) X(p, period_end) X(p, amount) X(p, currency)
// clang-format on

#define DECLARE_COLS(LIST, P, arr)                                                                 \
    enum { LIST(X_ENUM, P) P##__N };                                                               \
    static const char *const arr[] = {LIST(X_NAME, P)}

DECLARE_COLS(TEAM_COLS, TM, team_cols);
DECLARE_COLS(USER_COLS, US, user_cols);
DECLARE_COLS(ACCT_COLS, AC, acct_cols);
DECLARE_COLS(CONTACT_COLS, CO, contact_cols);
DECLARE_COLS(CAMP_COLS, CA, camp_cols);
DECLARE_COLS(LEAD_COLS, LE, lead_cols);
DECLARE_COLS(PROD_COLS, PR, prod_cols);
DECLARE_COLS(PIPE_COLS, PL, pipe_cols);
DECLARE_COLS(STAGE_COLS, SG, stage_cols);
DECLARE_COLS(DEAL_COLS, DL, deal_cols);
DECLARE_COLS(DP_COLS, DP, dp_cols);
DECLARE_COLS(ACT_COLS, AT, act_cols);
DECLARE_COLS(TOUCH_COLS, TC, touch_cols);
DECLARE_COLS(SUB_COLS, SB, sub_cols);
DECLARE_COLS(SH_COLS, SH, sh_cols);
DECLARE_COLS(QUOTA_COLS, QU, quota_cols);

_Static_assert(LE__N <= MAX_COLS && DL__N <= MAX_COLS, "MAX_COLS too small");

/* ---- generator state ---------------------------------------------------- */

typedef struct user {
    int role, manager, team, region, first, last;
    int32_t hired;
    double skill;
    const char *title;
} user;

typedef struct team {
    int region, num; /* num: 1-based within the region, 0 when the region has one team */
} team;

typedef struct campaign {
    int channel, theme;
    int32_t start, end;
    int64_t spend;
} campaign;

typedef struct gen {
    uint64_t seed;
    int64_t ndeals, naccounts, nleads, nacts, nconv;
    int32_t start, end, window;
    int64_t start_ms, end_ms;
    uint64_t name_off;
    int end_year;
    int32_t acct_base; /* accounts appear from here (a year before start, not before 1970) */
    int64_t acct_span; /* ... to the end of the window, evenly */
    double *cum;       /* window + 1 */
    int ncamp;
    campaign *camps;
    int32_t *dc; /* window x DC_MAX campaigns running that day */
    unsigned char *dcn;
    int nteams;
    team *teams;
    int nusers;
    user *users;
    int *reps;              /* user index of reps, grouped by region */
    int rbeg[NREGIONS + 1]; /* reps of region k: reps[rbeg[k] .. rbeg[k+1]) */
    int vp, marketing;
    int64_t *won_q; /* won value per user and calendar quarter of the window (quotas) */
    int nq;
    rv_gen_emit_fn emit;
    void *ud;
    const char *v[MAX_COLS];
    char *p;
    char buf[ROW_CAP];
} gen;

/* Teams and reps depend on the deal count only (not the seed), so that
 * rv_gen_count() can give them without generating. */
static int layout(int64_t deals, int reps[NREGIONS], int teams[NREGIONS])
{
    int64_t r = deals / 300;
    int total = (int)(r < 4 ? 4 : r > 400 ? 400 : r);
    int left = total - NREGIONS;
    int given = 0;
    for (int k = 0; k < NREGIONS; k++) {
        reps[k] = 1 + left * region_w[k] / 100;
        given += reps[k];
    }
    for (int k = 0; given < total; k = (k + 1) % NREGIONS, given++)
        reps[k]++;
    for (int k = 0; k < NREGIONS; k++)
        teams[k] = (reps[k] + REPS_PER_TEAM - 1) / REPS_PER_TEAM;
    return total;
}

static int campaign_count(int32_t window)
{
    int n = (window + 54) / 55;
    return n < 4 ? 4 : n > 2000 ? 2000 : n;
}

/* ---- dates -------------------------------------------------------------- */

static int32_t month_end(int32_t d)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(d, &y, &m, &dd);
    return m == 12 ? rv_days_from_civil(y + 1, 1, 1) - 1 : rv_days_from_civil(y, m + 1, 1) - 1;
}

static int32_t quarter_end(int32_t d)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(d, &y, &m, &dd);
    unsigned qm = (m - 1) / 3 * 3 + 3;
    return qm == 12 ? rv_days_from_civil(y + 1, 1, 1) - 1 : rv_days_from_civil(y, qm + 1, 1) - 1;
}

static int32_t quarter_start(int32_t d)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(d, &y, &m, &dd);
    return rv_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
}

static int32_t add_years(int32_t d, int k)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(d, &y, &m, &dd);
    if (m == 2 && dd == 29)
        dd = 28;
    return rv_days_from_civil(y + k, m, dd);
}

/* 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday) */
static int weekday(int32_t d)
{
    return (int)((d % 7 + 7 + 4) % 7);
}

static int32_t next_workday(int32_t d)
{
    int w = weekday(d);
    return w == 6 ? d + 2 : w == 0 ? d + 1 : d;
}

/* an instant during working hours (08:00-19:00 UTC) of `day` */
static int64_t work_time(rng *r, int32_t day)
{
    return (int64_t)day * DAY_MS + 8 * HOUR_MS + rng_below(r, 11 * 60) * MIN_MS +
           rng_below(r, 60) * 1000;
}

/* the day where the cumulative weight reaches x in [0, 1) */
static int32_t day_at(const gen *g, double x)
{
    double t = x * g->cum[g->window];
    int lo = 0, hi = g->window; /* cum[lo] <= t < cum[hi] */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (g->cum[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return g->start + lo;
}

static double day_weight(const gen *g, int32_t d)
{
    static const double month_f[12] = {0.95, 1.0, 1.1,  1.0,  1.0, 1.1,
                                       0.9,  0.7, 1.05, 1.05, 1.0, 0.75};
    int y;
    unsigned m, dd;
    rv_civil_from_days(d, &y, &m, &dd);
    double w = month_f[m - 1];
    if (m == 3 || m == 6 || m == 9) {
        int32_t left = month_end(d) - d; /* 0 on the last day */
        if (left < 21)
            w *= 1.0 + 0.6 * (21 - left) / 21.0;
    }
    int wd = weekday(d);
    if (wd == 0 || wd == 6)
        w *= 0.12;
    return w * exp(log(1.35) * (d - g->start) / 365.25);
}

/* ---- output ------------------------------------------------------------- */

static char *w_str(char *w, const char *s)
{
    while (*s)
        *w++ = *s++;
    return w;
}

/* lower-cased letters and digits of s (for emails and domains) */
static char *w_lower(char *w, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            *w++ = (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            *w++ = c;
    }
    return w;
}

static char *w_uint(char *w, uint64_t v, int width)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[24];
    int n = 24;
    while (v >= 100) {
        const char *p = pairs + 2 * (v % 100);
        v /= 100;
        tmp[--n] = p[1];
        tmp[--n] = p[0];
    }
    if (v >= 10) {
        tmp[--n] = pairs[2 * v + 1];
        tmp[--n] = pairs[2 * v];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    for (int len = 24 - n; len < width; len++)
        *w++ = '0';
    memcpy(w, tmp + n, (size_t)(24 - n));
    return w + (24 - n);
}

static char *w_2(char *w, unsigned v)
{
    w[0] = (char)('0' + v / 10);
    w[1] = (char)('0' + v % 10);
    return w + 2;
}

static char *w_date(char *w, int32_t day)
{
    int y;
    unsigned m, d;
    rv_civil_from_days(day, &y, &m, &d);
    w = w_uint(w, (uint64_t)y, 4);
    *w++ = '-';
    w = w_2(w, m);
    *w++ = '-';
    return w_2(w, d);
}

/* "2024-03-01T09:15:00.000Z" (ms >= 0) */
static char *w_ts(char *w, int64_t ms)
{
    w = w_date(w, (int32_t)(ms / DAY_MS));
    int64_t r = ms % DAY_MS;
    *w++ = 'T';
    w = w_2(w, (unsigned)(r / HOUR_MS));
    *w++ = ':';
    w = w_2(w, (unsigned)(r / MIN_MS % 60));
    *w++ = ':';
    w = w_2(w, (unsigned)(r / 1000 % 60));
    *w++ = '.';
    w = w_uint(w, (uint64_t)(r % 1000), 3);
    *w++ = 'Z';
    return w;
}

/* "1234.50" (cents >= 0) */
static char *w_money(char *w, int64_t cents)
{
    w = w_uint(w, (uint64_t)(cents / 100), 1);
    *w++ = '.';
    return w_2(w, (unsigned)(cents % 100));
}

/* '#' in the template becomes a random digit */
static char *w_tmpl(char *w, const char *t, rng *r)
{
    for (; *t; t++)
        *w++ = *t == '#' ? (char)('0' + rng_below(r, 10)) : *t;
    return w;
}

static void row_begin(gen *g, int n)
{
    memset(g->v, 0, (size_t)n * sizeof g->v[0]);
    g->p = g->buf;
}

/* finish the value written at g->p .. w and make it column `col` */
static void row_end(gen *g, int col, char *w)
{
    *w++ = '\0';
    g->v[col] = g->p;
    g->p = w;
}

static void set_id(gen *g, int col, const char *prefix, int64_t n, int width)
{
    row_end(g, col, w_uint(w_str(g->p, prefix), (uint64_t)n, width));
}

static void set_id2(gen *g, int col, const char *prefix, int64_t n, int width, int k)
{
    char *w = w_uint(w_str(g->p, prefix), (uint64_t)n, width);
    *w++ = '-';
    row_end(g, col, w_uint(w, (uint64_t)k, 1));
}

static void set_int(gen *g, int col, int64_t v)
{
    row_end(g, col, w_uint(g->p, (uint64_t)v, 1));
}
static void set_money(gen *g, int col, int64_t c)
{
    row_end(g, col, w_money(g->p, c));
}
static void set_date(gen *g, int col, int32_t d)
{
    row_end(g, col, w_date(g->p, d));
}
static void set_ts(gen *g, int col, int64_t ms)
{
    row_end(g, col, w_ts(g->p, ms));
}
static void set_user(gen *g, int col, int u)
{
    set_id(g, col, "usr-", u + 1, 4);
}
static void set_acct(gen *g, int col, int64_t a)
{
    set_id(g, col, "acc-", a + 1, 6);
}
static void set_deal(gen *g, int col, int64_t i)
{
    set_id(g, col, "deal-", i + 1, 7);
}
static void set_camp(gen *g, int col, int c)
{
    set_id(g, col, "cmp-", c + 1, 3);
}
static void set_contact(gen *g, int col, int64_t a, int n)
{
    set_id2(g, col, "con-", a + 1, 6, n);
}

static int row_emit(gen *g, const char *entity, int n, const char *const *cols)
{
    return g->emit(g->ud, entity, n, cols, g->v);
}

/* ---- accounts and contacts ------------------------------------------------ */

typedef struct acct {
    int64_t idx, parent;
    int region, industry, owner, ncontacts, year;
    const city *c;
    int64_t employees, revenue;
    int32_t created_day;
    int64_t created_ms;
    uint64_t h;
    char name[96], domain[96], phone[32], postcode[16];
} acct;

/* accounts that exist on `day` are 0 .. acct_avail(day) - 1 */
static int64_t acct_avail(const gen *g, int32_t day)
{
    int64_t n = (day - g->acct_base) * g->naccounts / g->acct_span + 1;
    return n < 1 ? 1 : n > g->naccounts ? g->naccounts : n;
}

static int region_rep(const gen *g, int region, int64_t k)
{
    int n = g->rbeg[region + 1] - g->rbeg[region];
    return g->reps[g->rbeg[region] + (int)(k % n)];
}

/* Account a (a >= accounts gives a prospect company for leads: same
 * naming, no meaningful owner or creation day). */
static void acct_make(const gen *g, int64_t a, acct *ac)
{
    rng r;
    rng_seed(&r, g->seed, TAG_ACC, (uint64_t)a);
    ac->idx = a;
    ac->h = rng_next(&r);
    ac->region = rng_pick(&r, region_w, NREGIONS);
    const region_def *rg = &regions[ac->region];
    ac->c = &rg->cities[rng_below(&r, rg->ncities)];

    /* unique (w1, w2) pairs by an affine permutation, then a descriptor,
     * then a number */
    const int64_t n1 = NELEM(w1), n2 = NELEM(w2), m = n1 * n2;
    int64_t q = (int64_t)(((uint64_t)(a % m) * 7919u + g->name_off % (uint64_t)m) % (uint64_t)m);
    int64_t round = a / m;
    const char *word1 = w1[q % n1];
    const noun *word2 = &w2[q / n1];
    ac->industry = word2->industry;
    char *w = ac->name, *dw = ac->domain;
    if (round > 0) {
        const char *d = descr[(round - 1) % NELEM(descr)];
        w = w_str(w, d);
        *w++ = ' ';
        dw = w_lower(dw, d);
    }
    w = w_str(w, word1);
    *w++ = ' ';
    w = w_str(w, word2->word);
    dw = w_lower(w_lower(dw, word1), word2->word);
    if (round > NELEM(descr))
        dw = w_uint(dw, (uint64_t)(round / NELEM(descr)), 1);
    if (rng_chance(&r, 0.5)) {
        *w++ = ' ';
        w = w_str(w, ac->c->legal);
    }
    *w = '\0';
    dw = w_str(dw, rng_chance(&r, 0.6) ? ".com" : ac->c->tld);
    *dw = '\0';

    ac->employees = (int64_t)clampd(llround(rng_lognormal(&r, 170, 1.5)), 2, 300000);
    double rpe = rng_lognormal(&r, 160000, 0.45);
    ac->revenue = round_to((double)ac->employees * rpe * 100.0, 100000);
    ac->year = g->end_year - (int)clampd(rng_lognormal(&r, 18, 0.8), 1, 150);
    ac->owner = region_rep(g, ac->region, (int64_t)(ac->h >> 8));
    ac->ncontacts = 1 + (int)rng_below(&r, 5);
    ac->parent = a > 10 && a < g->naccounts && rng_chance(&r, 0.03) ? rng_below(&r, a) : -1;
    *w_tmpl(ac->phone, ac->c->phone, &r) = '\0';
    *w_tmpl(ac->postcode, ac->c->postcode, &r) = '\0';
    ac->created_day =
        (int32_t)(g->acct_base + (a < g->naccounts ? a : 0) * g->acct_span / g->naccounts);
    /* 06:00-08:00, before anything of that day that refers to it */
    ac->created_ms = (int64_t)ac->created_day * DAY_MS + 6 * HOUR_MS + rng_below(&r, 2 * HOUR_MS);
}

typedef struct contact {
    const char *first, *last, *title, *source;
    char email[160], phone[32];
    bool has_phone;
    int64_t created_ms;
} contact;

static void contact_make(const gen *g, const acct *ac, int n, contact *ct)
{
    rng r;
    rng_seed(&r, g->seed, TAG_CON, (uint64_t)ac->idx * 8 + (uint64_t)n);
    /* distinct first names within an account, hence distinct emails */
    ct->first = first_names[(ac->h % NELEM(first_names) + (uint64_t)n * 37) % NELEM(first_names)];
    ct->last = PICK(&r, last_names);
    ct->title = n == 1 || rng_chance(&r, 0.25) ? PICK(&r, title_senior) : PICK(&r, title_other);
    ct->source = PICK(&r, contact_sources);
    char *w = w_lower(ct->email, ct->first);
    *w++ = '.';
    w = w_lower(w, ct->last);
    *w++ = '@';
    *w_str(w, ac->domain) = '\0';
    ct->has_phone = rng_chance(&r, 0.7);
    *w_tmpl(ct->phone, ac->c->phone, &r) = '\0';
    ct->created_ms = ac->created_ms + (int64_t)n * rng_below(&r, HOUR_MS);
}

/* ---- deals ---------------------------------------------------------------- */

typedef struct line {
    int prod;
    int64_t qty, unit, disc;
} line;

typedef struct hrow {
    int from, to;
    int64_t at, amount;
    int32_t close;
} hrow;

typedef struct deal {
    int64_t idx, created_ms, lead, lead_ms;
    int32_t day;
    acct a;
    int contact, owner, type, campaign;
    const char *source;
    int64_t est0, list, amount_final; /* list and amount once quoted */
    int nlines;
    line lines[MAX_LINES];
    int nh;
    hrow h[MAX_HIST];
    /* state at the snapshot */
    int stage;
    int64_t amount, list_amount, closed_ms;
    int32_t close;
    const char *forecast, *reason, *next_step;
} deal;

/* Conversion c pairs lead lead_of_conv(c) with deal deal_of_conv(c); both
 * are the smallest index whose evenly spread conversion count passes c. */
static int64_t deal_of_conv(const gen *g, int64_t c)
{
    return ((c + 1) * g->ndeals + g->nconv - 1) / g->nconv - 1;
}

static int64_t conv_of_deal(const gen *g, int64_t i)
{
    if (g->nconv == 0)
        return -1;
    int64_t c = (i + 1) * g->nconv / g->ndeals;
    return c > i * g->nconv / g->ndeals ? c - 1 : -1;
}

static int64_t conv_of_lead(const gen *g, int64_t k)
{
    if (g->nconv == 0)
        return -1;
    int64_t c = (k + 1) * g->nconv / g->nleads;
    return c > k * g->nconv / g->nleads ? c - 1 : -1;
}

/* a campaign running on `day` (or the latest one that started before) */
static int campaign_on(const gen *g, rng *r, int32_t day)
{
    int64_t off = day - g->start;
    if (off < 0)
        off = 0;
    if (off >= g->window)
        off = g->window - 1;
    int n = g->dcn[off];
    return g->dc[off * DC_MAX + (n > 1 ? rng_below(r, n) : 0)];
}

/* the account owner if hired by `day`, else a colleague in the region who was */
static int owner_on(const gen *g, int region, int pref, int32_t day, rng *r)
{
    if (g->users[pref].hired <= day)
        return pref;
    int beg = g->rbeg[region], n = g->rbeg[region + 1] - beg;
    int k0 = (int)rng_below(r, n);
    for (int k = 0; k < n; k++) {
        int u = g->reps[beg + (k0 + k) % n];
        if (g->users[u].hired <= day)
            return u;
    }
    return g->reps[beg]; /* hired before the window by construction */
}

static void add_line(deal *d, int prod, int64_t qty)
{
    line *l = &d->lines[d->nlines++];
    l->prod = prod;
    l->qty = qty < 1 ? 1 : qty;
    l->unit = products[prod].list_price;
    l->disc = 0;
}

static int64_t share_qty(double cents, int prod)
{
    return (int64_t)llround(cents / (double)products[prod].list_price);
}

static void deal_lines(deal *d, rng *r, double target)
{
    static const int addons[] = {P_ANALYTICS, P_FORECAST, P_API};
    static const int services[] = {P_IMPL, P_TRAINING, P_MIGRATION};
    double share = 0.6 + 0.25 * rng_u(r);
    if (d->type == T_NEW) {
        add_line(d, P_CORE, share_qty(target * share, P_CORE));
        if (rng_chance(r, 0.5)) {
            int addon = PICK(r, addons);
            add_line(d, addon, share_qty(target * (1 - share), addon));
        }
        if (rng_chance(r, 0.45)) {
            int s = PICK(r, services);
            add_line(d, s, s == P_TRAINING ? rng_int(r, 1, 5) : 1);
        }
    } else if (d->type == T_EXPANSION) {
        int first = rng_chance(r, 0.6) ? P_CORE : rng_chance(r, 0.5) ? P_ANALYTICS : P_FORECAST;
        add_line(d, first, share_qty(target * share, first));
        int second = addons[rng_below(r, 3)];
        if (second != first && rng_chance(r, 0.3))
            add_line(d, second, share_qty(target * (1 - share), second));
    } else {
        add_line(d, P_CORE, share_qty(target * share, P_CORE));
        if (rng_chance(r, 0.35))
            add_line(d, P_SUPPORT, 1);
    }
}

/* amount of the deal while it sits in stage `st` */
static int64_t stage_amount(const deal *d, int st)
{
    return d->nlines > 0 || st >= ST_PROPOSAL ? d->amount_final : d->est0;
}

static void deal_path(const gen *g, deal *d);

static void deal_make(const gen *g, int64_t i, deal *d)
{
    rng r;
    rng_seed(&r, g->seed, TAG_DEAL, (uint64_t)i);
    d->idx = i;
    d->day = day_at(g, ((double)i + rng_u(&r)) / (double)g->ndeals);
    d->created_ms = work_time(&r, d->day);
    int64_t conv = conv_of_deal(g, i);
    d->lead = conv >= 0 ? conv : -1; /* the lead's index is found by the lead side */
    d->lead_ms = 0;
    int64_t avail = acct_avail(g, d->day);
    int64_t old = acct_avail(g, d->day - 180);
    if (conv >= 0 || old <= 1)
        d->type = T_NEW;
    else {
        static const int tw[] = {50, 34, 16};
        d->type = rng_pick(&r, tw, 3);
    }
    int64_t a;
    if (d->type == T_NEW) {
        int64_t recent = acct_avail(g, d->day - 120);
        a = recent < avail && rng_chance(&r, 0.7) ? recent + rng_below(&r, avail - recent)
                                                  : rng_below(&r, avail);
    } else {
        a = rng_below(&r, old);
    }
    acct_make(g, a, &d->a);
    d->contact = 1 + (int)rng_below(&r, d->a.ncontacts);
    d->owner = owner_on(g, d->a.region, d->a.owner, d->day, &r);
    d->campaign = -1;
    if (conv >= 0) {
        int64_t lag = (int64_t)(rng_lognormal(&r, 21, 0.6) * DAY_MS);
        d->lead_ms = d->created_ms - lag < g->start_ms ? g->start_ms : d->created_ms - lag;
        if (rng_chance(&r, 0.8)) {
            d->campaign = campaign_on(g, &r, (int32_t)(d->lead_ms / DAY_MS));
            d->source = channels[g->camps[d->campaign].channel].label;
        } else {
            d->source = PICK(&r, organic_sources);
        }
    } else {
        d->source = d->type == T_NEW ? PICK(&r, outbound_sources) : "Existing Customer";
    }

    static const double type_f[3] = {1.0, 0.55, 0.9};
    double size = clampd(pow((double)d->a.employees / 200.0, 0.35), 0.3, 6.0);
    double est = clampd(1500000.0 * size * type_f[d->type] * exp(0.95 * rng_normal(&r)), 100000.0,
                        300000000.0);
    double disc = rng_chance(&r, 0.3) ? 0.0 : 0.03 + 0.22 * rng_u(&r);
    d->est0 = round_to(est * (0.75 + 0.6 * rng_u(&r)), 100000);
    if (d->est0 < 100000)
        d->est0 = 100000;
    d->nlines = 0;
    if (rng_chance(&r, 0.55)) {
        deal_lines(d, &r, est / (1.0 - disc));
        int64_t list = 0;
        for (int k = 0; k < d->nlines; k++)
            list += d->lines[k].qty * d->lines[k].unit;
        int64_t total_disc = (int64_t)llround((double)list * disc);
        int64_t given = 0;
        for (int k = 0; k < d->nlines; k++) {
            int64_t lt = d->lines[k].qty * d->lines[k].unit;
            d->lines[k].disc = k + 1 < d->nlines ? total_disc * lt / list : total_disc - given;
            given += d->lines[k].disc;
        }
        d->list = list;
        d->amount_final = list - total_disc;
    } else {
        d->list = round_to(est / (1.0 - disc), 10000);
        if (d->list < 100000)
            d->list = 100000;
        d->amount_final = round_to((double)d->list * (1.0 - disc), 1000);
        if (d->amount_final > d->list)
            d->amount_final = d->list;
    }
    deal_path(g, d);
}

static void deal_path(const gen *g, deal *d)
{
    rng r;
    rng_seed(&r, g->seed, TAG_PATH, (uint64_t)d->idx);
    const user *u = &g->users[d->owner];
    double tenure = d->day - u->hired;
    double ramp = tenure >= 180 ? 1.0 : 0.6 + 0.4 * (tenure < 0 ? 0 : tenure) / 180.0;
    double m = u->skill * ramp * clampd(pow(1500000.0 / (double)d->amount_final, 0.08), 0.8, 1.15);
    const double *adv = d->type == T_NEW ? adv_new : d->type == T_EXPANSION ? adv_exp : adv_ren;
    int s = d->type == T_NEW         ? (d->lead >= 0 && rng_chance(&r, 0.5) ? 2 : 1)
            : d->type == T_EXPANSION ? 2
                                     : 3;
    double mm = pow(m, 1.0 / (6 - s));
    double sz = clampd(pow((double)d->amount_final / 1500000.0, 0.2), 0.6, 2.2);
    if (d->type == T_RENEWAL)
        sz *= 0.7;

    double expect = 0;
    for (int k = s; k <= ST_NEGOTIATION; k++)
        expect += stage_days[k] * sz;
    int32_t close = d->day + (int32_t)(expect * (0.8 + 0.6 * rng_u(&r)));
    if (rng_chance(&r, 0.4))
        close = month_end(close);
    int64_t t = d->created_ms;
    d->nh = 0;
    d->h[d->nh++] = (hrow){0, s, t, stage_amount(d, s), close};
    for (;;) {
        double days = rng_lognormal(&r, stage_days[s] * sz, 0.7);
        bool up = rng_u(&r) < fmin(0.97, adv[s] * mm);
        if (!up)
            days *= 0.5 + rng_u(&r);
        int next = !up ? ST_LOST : s == ST_NEGOTIATION ? ST_WON : s + 1;
        int64_t t2 = t + (int64_t)(days * DAY_MS);
        int32_t d2 = next_workday((int32_t)(t2 / DAY_MS));
        if (next == ST_WON) {
            /* reps close at quarter end: wins due early next quarter are
             * pulled in, wins due late in the quarter wait for its end */
            int32_t qe = quarter_end(d2), prev = quarter_start(d2) - 1;
            int32_t last_days = (int32_t)rng_below(&r, 3);
            double luck = rng_u(&r);
            if (d2 - prev <= 14 && luck < 0.4 && ((int64_t)(prev - last_days) + 1) * DAY_MS > t)
                d2 = prev - last_days;
            else if (qe - d2 <= 45 && luck < 0.5 && qe - last_days > d2)
                d2 = qe - last_days;
        }
        t2 = work_time(&r, d2);
        if (t2 < t)
            t2 = t + (1 + rng_below(&r, 120)) * MIN_MS;
        d2 = (int32_t)(t2 / DAY_MS);
        if (next >= ST_WON) {
            close = d2;
        } else if (d2 + 5 > close) {
            close = d2 + 7 + (int32_t)rng_lognormal(&r, 18, 0.6);
            if (rng_chance(&r, 0.4))
                close = month_end(close);
        } else if (rng_chance(&r, 0.06)) {
            close += 14 + (int32_t)rng_below(&r, 30);
        }
        int64_t amt = next == ST_LOST ? d->h[d->nh - 1].amount : stage_amount(d, next);
        d->h[d->nh++] = (hrow){s, next, t2, amt, close};
        if (next >= ST_WON)
            break;
        s = next;
        t = t2;
    }
    int reason_pick = (int)rng_below(&r, 1000);
    bool override = rng_chance(&r, 0.12);
    int step_pick = (int)rng_below(&r, 2);

    /* the snapshot */
    while (d->nh > 1 && d->h[d->nh - 1].at >= g->end_ms)
        d->nh--;
    const hrow *last = &d->h[d->nh - 1];
    d->stage = last->to;
    d->amount = last->amount;
    d->list_amount = d->amount == d->amount_final ? d->list : d->amount;
    d->close = last->close;
    d->closed_ms = d->stage >= ST_WON ? last->at : 0;
    d->forecast = stages[d->stage].forecast;
    d->reason = NULL;
    d->next_step = NULL;
    if (d->stage == ST_WON)
        d->reason = won_reasons[reason_pick % NELEM(won_reasons)];
    else if (d->stage == ST_LOST)
        d->reason = lost_reasons[reason_pick % NELEM(lost_reasons)];
    else {
        d->next_step = next_steps[d->stage][step_pick];
        if (override) /* the rep's own call */
            d->forecast = d->stage == ST_PROPOSAL      ? "commit"
                          : d->stage == ST_NEGOTIATION ? "best_case"
                          : d->stage == ST_DISCOVERY   ? "pipeline"
                                                       : d->forecast;
    }
}

/* ---- leads ---------------------------------------------------------------- */

enum { L_NEW, L_WORKING, L_MQL, L_SQL, L_CONVERTED, L_DISQUALIFIED };
static const char *const lead_status[] = {"new", "working",   "mql",
                                          "sql", "converted", "disqualified"};

typedef struct lead {
    int64_t idx;
    bool converted, matched;
    deal d;     /* the deal it became (converted only) */
    acct a;     /* its company */
    contact ct; /* the person: names, title, email (ct.phone unused) */
    int owner, campaign, status, score;
    const char *source, *dq_reason;
    int64_t created, ft, mql, sql, conv; /* 0: never */
} lead;

static void lead_make(const gen *g, int64_t k, lead *l)
{
    rng r;
    rng_seed(&r, g->seed, TAG_LEAD, (uint64_t)k);
    l->idx = k;
    l->ft = l->mql = l->sql = l->conv = 0;
    l->dq_reason = NULL;
    int64_t c = conv_of_lead(g, k);
    l->converted = c >= 0;
    if (l->converted) {
        deal_make(g, deal_of_conv(g, c), &l->d);
        l->a = l->d.a;
        l->matched = true;
        contact_make(g, &l->a, l->d.contact, &l->ct);
        l->owner = l->d.owner;
        l->campaign = l->d.campaign;
        l->source = l->d.source;
        l->created = l->d.lead_ms;
        l->conv = l->d.created_ms;
        int64_t gap = l->conv - l->created;
        double f1 = 0.02 + 0.15 * rng_u(&r), f2 = 0.25 + 0.35 * rng_u(&r),
               f3 = 0.65 + 0.3 * rng_u(&r);
        l->ft = l->created + (int64_t)(gap * f1);
        l->mql = l->created + (int64_t)(gap * f2);
        l->sql = l->created + (int64_t)(gap * f3);
        l->status = L_CONVERTED;
        l->score = rng_int(&r, 65, 98);
        return;
    }
    int32_t day = day_at(g, ((double)k + rng_u(&r)) / (double)g->nleads);
    l->created = work_time(&r, day);
    if (rng_chance(&r, 0.8)) {
        l->campaign = campaign_on(g, &r, day);
        l->source = channels[g->camps[l->campaign].channel].label;
    } else {
        l->campaign = -1;
        l->source = PICK(&r, organic_sources);
    }
    l->matched = rng_chance(&r, 0.12);
    int64_t company = l->matched ? rng_below(&r, acct_avail(g, day))
                                 : g->naccounts + rng_below(&r, 4 * g->naccounts + 1000);
    acct_make(g, company, &l->a);
    if (l->matched && rng_chance(&r, 0.3)) {
        /* someone already in the CRM as a contact: a duplicate to catch */
        contact_make(g, &l->a, 1 + (int)rng_below(&r, l->a.ncontacts), &l->ct);
    } else {
        l->ct.first = PICK(&r, first_names);
        l->ct.last = PICK(&r, last_names);
        l->ct.title = rng_chance(&r, 0.3) ? PICK(&r, title_senior) : PICK(&r, title_other);
        char *w = w_lower(l->ct.email, l->ct.first);
        *w++ = '.';
        w = w_lower(w, l->ct.last);
        *w++ = '@';
        *w_str(w, l->a.domain) = '\0';
    }
    l->owner =
        owner_on(g, l->a.region, region_rep(g, l->a.region, (int64_t)rng_below(&r, 1000)), day, &r);

    /* progression, cut at the snapshot */
    int64_t t = l->created;
    l->status = L_NEW;
    l->score = rng_int(&r, 0, 40);
    int64_t dq_at = 0;
    if (rng_chance(&r, 0.85)) {
        t += (int64_t)(rng_lognormal(&r, 20, 1.2) * HOUR_MS);
        if (t < g->end_ms) {
            l->ft = t, l->status = L_WORKING;
            if (rng_chance(&r, 0.4)) {
                t += (int64_t)(rng_lognormal(&r, 5, 0.8) * DAY_MS);
                if (t < g->end_ms) {
                    l->mql = t, l->status = L_MQL, l->score = rng_int(&r, 45, 80);
                    if (rng_chance(&r, 0.45)) {
                        t += (int64_t)(rng_lognormal(&r, 4, 0.8) * DAY_MS);
                        if (t < g->end_ms)
                            l->sql = t, l->status = L_SQL, l->score = rng_int(&r, 55, 90);
                    }
                }
            }
            if (rng_chance(&r, l->status == L_SQL ? 0.7 : 0.55))
                dq_at = t + (int64_t)(rng_lognormal(&r, 10, 0.8) * DAY_MS);
        }
    }
    const char *why = PICK(&r, dq_reasons);
    if (dq_at && dq_at < g->end_ms) {
        l->status = L_DISQUALIFIED;
        l->dq_reason = why;
        l->score = l->score / 3;
    }
}

/* ---- phases --------------------------------------------------------------- */

static int emit_teams(gen *g)
{
    for (int t = 0; t < g->nteams; t++) {
        const team *tm = &g->teams[t];
        row_begin(g, TM__N);
        set_id(g, TM_external_id, "team-", t + 1, 3);
        if (t == 0) {
            g->v[TM_name] = "Global Sales";
            g->v[TM_region] = "Global";
        } else {
            char *w = w_str(g->p, regions[tm->region].name);
            if (tm->num) {
                *w++ = ' ';
                w = w_uint(w, (uint64_t)tm->num, 1);
            }
            row_end(g, TM_name, w);
            g->v[TM_region] = regions[tm->region].name;
            g->v[TM_parent_id] = "team-001";
        }
        int rc = row_emit(g, "teams", TM__N, team_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_users(gen *g)
{
    for (int i = 0; i < g->nusers; i++) {
        const user *u = &g->users[i];
        row_begin(g, US__N);
        set_user(g, US_external_id, i);
        const char *fn = first_names[u->first], *ln = last_names[u->last];
        char *w = w_str(g->p, fn);
        *w++ = ' ';
        row_end(g, US_name, w_str(w, ln));
        w = w_lower(g->p, fn);
        *w++ = '.';
        row_end(g, US_email, w_str(w_lower(w, ln), "@revos.example"));
        g->v[US_role] = role_names[u->role];
        if (u->manager >= 0)
            set_user(g, US_manager_id, u->manager);
        if (u->team >= 0)
            set_id(g, US_team_id, "team-", u->team + 1, 3);
        g->v[US_title] = u->title;
        g->v[US_region] = u->region >= 0 ? regions[u->region].name : u->team == 0 ? "Global" : NULL;
        set_date(g, US_hired_on, u->hired);
        g->v[US_active] = "true";
        int rc = row_emit(g, "users", US__N, user_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_accounts(gen *g)
{
    acct ac;
    for (int64_t a = 0; a < g->naccounts; a++) {
        acct_make(g, a, &ac);
        row_begin(g, AC__N);
        set_acct(g, AC_external_id, a);
        g->v[AC_name] = ac.name;
        g->v[AC_domain] = ac.domain;
        g->v[AC_industry] = industries[ac.industry];
        set_int(g, AC_employees, ac.employees);
        set_money(g, AC_annual_revenue, ac.revenue);
        g->v[AC_currency] = "USD";
        g->v[AC_phone] = ac.phone;
        g->v[AC_city] = ac.c->name;
        g->v[AC_postcode] = ac.postcode;
        g->v[AC_country] = ac.c->country;
        g->v[AC_region] = regions[ac.region].name;
        set_int(g, AC_year_founded, ac.year);
        set_user(g, AC_owner_id, ac.owner);
        if (ac.parent >= 0)
            set_acct(g, AC_parent_id, ac.parent);
        char *w = w_str(w_str(g->p, regions[ac.region].name), " ");
        row_end(g, AC_territory,
                w_str(w, ac.employees >= 1000  ? "Enterprise"
                         : ac.employees >= 100 ? "Mid-Market"
                                               : "SMB"));
        set_ts(g, AC_created_on, ac.created_ms);
        int rc = row_emit(g, "accounts", AC__N, acct_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_contacts(gen *g)
{
    acct ac;
    contact ct;
    for (int64_t a = 0; a < g->naccounts; a++) {
        acct_make(g, a, &ac);
        for (int n = 1; n <= ac.ncontacts; n++) {
            contact_make(g, &ac, n, &ct);
            row_begin(g, CO__N);
            set_contact(g, CO_external_id, a, n);
            set_acct(g, CO_account_id, a);
            g->v[CO_first_name] = ct.first;
            g->v[CO_last_name] = ct.last;
            g->v[CO_email] = ct.email;
            g->v[CO_phone] = ct.has_phone ? ct.phone : NULL;
            g->v[CO_title] = ct.title;
            g->v[CO_country] = ac.c->country;
            set_user(g, CO_owner_id, ac.owner);
            g->v[CO_source] = ct.source;
            set_ts(g, CO_created_on, ct.created_ms);
            int rc = row_emit(g, "contacts", CO__N, contact_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int emit_campaigns(gen *g)
{
    for (int c = 0; c < g->ncamp; c++) {
        const campaign *cp = &g->camps[c];
        const channel *ch = &channels[cp->channel];
        int y;
        unsigned m, d;
        rv_civil_from_days(cp->start, &y, &m, &d);
        row_begin(g, CA__N);
        set_camp(g, CA_external_id, c);
        char *w = w_uint(g->p, (uint64_t)y, 4);
        w = w_str(w, " Q");
        w = w_uint(w, (m - 1) / 3 + 1, 1);
        *w++ = ' ';
        w = w_str(w_str(w, ch->label), ": ");
        row_end(g, CA_name, w_str(w, themes[cp->theme]));
        g->v[CA_channel] = ch->key;
        set_money(g, CA_spend, cp->spend);
        g->v[CA_currency] = "USD";
        set_date(g, CA_start_on, cp->start);
        set_date(g, CA_end_on, cp->end);
        set_user(g, CA_owner_id, g->marketing);
        int rc = row_emit(g, "campaigns", CA__N, camp_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_leads(gen *g)
{
    lead l;
    for (int64_t k = 0; k < g->nleads; k++) {
        lead_make(g, k, &l);
        rng r;
        rng_seed(&r, g->seed, TAG_LEADX, (uint64_t)k);
        row_begin(g, LE__N);
        set_id(g, LE_external_id, "lead-", k + 1, 7);
        g->v[LE_first_name] = l.ct.first;
        g->v[LE_last_name] = l.ct.last;
        if (!l.converted && rng_chance(&r, 0.15)) {
            char *w = w_lower(g->p, l.ct.first);
            *w++ = '.';
            w = w_uint(w_lower(w, l.ct.last), (uint64_t)rng_below(&r, 100), 2);
            row_end(g, LE_email, w_str(w, "@gmail.com"));
        } else {
            g->v[LE_email] = l.ct.email;
        }
        if (rng_chance(&r, 0.6))
            row_end(g, LE_phone, w_tmpl(g->p, l.a.c->phone, &r));
        g->v[LE_company] = l.a.name;
        g->v[LE_title] = l.ct.title;
        row_end(g, LE_website, w_str(w_str(g->p, "https://www."), l.a.domain));
        g->v[LE_industry] = industries[l.a.industry];
        if (rng_chance(&r, 0.7))
            set_int(g, LE_employees, l.a.employees);
        g->v[LE_country] = l.a.c->country;
        g->v[LE_source] = l.source;
        if (l.campaign >= 0)
            set_camp(g, LE_campaign_id, l.campaign);
        g->v[LE_status] = lead_status[l.status];
        set_int(g, LE_score, l.score);
        set_user(g, LE_owner_id, l.owner);
        if (l.matched)
            set_acct(g, LE_account_id, l.a.idx);
        if (l.converted)
            set_contact(g, LE_contact_id, l.a.idx, l.d.contact);
        set_ts(g, LE_created_on, l.created);
        if (l.ft)
            set_ts(g, LE_first_touch_at, l.ft);
        if (l.mql)
            set_ts(g, LE_mql_at, l.mql);
        if (l.sql)
            set_ts(g, LE_sql_at, l.sql);
        if (l.conv)
            set_ts(g, LE_converted_at, l.conv);
        g->v[LE_disqualified_reason] = l.dq_reason;
        int rc = row_emit(g, "leads", LE__N, lead_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_products(gen *g)
{
    for (int i = 0; i < NPRODUCTS; i++) {
        const product *p = &products[i];
        row_begin(g, PR__N);
        g->v[PR_external_id] = p->id;
        g->v[PR_name] = p->name;
        g->v[PR_code] = p->code;
        g->v[PR_family] = p->family;
        set_money(g, PR_list_price, p->list_price);
        set_money(g, PR_cost, p->cost);
        g->v[PR_currency] = "USD";
        g->v[PR_recurring] = p->recurring ? "true" : "false";
        g->v[PR_active] = "true";
        int rc = row_emit(g, "products", PR__N, prod_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_pipelines(gen *g)
{
    row_begin(g, PL__N);
    g->v[PL_external_id] = "pl-1";
    g->v[PL_name] = "Sales";
    g->v[PL_is_default] = "true";
    return row_emit(g, "pipelines", PL__N, pipe_cols);
}

static int emit_stages(gen *g)
{
    for (int s = 1; s <= NSTAGES; s++) {
        const stage *st = &stages[s];
        row_begin(g, SG__N);
        g->v[SG_external_id] = st->id;
        g->v[SG_pipeline_id] = "pl-1";
        g->v[SG_name] = st->name;
        set_int(g, SG_position, s);
        set_int(g, SG_probability, st->probability);
        g->v[SG_kind] = st->kind;
        g->v[SG_forecast_category] = st->forecast;
        g->v[SG_exit_criteria] = st->exit_criteria;
        if (st->stall_days)
            set_int(g, SG_stall_days, st->stall_days);
        int rc = row_emit(g, "stages", SG__N, stage_cols);
        if (rc)
            return rc;
    }
    return 0;
}

/* Calendar quarter of a day, counted from the window's first quarter. */
static int quarter_of(const gen *g, int32_t day)
{
    int y0, y;
    unsigned m0, m, dd;
    rv_civil_from_days(g->start, &y0, &m0, &dd);
    rv_civil_from_days(day, &y, &m, &dd);
    return (y * 4 + (int)(m - 1) / 3) - (y0 * 4 + (int)(m0 - 1) / 3);
}

static int emit_deals(gen *g)
{
    deal d;
    if (!g->won_q) {
        g->nq = quarter_of(g, g->end - 1) + 1;
        g->won_q = calloc((size_t)g->nusers * (size_t)g->nq, sizeof *g->won_q);
        if (!g->won_q)
            return RV_GEN_ENOMEM;
    }
    for (int64_t i = 0; i < g->ndeals; i++) {
        deal_make(g, i, &d);
        if (d.stage == ST_WON && d.owner >= 0 && d.owner < g->nusers) {
            int q = quarter_of(g, (int32_t)(d.closed_ms / DAY_MS));
            if (q >= 0 && q < g->nq)
                g->won_q[(size_t)d.owner * (size_t)g->nq + (size_t)q] += d.amount;
        }
        row_begin(g, DL__N);
        set_deal(g, DL_external_id, i);
        char *w = w_str(w_str(g->p, d.a.name), " - ");
        if (d.type == T_RENEWAL) {
            int y;
            unsigned m, dd;
            rv_civil_from_days(d.close, &y, &m, &dd);
            w = w_uint(w_str(w, "Renewal "), (uint64_t)y, 4);
        } else {
            w = w_str(w, d.type == T_EXPANSION ? "Expansion"
                         : d.nlines            ? products[d.lines[0].prod].name
                                               : "New Business");
        }
        row_end(g, DL_name, w);
        set_acct(g, DL_account_id, d.a.idx);
        set_contact(g, DL_contact_id, d.a.idx, d.contact);
        set_user(g, DL_owner_id, d.owner);
        g->v[DL_pipeline_id] = "pl-1";
        g->v[DL_stage_id] = stages[d.stage].id;
        set_money(g, DL_amount, d.amount);
        set_money(g, DL_list_amount, d.list_amount);
        g->v[DL_currency] = "USD";
        set_date(g, DL_close_date, d.close);
        g->v[DL_type] = deal_types[d.type];
        g->v[DL_source] = d.source;
        if (d.campaign >= 0)
            set_camp(g, DL_campaign_id, d.campaign);
        g->v[DL_forecast_category] = d.forecast;
        set_int(g, DL_probability, stages[d.stage].probability);
        g->v[DL_next_step] = d.next_step;
        if (d.stage == ST_LOST)
            g->v[DL_lost_reason] = d.reason;
        if (d.stage == ST_WON)
            g->v[DL_won_reason] = d.reason;
        set_ts(g, DL_created_on, d.created_ms);
        if (d.closed_ms)
            set_ts(g, DL_closed_at, d.closed_ms);
        int rc = row_emit(g, "deals", DL__N, deal_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_deal_products(gen *g)
{
    deal d;
    for (int64_t i = 0; i < g->ndeals; i++) {
        deal_make(g, i, &d);
        for (int k = 0; k < d.nlines; k++) {
            const line *ln = &d.lines[k];
            row_begin(g, DP__N);
            set_id2(g, DP_external_id, "dp-", i + 1, 7, k + 1);
            set_deal(g, DP_deal_id, i);
            g->v[DP_product_id] = products[ln->prod].id;
            set_int(g, DP_quantity, ln->qty);
            set_money(g, DP_unit_price, ln->unit);
            set_money(g, DP_discount, ln->disc);
            g->v[DP_currency] = "USD";
            int rc = row_emit(g, "deal_products", DP__N, dp_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int stage_at(const deal *d, int64_t t)
{
    int s = d->h[0].to;
    for (int k = 1; k < d->nh && d->h[k].at <= t; k++)
        s = d->h[k].to;
    return s;
}

static int emit_activities(gen *g)
{
    deal d;
    int64_t cur = -1, first = 0, n = 1;
    for (int64_t j = 0; j < g->nacts; j++) {
        int64_t i = j * g->ndeals / g->nacts;
        if (i != cur) {
            deal_make(g, i, &d);
            cur = i;
            first = (i * g->nacts + g->ndeals - 1) / g->ndeals;
            n = ((i + 1) * g->nacts + g->ndeals - 1) / g->ndeals - first;
        }
        rng r;
        rng_seed(&r, g->seed, TAG_ACT, (uint64_t)j);
        int64_t life_end = d.closed_ms ? d.closed_ms : g->end_ms + 21 * DAY_MS;
        int64_t t = d.created_ms + (int64_t)((double)(life_end - d.created_ms) *
                                             ((double)(j - first) + rng_u(&r)) / (double)n);
        int32_t day = next_workday((int32_t)(t / DAY_MS));
        int64_t due = work_time(&r, day);
        if (due < d.created_ms)
            due = d.created_ms + rng_below(&r, 4 * HOUR_MS);
        int kind = rng_pick(&r, act_w, NELEM(act_w));
        int st = stage_at(&d, due);
        int bucket = st >= ST_WON ? 4 : st - 1;
        int64_t done = due;
        if (kind == A_TASK)
            done = due + rng_below(&r, 48 * HOUR_MS);
        bool skipped = !d.closed_ms && (kind == A_TASK || kind == A_CALL) && rng_chance(&r, 0.06);
        row_begin(g, AT__N);
        set_id(g, AT_external_id, "act-", j + 1, 8);
        g->v[AT_kind] = act_kinds[kind];
        g->v[AT_subject] = act_subjects[kind][bucket];
        set_user(g, AT_owner_id, d.owner);
        set_acct(g, AT_account_id, d.a.idx);
        set_contact(g, AT_contact_id, d.a.idx,
                    kind == A_NOTE || kind == A_TASK ? d.contact
                                                     : 1 + (int)rng_below(&r, d.a.ncontacts));
        set_deal(g, AT_deal_id, i);
        set_ts(g, AT_due_at, due);
        if (!skipped && done < g->end_ms)
            set_ts(g, AT_done_at, done);
        if (kind == A_CALL)
            set_int(g, AT_duration_min, rng_int(&r, 3, 40));
        else if (kind == A_MEETING)
            set_int(g, AT_duration_min, 15 * rng_int(&r, 2, 4));
        int rc = row_emit(g, "activities", AT__N, act_cols);
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_touches(gen *g)
{
    lead l;
    int64_t id = 0;
    for (int64_t k = 0; k < g->nleads; k++) {
        lead_make(g, k, &l);
        rng r;
        rng_seed(&r, g->seed, TAG_TOUCH, (uint64_t)k);
        bool organic = l.campaign < 0;
        if (organic && strcmp(l.source, "Organic Search") != 0)
            continue; /* direct and referral leads leave no marketing trace */
        int64_t until = l.conv ? l.conv : l.created + 60 * DAY_MS;
        if (until > g->end_ms)
            until = g->end_ms;
        int extra = 0;
        while (extra < 6 && rng_chance(&r, 0.6))
            extra++;
        int64_t t = l.created;
        for (int n = 0; n <= extra; n++) {
            int camp = l.campaign;
            const char *kind, *chan;
            if (n > 0) {
                t += (int64_t)(rng_u(&r) * (double)(until - t) * 0.5);
                camp = rng_chance(&r, 0.7) ? campaign_on(g, &r, (int32_t)(t / DAY_MS)) : -1;
                kind = camp >= 0 ? channels[g->camps[camp].channel].first_touch
                                 : PICK(&r, touch_follow);
            } else {
                kind = organic ? "visit" : channels[g->camps[camp].channel].first_touch;
            }
            if (t >= g->end_ms)
                break;
            chan = camp >= 0 ? channels[g->camps[camp].channel].key : "organic";
            row_begin(g, TC__N);
            set_id(g, TC_external_id, "tch-", ++id, 8);
            if (camp >= 0)
                set_camp(g, TC_campaign_id, camp);
            set_id(g, TC_lead_id, "lead-", k + 1, 7);
            if (l.converted) {
                set_contact(g, TC_contact_id, l.a.idx, l.d.contact);
                set_deal(g, TC_deal_id, l.d.idx);
            }
            g->v[TC_kind] = kind;
            set_ts(g, TC_at, t);
            g->v[TC_channel] = chan;
            int rc = row_emit(g, "touches", TC__N, touch_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int emit_subscriptions(gen *g)
{
    deal d;
    for (int64_t i = 0; i < g->ndeals; i++) {
        deal_make(g, i, &d);
        if (d.stage != ST_WON || d.type == T_RENEWAL || d.nlines == 0)
            continue;
        rng r;
        rng_seed(&r, g->seed, TAG_SUB, (uint64_t)i);
        double churn = d.a.employees < 50 ? 0.20 : d.a.employees >= 1000 ? 0.07 : 0.12;
        int32_t closed = (int32_t)(d.closed_ms / DAY_MS);
        int n = 0;
        for (int k = 0; k < d.nlines; k++) {
            const line *ln = &d.lines[k];
            if (!products[ln->prod].recurring)
                continue;
            int32_t start = closed + (int32_t)rng_below(&r, 11);
            if (start >= g->end)
                start = closed;
            int32_t end_on = 0, renewal = 0;
            const char *why = NULL;
            for (int yr = 1;; yr++) {
                int32_t ann = add_years(start, yr);
                if (ann >= g->end) {
                    renewal = ann;
                    break;
                }
                if (rng_chance(&r, churn)) {
                    end_on = ann - 1;
                    why = PICK(&r, churn_reasons);
                    break;
                }
            }
            row_begin(g, SB__N);
            set_id2(g, SB_external_id, "sub-", i + 1, 7, ++n);
            set_acct(g, SB_account_id, d.a.idx);
            g->v[SB_product_id] = products[ln->prod].id;
            set_deal(g, SB_deal_id, i);
            set_money(g, SB_mrr, (ln->qty * ln->unit - ln->disc + 6) / 12);
            g->v[SB_currency] = "USD";
            set_int(g, SB_seats, ln->qty);
            set_date(g, SB_start_on, start);
            if (end_on)
                set_date(g, SB_end_on, end_on);
            if (renewal)
                set_date(g, SB_renewal_on, renewal);
            g->v[SB_status] = end_on ? "canceled" : "active";
            g->v[SB_churn_reason] = why;
            int rc = row_emit(g, "subscriptions", SB__N, sub_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int emit_stage_history(gen *g)
{
    deal d;
    for (int64_t i = 0; i < g->ndeals; i++) {
        deal_make(g, i, &d);
        for (int k = 0; k < d.nh; k++) {
            const hrow *h = &d.h[k];
            row_begin(g, SH__N);
            set_id2(g, SH_external_id, "sh-", i + 1, 7, k + 1);
            set_deal(g, SH_deal_id, i);
            if (h->from)
                g->v[SH_from_stage_id] = stages[h->from].id;
            g->v[SH_to_stage_id] = stages[h->to].id;
            set_ts(g, SH_changed_at, h->at);
            set_user(g, SH_changed_by_id, d.owner);
            set_money(g, SH_amount, h->amount);
            g->v[SH_currency] = "USD";
            set_date(g, SH_close_date, h->close);
            g->v[SH_forecast_category] = stages[h->to].forecast;
            int rc = row_emit(g, "stage_history", SH__N, sh_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- setup ---------------------------------------------------------------- */

/* Quarterly quotas for every rep: what the reps of the company won on
 * average that quarter, plus 10% and rounded to the thousand, so that the
 * stronger reps beat it and the weaker miss it (attainment spreads as in
 * life).  Quarters in which nobody won anything get no quota. */
static int emit_quotas(gen *g)
{
    int nreps = 0;
    for (int u = 0; u < g->nusers; u++)
        nreps += g->users[u].role == R_REP;
    for (int q = 0; q < g->nq && nreps; q++) {
        int64_t sum = 0;
        for (int u = 0; u < g->nusers; u++)
            if (g->users[u].role == R_REP)
                sum += g->won_q[(size_t)u * (size_t)g->nq + (size_t)q];
        int64_t quota = (sum * 11 / 10 / nreps + 50000) / 100000 * 100000; /* cents: whole thousands */
        if (quota <= 0)
            continue;
        int y0;
        unsigned m0, dd;
        rv_civil_from_days(g->start, &y0, &m0, &dd);
        int qi = y0 * 4 + (int)(m0 - 1) / 3 + q;
        int32_t from = rv_days_from_civil(qi / 4, (unsigned)(qi % 4) * 3 + 1, 1);
        int32_t to = rv_days_from_civil((qi + 1) / 4, (unsigned)((qi + 1) % 4) * 3 + 1, 1) - 1;
        for (int u = 0; u < g->nusers; u++) {
            if (g->users[u].role != R_REP)
                continue;
            row_begin(g, QU__N);
            set_id2(g, QU_external_id, "quota-", u + 1, 4, q + 1);
            set_user(g, QU_user_id, u);
            set_date(g, QU_period_start, from);
            set_date(g, QU_period_end, to);
            set_money(g, QU_amount, quota);
            g->v[QU_currency] = "USD";
            int rc = row_emit(g, "quotas", QU__N, quota_cols);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void gen_free(gen *g)
{
    if (!g)
        return;
    free(g->won_q);
    free(g->cum);
    free(g->camps);
    free(g->dc);
    free(g->dcn);
    free(g->teams);
    free(g->users);
    free(g->reps);
    free(g);
}

static void setup_people(gen *g)
{
    int reps[NREGIONS], teams[NREGIONS];
    int nreps = layout(g->ndeals, reps, teams);
    uint64_t off1 = mix64(g->seed ^ 0x11) % NELEM(first_names);
    uint64_t off2 = mix64(g->seed ^ 0x22) % NELEM(last_names);
    int t = 1, u = 0, rp = 0;
    g->teams[0] = (team){-1, 0};
    for (int k = 0; k < NREGIONS; k++)
        for (int j = 0; j < teams[k]; j++)
            g->teams[t++] = (team){k, teams[k] > 1 ? j + 1 : 0};

    static const struct {
        int role;
        const char *title;
    } staff[] = {
        {R_ADMIN, "CRM Administrator"},     {R_MANAGER, "VP Sales"},
        {R_MARKETING, "Marketing Manager"}, {R_CS, "Customer Success Manager"},
        {R_FINANCE, "Finance Manager"},
    };
    for (int i = 0; i < NELEM(staff); i++)
        g->users[u++] =
            (user){staff[i].role, -1, i == 1 ? 0 : -1, -1, 0, 0, 0, 1.0, staff[i].title};
    g->vp = 1;
    g->marketing = 2;
    t = 1;
    for (int k = 0; k < NREGIONS; k++) {
        g->rbeg[k] = rp;
        for (int j = 0; j < teams[k]; j++, t++) {
            int mgr = u;
            g->users[u++] = (user){R_MANAGER, g->vp, t, k, 0, 0, 0, 1.0, "Sales Manager"};
            int size = reps[k] / teams[k] + (j < reps[k] % teams[k]);
            for (int s = 0; s < size; s++) {
                g->reps[rp++] = u;
                g->users[u++] = (user){R_REP, mgr, t, k, 0, 0, 0, 1.0, "Account Executive"};
            }
        }
    }
    g->rbeg[NREGIONS] = rp;
    (void)nreps;
    for (int i = 0; i < g->nusers; i++) {
        user *us = &g->users[i];
        rng r;
        rng_seed(&r, g->seed, TAG_USER, (uint64_t)i);
        us->first = (int)(((uint64_t)i * 7 + off1) % NELEM(first_names));
        us->last = (int)(((uint64_t)i * 13 + off2) % NELEM(last_names));
        bool first_rep = us->role == R_REP && g->reps[g->rbeg[us->region]] == i;
        if (us->role == R_REP && !first_rep && rng_chance(&r, 0.3)) {
            us->hired = g->start + (int32_t)rng_below(&r, (int64_t)g->window * 85 / 100);
        } else {
            int lo = us->role == R_REP ? 30 : 300;
            us->hired = g->start - rng_int(&r, lo, us->role == R_REP ? 1500 : 2500);
        }
        us->hired = next_workday(us->hired < 0 ? 0 : us->hired); /* nothing before 1970 */
        if (us->role == R_REP) {
            us->skill = clampd(exp(0.25 * rng_normal(&r)), 0.55, 1.6);
            int32_t years = (g->end - us->hired) / 365;
            us->title = years >= 4 ? "Senior Account Executive" : "Account Executive";
            if (us->skill > 1.3 && years >= 2)
                us->title = "Enterprise Account Executive";
        }
    }
}

static void setup_campaigns(gen *g)
{
    int cw[NELEM(channels)];
    for (int i = 0; i < NELEM(channels); i++)
        cw[i] = channels[i].weight;
    for (int c = 0; c < g->ncamp; c++) {
        campaign *cp = &g->camps[c];
        rng r;
        rng_seed(&r, g->seed, TAG_CAMP, (uint64_t)c);
        cp->channel = rng_pick(&r, cw, NELEM(channels));
        cp->theme = (int)rng_below(&r, NELEM(themes));
        const channel *ch = &channels[cp->channel];
        int32_t s = g->start + (int32_t)((int64_t)c * g->window / g->ncamp) + rng_int(&r, -10, 10);
        if (s < g->start)
            s = g->start;
        cp->start = s;
        cp->end = s + rng_int(&r, ch->min_days, ch->max_days) - 1;
        if (cp->end >= g->end)
            cp->end = g->end - 1;
        if (cp->end < cp->start)
            cp->end = cp->start;
        double dollars = ch->spend_lo + (ch->spend_hi - ch->spend_lo) * rng_u(&r);
        cp->spend = round_to(dollars * 100.0, 10000);
    }
    /* who runs on each day; a day with none falls back to the latest started */
    int latest = 0;
    for (int32_t off = 0; off < g->window; off++) {
        int32_t day = g->start + off;
        int n = 0;
        for (int c = 0; c < g->ncamp; c++) {
            if (g->camps[c].start <= day)
                latest = g->camps[c].start > g->camps[latest].start ? c : latest;
            if (g->camps[c].start <= day && day <= g->camps[c].end && n < DC_MAX)
                g->dc[(int64_t)off * DC_MAX + n++] = c;
        }
        if (n == 0)
            g->dc[(int64_t)off * DC_MAX + n++] = latest;
        g->dcn[off] = (unsigned char)n;
    }
}

static int setup(gen *g, const rv_gen_opts *o)
{
    g->seed = o->seed;
    g->ndeals = o->deals;
    g->naccounts = o->accounts;
    g->nleads = o->leads;
    g->nacts = o->activities;
    int64_t a = g->ndeals * 7 / 20, b = g->nleads / 5;
    g->nconv = a < b ? a : b;
    g->start = o->start_day;
    g->end = o->end_day;
    g->window = g->end - g->start;
    g->start_ms = (int64_t)g->start * DAY_MS;
    g->end_ms = (int64_t)g->end * DAY_MS;
    g->name_off = mix64(g->seed ^ TAG_NAME);
    g->acct_base = g->start >= 365 ? g->start - 365 : 0;
    g->acct_span = g->end - g->acct_base;
    unsigned em, ed;
    rv_civil_from_days(g->end, &g->end_year, &em, &ed);

    int reps[NREGIONS], teams[NREGIONS];
    int nreps = layout(g->ndeals, reps, teams);
    g->nteams = 1;
    for (int k = 0; k < NREGIONS; k++)
        g->nteams += teams[k];
    g->nusers = 5 + (g->nteams - 1) + nreps;
    g->ncamp = campaign_count(g->window);

    g->cum = malloc(((size_t)g->window + 1) * sizeof *g->cum);
    g->camps = calloc((size_t)g->ncamp, sizeof *g->camps);
    g->dc = malloc((size_t)g->window * DC_MAX * sizeof *g->dc);
    g->dcn = malloc((size_t)g->window);
    g->teams = calloc((size_t)g->nteams, sizeof *g->teams);
    g->users = calloc((size_t)g->nusers, sizeof *g->users);
    g->reps = calloc((size_t)nreps, sizeof *g->reps);
    if (!g->cum || !g->camps || !g->dc || !g->dcn || !g->teams || !g->users || !g->reps)
        return -1;

    g->cum[0] = 0;
    for (int32_t i = 0; i < g->window; i++)
        g->cum[i + 1] = g->cum[i] + day_weight(g, g->start + i);
    setup_people(g);
    setup_campaigns(g);
    return 0;
}

/* ---- public API ----------------------------------------------------------- */

void rv_gen_resolve(const rv_gen_opts *in, rv_gen_opts *out)
{
    static const rv_gen_opts zero;
    *out = in ? *in : zero;
    if (out->deals == 0)
        out->deals = 1000;
    /* defaults derived from a valid deal count (a bad one is reported anyway) */
    int64_t d = out->deals < 1 ? 1 : out->deals > RV_GEN_MAX_DEALS ? RV_GEN_MAX_DEALS : out->deals;
    if (out->accounts == 0)
        out->accounts = d / 4 < 20 ? 20 : d / 4;
    if (out->leads == 0)
        out->leads = 3 * d;
    if (out->activities == 0)
        out->activities = 10 * d;
    if (out->start_day == 0)
        out->start_day = DEFAULT_START;
    if (out->end_day == 0) {
        int32_t max = rv_days_from_civil(9000, 1, 1);
        out->end_day = out->start_day >= 0 && out->start_day <= max ? add_years(out->start_day, 3)
                                                                    : out->start_day;
    }
}

static rv_status check_count(const char *name, int64_t v, int64_t max, rv_err *err)
{
    if (v < 0)
        return rv_err_set(err, RV_EINVAL, name, "%s must be >= 0, got '%lld'", name, (long long)v);
    if (v > max)
        return rv_err_set(err, RV_EINVAL, name, "%s must be <= %lld, got '%lld'", name,
                          (long long)max, (long long)v);
    return RV_OK;
}

rv_status rv_gen_check(const rv_gen_opts *in, rv_err *err)
{
    rv_gen_opts o;
    rv_gen_resolve(in, &o);
    rv_status st;
    if ((st = check_count("deals", o.deals, RV_GEN_MAX_DEALS, err)) != RV_OK ||
        (st = check_count("accounts", o.accounts, RV_GEN_MAX_ACCOUNTS, err)) != RV_OK ||
        (st = check_count("leads", o.leads, RV_GEN_MAX_LEADS, err)) != RV_OK ||
        (st = check_count("activities", o.activities, RV_GEN_MAX_ACTIVITIES, err)) != RV_OK)
        return st;
    int32_t max = rv_days_from_civil(9000, 1, 1);
    if (o.start_day < 0 || o.start_day > max)
        return rv_err_set(err, RV_EINVAL, "start_day",
                          "start_day must be a day from 1970-01-01 to 9000-01-01, got '%ld'",
                          (long)o.start_day);
    if (o.end_day < 0 || o.end_day > max)
        return rv_err_set(err, RV_EINVAL, "end_day",
                          "end_day must be a day from 1970-01-01 to 9000-01-01, got '%ld'",
                          (long)o.end_day);
    int64_t w = (int64_t)o.end_day - o.start_day;
    if (w < RV_GEN_MIN_WINDOW_DAYS || w > RV_GEN_MAX_WINDOW_DAYS)
        return rv_err_set(err, RV_EINVAL, "end_day",
                          "end_day must be %d to %d days after start_day, got '%lld'",
                          RV_GEN_MIN_WINDOW_DAYS, RV_GEN_MAX_WINDOW_DAYS, (long long)w);
    if (err)
        rv_err_clear(err);
    return RV_OK;
}

int rv_gen_run(const rv_gen_opts *in, rv_gen_emit_fn emit, void *ud)
{
    static int (*const phases[])(gen *) = {
        emit_teams,         emit_users,      emit_accounts,  emit_contacts,      emit_campaigns,
        emit_leads,         emit_products,   emit_pipelines, emit_stages,        emit_deals,
        emit_deal_products, emit_activities, emit_touches,   emit_subscriptions, emit_stage_history,
        emit_quotas,
    };
    rv_gen_opts o;
    rv_gen_resolve(in, &o);
    if (!emit || rv_gen_check(&o, NULL) != RV_OK)
        return RV_GEN_EINVAL;
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return RV_GEN_ENOMEM;
    g->emit = emit;
    g->ud = ud;
    int rc = setup(g, &o) == 0 ? 0 : RV_GEN_ENOMEM;
    for (int i = 0; rc == 0 && i < NELEM(phases); i++)
        rc = phases[i](g);
    gen_free(g);
    return rc;
}

int64_t rv_gen_count(const rv_gen_opts *in, const char *entity)
{
    rv_gen_opts o;
    rv_gen_resolve(in, &o);
    if (!entity)
        return 0;
    int reps[NREGIONS], teams[NREGIONS];
    int nreps = layout(o.deals, reps, teams), nteams = 0;
    for (int k = 0; k < NREGIONS; k++)
        nteams += teams[k];
    static const char *const unknown[] = {"contacts", "deal_products", "touches", "subscriptions", "quotas",
                                          "stage_history"};
    for (int i = 0; i < NELEM(unknown); i++)
        if (strcmp(entity, unknown[i]) == 0)
            return -1;
    const struct {
        const char *name;
        int64_t n;
    } known[] = {
        {"teams", 1 + nteams},
        {"users", 5 + nteams + nreps},
        {"accounts", o.accounts},
        {"campaigns", campaign_count((int32_t)((int64_t)o.end_day - o.start_day))},
        {"leads", o.leads},
        {"products", NPRODUCTS},
        {"pipelines", 1},
        {"stages", NSTAGES},
        {"deals", o.deals},
        {"activities", o.activities},
    };
    for (int i = 0; i < NELEM(known); i++)
        if (strcmp(entity, known[i].name) == 0)
            return known[i].n;
    return 0;
}
