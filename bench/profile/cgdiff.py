# Per-statement instructions by function: the difference of two callgrind profiles (N1 and N2 executions) over
# N2 - N1. Inclusive by default; "self" for exclusive counts. Used by bench/profile/callgrind.sh.
import sys, subprocess, re
def load(path, inclusive):
    out = subprocess.run(['callgrind_annotate', '--inclusive=' + ('yes' if inclusive else 'no'), '--threshold=100', path], capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+) \([^)]*\)\s+(.*)$', line)
        if m and 'PROGRAM TOTALS' not in line:
            d[m.group(2)] = d.get(m.group(2), 0) + int(m.group(1).replace(',', ''))
    tot = re.search(r'([\d,]+) \(100.0%\)\s+PROGRAM TOTALS', out)
    return d, int(tot.group(1).replace(',', ''))
a_path, b_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
inc = len(sys.argv) < 5 or sys.argv[4] != 'self'
limit = int(sys.argv[5]) if len(sys.argv) > 5 else 70
a, ta = load(a_path, inc); b, tb = load(b_path, inc)
print(f'per statement total: {(tb - ta) / n:,.0f} Ir')
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / n, k) for k in set(a) | set(b))
rows.reverse()
for v, k in rows[:limit]:
    if v > 0: print(f'{v:12,.0f}  {k[:150]}')
