/* The direct method of ssagrad's native kernel, written in C: the floor of `bench ssa`.
 *
 * Same algorithm and the same random numbers as backends/native/_ssa.py's
 * direct_trajectory for networks of elementary mass action: xoshiro256** seeded by
 * splitmix64, E = -log(1 - u) for the waiting time, the propensity sum left to right,
 * selection by linear inversion with the rounding fix, the CSR state change and the
 * dependents' refresh. bench/c_reference.py compiles it with the system's C compiler,
 * runs it on the kernel network's arrays and checks that its output equals ssagrad's
 * bit for bit before timing it. It is a benchmark reference, not a backend.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

enum { KIND_ZEROTH = 0, KIND_FIRST = 1, KIND_PAIR = 2, KIND_DIMER = 3 };

typedef struct {
    uint64_t s0, s1, s2, s3;
} stream;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static stream seeded(uint64_t z) {
    stream r;
    z += 0x9E3779B97F4A7C15ULL; r.s0 = mix64(z);
    z += 0x9E3779B97F4A7C15ULL; r.s1 = mix64(z);
    z += 0x9E3779B97F4A7C15ULL; r.s2 = mix64(z);
    z += 0x9E3779B97F4A7C15ULL; r.s3 = mix64(z);
    if (!(r.s0 | r.s1 | r.s2 | r.s3)) r.s0 = 1;
    return r;
}

static inline double uniform(stream *r) {
    uint64_t result = rotl(r->s1 * 5, 7) * 9, t = r->s1 << 17;
    r->s2 ^= r->s0; r->s3 ^= r->s1; r->s1 ^= r->s2; r->s0 ^= r->s3;
    r->s2 ^= t; r->s3 = rotl(r->s3, 45);
    return (double)(result >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
    int64_t n_reactions, n_species;
    const int64_t *change_ptr, *change_species, *change_delta;
    const int64_t *dep_ptr, *dep_index, *kind, *first, *second;
    const double *rate;
} network;

static inline double law(const network *net, int64_t i, const int64_t *x) {
    double count;
    switch (net->kind[i]) {
    case KIND_ZEROTH: return net->rate[i];
    case KIND_FIRST: return net->rate[i] * (double)x[net->first[i]];
    case KIND_PAIR: return net->rate[i] * (double)x[net->first[i]] * (double)x[net->second[i]];
    default:
        count = (double)x[net->first[i]];
        return net->rate[i] * count * (count - 1.0) * 0.5;
    }
}

static int64_t trajectory(const network *net, const int64_t *x0, const double *times,
                          int64_t n_times, uint64_t seed, int64_t max_events,
                          int64_t *states, int64_t *x, double *a) {
    stream r = seeded(seed);
    int64_t n = net->n_reactions, S = net->n_species, m = 0, events = 0;
    for (int64_t s = 0; s < S; s++) x[s] = x0[s];
    for (int64_t i = 0; i < n; i++) a[i] = law(net, i, x);
    double t = 0.0;
    for (;;) {
        double a0 = 0.0;
        for (int64_t i = 0; i < n; i++) a0 += a[i];
        double t_next = a0 > 0.0 ? t + -log(1.0 - uniform(&r)) / a0 : INFINITY;
        for (; m < n_times && times[m] < t_next; m++)
            for (int64_t s = 0; s < S; s++) states[m * S + s] = x[s];
        if (m == n_times) return events;
        if (events >= max_events) {
            for (; m < n_times; m++)
                for (int64_t s = 0; s < S; s++) states[m * S + s] = x[s];
            return events;
        }
        double target = uniform(&r) * a0, acc = a[0];
        int64_t j = 0;
        while (acc <= target && j < n - 1) acc += a[++j];
        while (a[j] <= 0.0) j--;
        for (int64_t p = net->change_ptr[j]; p < net->change_ptr[j + 1]; p++)
            x[net->change_species[p]] += net->change_delta[p];
        for (int64_t p = net->dep_ptr[j]; p < net->dep_ptr[j + 1]; p++)
            a[net->dep_index[p]] = law(net, net->dep_index[p], x);
        t = t_next;
        events++;
    }
}

/* Trajectory i from seeds[i] into states[i] (n_times x n_species) and events[i]. */
int64_t direct_ensemble(int64_t n_reactions, int64_t n_species, const int64_t *change_ptr,
                        const int64_t *change_species, const int64_t *change_delta,
                        const int64_t *dep_ptr, const int64_t *dep_index, const int64_t *kind,
                        const int64_t *first, const int64_t *second, const double *rate,
                        const int64_t *x0, const double *times, int64_t n_times,
                        const uint64_t *seeds, int64_t n_seeds, int64_t max_events,
                        int64_t *states, int64_t *events) {
    network net = {n_reactions, n_species, change_ptr, change_species, change_delta,
                   dep_ptr, dep_index, kind, first, second, rate};
    int64_t *x = malloc(sizeof(int64_t) * (size_t)n_species);
    double *a = malloc(sizeof(double) * (size_t)n_reactions);
    if (!x || !a) { free(x); free(a); return -1; }
    int64_t total = 0;
    for (int64_t i = 0; i < n_seeds; i++) {
        events[i] = trajectory(&net, x0, times, n_times, seeds[i], max_events,
                               states + i * n_times * n_species, x, a);
        total += events[i];
    }
    free(x); free(a);
    return total;
}
