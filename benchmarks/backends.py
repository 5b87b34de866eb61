"""Numba against JAX for a system-dynamics batch kernel shaped like ours, side by side.

    python benchmarks/backends.py [--quick]      (needs numba and jax; jax is not a dependency
    of sdecon: `pip install jax` in a separate environment)

Self-contained: it does not import sdecon. One step definition (STEP, Python source in
scalar form) is instantiated twice:

  (A) numba  @njit(cache=False, error_model="numpy"): one run at a time, all state in scalar
      locals, the time loop inside; `for r in prange(n)` (parallel=True) and a serial `range`.
  (B) JAX    jax.lax.scan over time steps, every variable an array over the batch of runs,
      jax.jit, float64 (jax_enable_x64). Conditional expressions `a if c else b` in STEP are
      rewritten to jnp.where(c, a, b); exp/log/min/max become jnp.exp/log/minimum/maximum.

The kernel: 11 stocks integrated by Euler (s = s + flow * dt), dt = 1/128 yr, 2015-2050
(4,480 steps), 36 yearly rows of 13 saved variables, ~50 constants and 4 parameters that vary
per run. Per step it counts (and prints) its exp/log calls and other floating-point operations.

Prints the import time of jax and numba (fresh interpreters), the first-call (compile) time and
the steady-state wall time (median of 3) for batches of 1 and 32 runs to 2025 (1,280 steps) and
10,000 runs to 2050 (4,480 steps), after asserting that all backends agree to 1e-9 relative on
every saved row. --quick: 2,000 instead of 10,000 runs and one timed repeat;
--threading-layer: numba's layer for prange (on this shared 2-core box "omp", numba's default
pick, at times added a flat ~8 ms to every prange call; "workqueue" did not).
"""
from __future__ import annotations

import argparse
import ast
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

DT = 1.0 / 128
T_START = 2015.0
RTOL = 1e-9

# ---------------------------------------------------------------------------------------------
# The model: one definition of the step arithmetic. Plain Python on scalars; names are stocks,
# constants, per-run parameters, `t` (time, years) and locals. Rules so that it maps onto both
# backends: only exp/log/min/max calls (two-argument min/max), conditionals only as
# `a if c else b` with a single comparison as c, and both branches must be finite (JAX
# evaluates both). Every stock S needs a flow d_S.
STEP = """
yr = t - 2015.0
# technology
d_A = A * tfp_g * exp(-tfp_decay * yr)
# energy system: fossil availability, costs, learning curve, carbon tax
E = Ef + Er
scarcity = R / R_init
avail = min(1.0, scarcity / scar_floor)
E_used = Ef * avail + Er
fossil_cost = fc0 * exp(fc_scar * (1.0 - scarcity))
renew_cost = rc0 * exp(-lr * log(Er / Er_init))
carbon_tax = tax0 * exp(tax_g * (t - tax_start)) if t >= tax_start else 0.0
fossil_full = fossil_cost + carbon_tax * ef_int
energy_price = (Ef * fossil_full + Er * renew_cost) / E
# production: Cobb-Douglas in log form, climate damage, drag of (smoothed) energy prices
damage = exp(-d2 * T * T)
price_drag = exp(-price_el * log(Pe / Pe_init))
Y = exp(log(y_scale * A) + alpha * log(K) + beta * log(L) + gam * log(E_used)) * (damage * price_drag)
# demography: growth slows with time and income
d_L = L * pop_g * exp(-pop_decay * yr - pop_inc * log(Y / L))
# government: interest spread above a debt threshold, capped
rate = min(r0 + spread * (D / Y - debt_th), rate_cap) if D > debt_th * Y else r0
emis = Ef * avail * ef_int
d_D = rate * D + (gov_share - tax_rate) * Y - carbon_tax * emis
d_K = sav * Y - delta * K
# energy investment: demand gap, logit split between fossil and renewable, fossil phase-out
gap = e_int0 * exp(-aeei * yr) * Y - E_used
retire_f = Ef / life_f * phase_k if t >= phase_out else Ef / life_f
retire_r = Er / life_r
new_cap = max(gap, 0.0) / tau_build + retire_f + retire_r
sr = 1.0 / (1.0 + exp(logit_k * (renew_cost - fossil_full) / energy_price))
d_Er = new_cap * sr - retire_r
d_Ef = new_cap * (1.0 - sr) - retire_f
d_R = -Ef * avail
# carbon cycle with a warming feedback on uptake, two-box temperature, price smoothing
d_C = emis - (C - C_pre) / (tau_c * exp(cc_fb * T))
forcing = F2x * log(C / C_pre) * inv_ln2 + f_other * (1.0 - exp(-yr / tau_other))
heat_flow = gamma_ht * (T - To)
d_T = (forcing - F2x / ecs * T - heat_flow) / heat_cap
d_To = heat_flow / deep_cap
d_Pe = (energy_price - Pe) / tau_p
"""

# Stocks and their initial-value constants.
STOCKS = [
    ("K", "K_init"), ("L", "L_init"), ("A", "A_init"), ("Ef", "Ef_init"), ("Er", "Er_init"),
    ("R", "R_init"), ("C", "C_init"), ("T", "T_init"), ("To", "To_init"), ("D", "D_init"),
    ("Pe", "Pe_init"),
]
SAVED = [s for s, _ in STOCKS] + ["Y", "emis"]

CONSTANTS = {
    # initial values of the stocks
    "K_init": 300.0, "L_init": 7.4, "A_init": 1.0, "Ef_init": 13.0, "Er_init": 1.5,
    "R_init": 1000.0, "C_init": 850.0, "T_init": 1.0, "To_init": 0.1, "D_init": 60.0,
    "Pe_init": 1.0,
    # production, capital, demography, technology
    "alpha": 0.3, "beta": 0.6, "gam": 0.1, "y_scale": 3.3, "delta": 0.05, "price_el": 0.05,
    "pop_g": 0.0127, "pop_decay": 0.03, "pop_inc": 0.1, "tfp_decay": 0.01,
    # energy
    "e_int0": 0.18, "aeei": 0.01, "scar_floor": 0.6, "fc0": 1.0, "fc_scar": 1.5, "rc0": 2.0,
    "tax_start": 2025.0, "tax0": 0.05, "tax_g": 0.05, "ef_int": 0.75, "logit_k": 3.0,
    "tau_build": 3.0, "life_f": 35.0, "life_r": 25.0, "phase_out": 2035.0, "phase_k": 1.5,
    "tau_p": 2.0,
    # climate
    "C_pre": 590.0, "tau_c": 150.0, "cc_fb": 0.05, "F2x": 3.7, "inv_ln2": 1 / math.log(2.0),
    "f_other": 0.5, "tau_other": 20.0,
    "heat_cap": 8.0, "deep_cap": 100.0, "gamma_ht": 0.7, "d2": 0.0023,
    # government
    "r0": 0.02, "spread": 0.02, "debt_th": 0.6, "rate_cap": 0.08, "tax_rate": 0.205,
    "gov_share": 0.2,
}
# Parameters that vary per run: (name, low, high), drawn uniformly.
VARYING = [("sav", 0.18, 0.26), ("tfp_g", 0.008, 0.016), ("lr", 0.15, 0.45), ("ecs", 2.0, 4.5)]

# ---------------------------------------------------------------------------------------------


def count_ops(src: str) -> tuple[int, int, int, int]:
    """(exp/log calls, other float operations, conditionals, float operations of Euler) per step."""
    transcendental = other = conditionals = 0
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call):
            if node.func.id in ("exp", "log"):
                transcendental += 1
            else:  # min / max
                other += 1
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            other += 1
        elif isinstance(node, ast.IfExp):
            conditionals += 1
    return transcendental, other, conditionals, 2 * len(STOCKS) + 1  # s = s + flow * dt, t = t + dt


def numba_kernel(parallel: bool):
    """Compile-on-first-call numba dispatcher for the batch, generated from STEP."""
    import numba

    body = textwrap.indent(STEP.strip(), " " * 12)
    lines = ["def kernel(P, V, n_steps, save_every, out):", "    n = V.shape[0]"]
    lines += [f"    {name} = P[{i}]" for i, name in enumerate(CONSTANTS)]
    lines.append(f"    for r in {'prange' if parallel else 'range'}(n):")
    lines += [f"        {name} = V[r, {j}]" for j, (name, _, _) in enumerate(VARYING)]
    lines += [f"        {s} = {init}" for s, init in STOCKS]
    lines += [f"        t = {T_START!r}", "        row = 0", "        for k in range(n_steps + 1):", body]
    lines.append("            if k % save_every == 0:")
    lines += [f"                out[r, row, {i}] = {v}" for i, v in enumerate(SAVED)]
    lines.append("                row += 1")
    lines += [f"            {s} = {s} + d_{s} * {DT!r}" for s, _ in STOCKS]
    lines.append(f"            t = t + {DT!r}")
    namespace = {"exp": math.exp, "log": math.log, "prange": numba.prange}
    exec(compile("\n".join(lines) + "\n", f"<numba kernel parallel={parallel}>", "exec"), namespace)
    kernel = numba.njit(parallel=parallel, cache=False, error_model="numpy")(namespace["kernel"])

    def run(P, V, n_steps, save_every):
        out = np.empty((V.shape[0], n_steps // save_every + 1, len(SAVED)))
        kernel(P, V, n_steps, save_every, out)
        return out  # (runs, rows, variables)

    return run


class _IfExpToWhere(ast.NodeTransformer):
    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.Call(ast.Name("where", ast.Load()), [node.test, node.body, node.orelse], [])


def jax_kernel():
    """run(P, V, n_steps, save_every) with one jax.jit function per (n_steps, save_every)."""
    import jax
    import jax.numpy as jnp

    tree = ast.fix_missing_locations(_IfExpToWhere().visit(ast.parse(STEP)))
    body = textwrap.indent(ast.unparse(tree), " " * 12)
    stocks = ", ".join(s for s, _ in STOCKS)
    lines = ["def make(n_rows, save_every):", "    def run(P, V):", "        n = V.shape[0]"]
    lines += [f"        {name} = P[{i}]" for i, name in enumerate(CONSTANTS)]
    lines += [f"        {name} = V[:, {j}]" for j, (name, _, _) in enumerate(VARYING)]
    lines += ["        def flows(state, t):", f"            {stocks}, = state", body,
              f"            return ({', '.join('d_' + s for s, _ in STOCKS)},), ({', '.join(SAVED)},)"]
    lines += textwrap.indent(textwrap.dedent(f"""
        def advance(state, t):
            d, saved = flows(state, t)
            return tuple(s + f * {DT!r} for s, f in zip(state, d)), t + {DT!r}, saved
        def substep(carry, _):
            state, t, _s = advance(*carry)
            return (state, t), None
        def year(carry, _):
            state, t, saved = advance(*carry)
            (state, t), _ = lax.scan(substep, (state, t), None, length=save_every - 1)
            return (state, t), jnp.stack(saved)
        state0 = ({', '.join(f'jnp.zeros(n) + {init}' for _, init in STOCKS)},)
        (state, t), rows = lax.scan(year, (state0, jnp.float64({T_START!r})), None, length=n_rows - 1)
        _d, last = flows(state, t)
        return jnp.concatenate([rows, jnp.stack(last)[None]], axis=0)  # (rows, variables, runs)
    return jax.jit(run)
    """), "    ").splitlines()
    namespace = {"jnp": jnp, "lax": jax.lax, "jax": jax, "exp": jnp.exp, "log": jnp.log,
                 "min": jnp.minimum, "max": jnp.maximum, "where": jnp.where}
    exec(compile("\n".join(lines) + "\n", "<jax kernel>", "exec"), namespace)
    make = namespace["make"]
    jitted = {}

    def run(P, V, n_steps, save_every):
        key = (n_steps, save_every)
        if key not in jitted:
            jitted[key] = make(n_steps // save_every + 1, save_every)
        out = jitted[key](P, V)
        out.block_until_ready()
        return np.asarray(out).transpose(2, 0, 1)  # (runs, rows, variables)

    return run


def import_seconds(module: str, repeats: int) -> float:
    child = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                             check=True).stdout) for _ in range(repeats))


def folder_mb(module: str) -> float:
    import importlib.util

    spec = importlib.util.find_spec(module)
    root = os.path.dirname(spec.origin)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 instead of 10,000 runs, 1 repeat")
    parser.add_argument("--threading-layer", default="default", choices=["default", "omp", "workqueue", "tbb"],
                        help="numba threading layer for prange (numba's own choice unless set)")
    args = parser.parse_args()
    big = 2_000 if args.quick else 10_000
    repeats = 1 if args.quick else 3
    per_year = round(1 / DT)
    cases = [(1, 10 * per_year), (32, 10 * per_year), (big, 35 * per_year)]  # (runs, steps)

    # imports, each in a fresh interpreter, then here
    imp = {m: import_seconds(m, repeats) for m in ("numba", "jax")}
    import jax

    jax.config.update("jax_enable_x64", True)
    import numba

    numba.config.THREADING_LAYER = args.threading_layer
    start = time.perf_counter()
    jax.numpy.zeros(1).block_until_ready()
    jax_runtime = time.perf_counter() - start

    P = np.array(list(CONSTANTS.values()), dtype=np.float64)
    rng = np.random.default_rng(0)
    lo, hi = np.array([v[1] for v in VARYING]), np.array([v[2] for v in VARYING])
    V_all = lo + (hi - lo) * rng.random((big, len(VARYING)))
    V_all[0] = (lo + hi) / 2  # run 0: the midpoint

    backends = {
        "numba prange (parallel)": numba_kernel(parallel=True),
        "numba range (serial)": numba_kernel(parallel=False),
        "jax lax.scan + jit": jax_kernel(),
    }

    # 1. first calls: compile (numba once per backend, jax once per shape) + one run
    first, outputs = {}, {}
    for name, run in backends.items():
        for n, steps in cases:
            start = time.perf_counter()
            outputs[name, n] = run(P, V_all[:n], steps, per_year)
            first[name, n] = time.perf_counter() - start

    # 2. agreement of every saved row of every case before any steady-state timing
    ref = "numba prange (parallel)"
    worst = {}
    for name in backends:
        for n, _ in cases:
            a, b = outputs[ref, n], outputs[name, n]
            assert a.shape == b.shape and np.isfinite(a).all(), (name, n, a.shape, b.shape)
            rel = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
            worst[name] = max(worst.get(name, 0.0), float(rel.max()))
            assert rel.max() <= RTOL, f"{name} vs {ref}, {n} runs: max relative difference {rel.max():.3g}"
    del outputs

    # 3. steady state
    steady = {}
    for name, run in backends.items():
        for n, steps in cases:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run(P, V_all[:n], steps, per_year)
                times.append(time.perf_counter() - start)
            steady[name, n] = statistics.median(times)

    tr, other, cond, euler = count_ops(STEP)
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__} "
          f"({numba.config.NUMBA_NUM_THREADS} threads, {numba.threading_layer()} layer), jax/jaxlib {jax.__version__} "
          f"({jax.devices()[0].platform}), {os.cpu_count()} cores")
    print(f"kernel: {len(STOCKS)} stocks, {len(SAVED)} saved variables, {len(CONSTANTS)} constants + "
          f"{len(VARYING)} per run; per step {tr} exp/log, {other} other float ops + {euler} for Euler, "
          f"{cond} conditionals; "
          f"dt = 1/{per_year}")
    print(f"agreement with numba prange on all saved rows: "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items() if k != ref) + f" (limit {RTOL:g})")
    print(f"import in a fresh interpreter: numba {imp['numba']:.2f} s, jax {imp['jax']:.2f} s; "
          f"jax CPU runtime start {jax_runtime:.2f} s")
    sizes = {m: folder_mb(m) for m in ("jax", "jaxlib", "numba", "llvmlite")}
    print("installed size: " + ", ".join(f"{m} {mb:.0f} MB" for m, mb in sizes.items()))
    print()
    hdr = (f"{'backend':26s} {'runs':>6s} {'steps':>6s} {'first call s':>13s} "
           f"{'steady s':>10s} {'ns/run-step':>12s} {'runs/s':>10s}")
    print(hdr)
    print("-" * len(hdr))
    for name in backends:
        for n, steps in cases:
            s = steady[name, n]
            print(f"{name:26s} {n:6d} {steps:6d} {first[name, n]:13.3f} {s:10.4f} "
                  f"{s / (n * steps) * 1e9:12.1f} {n / s:10.1f}")
    print(f"(steady = median of {repeats}; first call = compile + one run: numba compiles once per "
          f"backend, jax once per batch shape and horizon)")
    print()

    jx = "jax lax.scan + jit"
    fastest = {n: min(backends, key=lambda b: steady[b, n]) for n, _ in cases}
    ratios = ", ".join(f"{n:,} runs {steady[jx, n] / steady[ref, n]:.2g}x" for n, _ in cases)
    compile_numba = first[ref, 1] - steady[ref, 1]
    compile_jax = statistics.median(first[jx, n] - steady[jx, n] for n, _ in cases)
    print(f"conclusion: fastest is {fastest[1]} for 1 run and {fastest[big]} for {big:,} runs "
          f"(jax time / numba-prange time: {ratios}); compile ~{compile_numba:.1f} s numba prange once "
          f"vs ~{compile_jax:.1f} s jax per batch shape; jax+jaxlib {sizes['jax'] + sizes['jaxlib']:.0f} MB "
          f"on top of numba+llvmlite {sizes['numba'] + sizes['llvmlite']:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
