#!/usr/bin/env python3
"""Independent reference values for tests/baselines/stats_test.cc.

Pure Python (scipy/numpy are not installed on the build machine): exact
Mann-Whitney p-values by brute-force enumeration of every assignment of
ranks (itertools.combinations) in exact rational arithmetic (fractions),
the normal approximation written out from the textbook formula (the
conventions of scipy.stats.mannwhitneyu with use_continuity=True), the
Moses interval from the enumerated null distribution, and BH/BY by their
definition (minimum over j >= i of p_(j) m / j). Run it to print the
numbers pasted into the test.
"""
import itertools, math
from fractions import Fraction

def median(v):
    s = sorted(v); n = len(s)
    return s[n//2] if n % 2 else (s[n//2-1] + s[n//2]) / 2

def quantile7(v, p):
    s = sorted(v); h = (len(s)-1)*p; lo = math.floor(h)
    return s[lo] if lo+1 >= len(s) else s[lo] + (h-lo)*(s[lo+1]-s[lo])

def null_counts(m, n):
    """Counts of U over all C(m+n, m) rank assignments, by enumeration."""
    counts = {}
    for xs in itertools.combinations(range(m+n), m):
        u = sum(r for r in xs) - m*(m-1)//2  # ranks 0-based: U = sum - m(m-1)/2
        counts[u] = counts.get(u, 0) + 1
    return counts

def exact_p(x, y):
    m, n = len(x), len(y)
    u = sum(1 for a in x for b in y if a > b)
    umin = min(u, m*n-u)
    c = null_counts(m, n); total = sum(c.values())
    le = sum(v for k, v in c.items() if k <= umin)
    return u, min(Fraction(1), 2*Fraction(le, total))

def normal_p(x, y):
    m, n = len(x), len(y); N = m+n
    pooled = sorted(x+y)
    # midranks
    ranks = {}
    i = 0
    while i < N:
        j = i
        while j+1 < N and pooled[j+1] == pooled[i]: j += 1
        ranks[pooled[i]] = (i+j)/2 + 1
        i = j+1
    r1 = sum(ranks[a] for a in x)
    u1 = r1 - m*(m+1)/2
    ties = {}
    for v in pooled: ties[v] = ties.get(v, 0)+1
    tie = sum(t**3-t for t in ties.values())
    sd = math.sqrt(m*n/12*((N+1) - tie/(N*(N-1))))
    U = max(u1, m*n-u1)
    z = (U - m*n/2 - 0.5)/sd
    return u1, min(1.0, math.erfc(z/math.sqrt(2)))

def moses(x, y, conf):
    m, n = len(x), len(y)
    d = sorted(math.log(b)-math.log(a) for a in x for b in y)
    c = null_counts(m, n); total = sum(c.values())
    half = (1-conf)/2
    cum = 0; k = 0
    for u in range(m*n+1):
        cum += c.get(u, 0)
        if Fraction(cum, total) <= Fraction(half).limit_denominator(10**12): k = u+1
        else: break
    k = max(k, 1)
    hl = median(d)
    return math.exp(hl), math.exp(d[k-1]), math.exp(d[m*n-k])

def bh(p):
    m = len(p); order = sorted(range(m), key=lambda i: p[i]); q = [0]*m
    for rank, i in enumerate(order, 1):
        q[i] = min(1.0, min(p[order[j-1]]*m/j for j in range(rank, m+1)))
    return q

def bc(v):
    n = len(v); mu = sum(v)/n
    m2 = sum((a-mu)**2 for a in v)/n; m3 = sum((a-mu)**3 for a in v)/n; m4 = sum((a-mu)**4 for a in v)/n
    g1 = m3/m2**1.5; g2 = m4/m2**2-3
    s = math.sqrt(n*(n-1))/(n-2)*g1; k = (n-1)/((n-2)*(n-3))*((n+1)*g2+6)
    return (s*s+1)/(k+3*(n-1)**2/((n-2)*(n-3)))

v = [12.0, 10.5, 11.2, 13.9, 10.1, 30.0, 11.7, 12.4]
print("median", median(v), "q25", quantile7(v, .25), "q90", quantile7(v, .9))
mad = median([abs(a-median(v)) for a in v]); print("mad", mad)
mean = sum(v)/len(v); sd = math.sqrt(sum((a-mean)**2 for a in v)/(len(v)-1)); print("cv %.17g" % (sd/mean))
print("bc %.17g" % bc(v))
print("modz(30.0) %.17g" % (0.6745*(30.0-median(v))/mad))

x = [1.10, 1.32, 0.98, 1.05, 1.21, 1.17]
y = [1.25, 1.40, 1.31, 1.52, 1.19, 1.44, 1.36]
u, p = exact_p(x, y); print("exact U", u, "p", p, "%.17g" % float(p))
print("moses95 %.17g %.17g %.17g" % moses(x, y, 0.95))
xt = [3, 4, 4, 5, 6, 6, 6, 7, 8, 9, 10, 10]
yt = [5, 6, 7, 7, 8, 9, 9, 10, 11, 12, 12, 13, 14]
print("normal-approximation ties U %s p %.17g (the test now uses the exact path)" % normal_p(xt, yt))

def tied_exact_p(x, y):
    """Permutation p given the tie pattern: every size-m subset of the
    pooled midranks, counted (C(25, 12) = 5.2M subsets here: a few seconds)."""
    pooled = x + y
    s = sorted(pooled)
    rank = {v: (s.index(v) + len(s) - s[::-1].index(v) - 1) / 2 + 1 for v in s}
    ranks = [rank[v] for v in pooled]
    obs = sum(rank[v] for v in x)
    lo = hi = tot = 0
    for c in itertools.combinations(range(len(pooled)), len(x)):
        t = sum(ranks[i] for i in c)
        tot += 1; lo += t <= obs; hi += t >= obs
    return min(lo, hi), tot, min(Fraction(1), 2 * Fraction(min(lo, hi), tot))
print("exact ties tail %d of %d, p %s" % tied_exact_p(xt, yt))
print("exact ties quantized tail %d of %d, p %s" % tied_exact_p([100, 100, 101, 100, 101], [101, 101, 102, 101, 101]))
for n in (3, 4, 5, 6):
    print("smallest p n=%d %.17g" % (n, 2/math.comb(2*n, n)))
# cdf of U for m=4, n=5 at u=3 by enumeration
c = null_counts(4, 5); print("cdf(4,5,3) = %d/%d" % (sum(v for k, v in c.items() if k <= 3), math.comb(9, 4)))
pv = [0.01, 0.04, 0.03, 0.20, 0.005]
print("bh", ["%.17g" % a for a in bh(pv)])
h = sum(1/i for i in range(1, 6)); print("by", ["%.17g" % min(1.0, a*h) for a in bh(pv)])

# Large samples (n_b + n_c > 50): normal approximation for p and for the
# Moses rank k = floor(mn/2 - z_{0.975} sqrt(mn(m+n+1)/12)).
xl = [100 + ((i * 37) % 29) * 0.25 for i in range(30)]
yl = [101 + ((i * 41) % 31) * 0.25 for i in range(31)]
print("large normal U %s p %.17g" % normal_p(xl, yl))
m, n = len(xl), len(yl)
d = sorted(math.log(b) - math.log(a) for a in xl for b in yl)
k = math.floor(m*n/2 - 1.959963984540054 * math.sqrt(m*n*(m+n+1)/12))
print("large moses k", k, "hl %.17g lo %.17g hi %.17g" % (math.exp(median(d)), math.exp(d[k-1]), math.exp(d[m*n-k])))
