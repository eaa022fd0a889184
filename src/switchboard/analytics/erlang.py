"""Erlang B, C and A: exact queueing formulas for staffing, free of overflow at any load.

Reference: `reference/performance.md` §1. Erlang C (M/M/N) is the classic formula through the
Erlang B recursion (the factorial form overflows a float by A = 500). Erlang A (M/M/N+M: callers
abandon after an exponential patience of mean 1/θ) is the exact birth-death solution, summed in
log space and truncated where the tail is below e^-40 of the largest term.

Erlang A's waiting times are exact too. A caller who finds all N agents busy and j callers ahead
reaches an agent after V = a sum of independent exponentials of rates Nμ + iθ, i = 0..j (each
step is a service completion or an abandonment ahead), unless its own patience τ runs out first.
From that:

- P(served | j) = E[e^(-θV)] = Nμ / (Nμ + (j+1)θ) (the product telescopes);
- E[V; served | j] = P(served | j) · Σ_{i=0..j} 1 / (Nμ + (i+1)θ);
- V's density is θ·(x)_(j+1)/j! · e^(-Nμv)·(1 - e^(-θv))^j with x = Nμ/θ, so with
  u = 1 - e^(-θt), P(V > t | j) is a negative binomial sum: Σ_{k=0..j} Γ(k+x)/(Γ(x)·k!)·u^k·(1-u)^x,
  and on the served callers (V tilted by e^(-θV)) the same with x + 1.

These give the service level in each of its usual meanings (answered within t over all callers,
over the served ones, and Amazon Connect's answered-or-abandoned within t) as finite sums of
positive terms, with no numerical integration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = [
    "RATE_FORMS",
    "TARGET_FORMS",
    "ErlangA",
    "ErlangC",
    "StaffingRow",
    "StaffingTable",
    "default_max_agents",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "parse_rate",
    "parse_target",
    "staffing_lines",
    "staffing_table",
]

_TAIL = 40.0
"""Erlang A's waiting line ends once the rest of it weighs less than e^-40 of its largest term."""

_MAX_WAITING_STATES = 1_000_000
"""An overloaded queue with very patient callers has a very long waiting line; past this, refuse."""


def _check(rate_per_s: float, aht_s: float, agents: int) -> None:
    if not math.isfinite(rate_per_s) or rate_per_s < 0:
        raise ValueError(f"arrival rate must be a finite number ≥ 0 per second, got {rate_per_s}")
    if not math.isfinite(aht_s) or aht_s <= 0:
        raise ValueError(f"average handle time must be a finite number > 0 s, got {aht_s}")
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")


def _check_wait(t_s: float) -> None:
    if not t_s >= 0:  # also refuses NaN
        raise ValueError(f"a service-level threshold must be ≥ 0 s, got {t_s}")


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability of M/M/N/N with `load` erlangs, by the recursion
    B₀ = 1, B_k = A·B_(k-1) / (k + A·B_(k-1)), which never overflows."""
    if load < 0 or agents < 0:
        raise ValueError(f"load and agents must be ≥ 0, got {load} and {agents}")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


# --- Erlang C ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ErlangC:
    """M/M/N with infinitely patient callers. An unstable load (A ≥ N) has p_wait 1, infinite
    waits and queue, occupancy 1 and service level 0: the queue grows without bound."""

    rate_per_s: float
    aht_s: float
    agents: int
    load: float
    """Offered load A = λ·AHT, in erlangs."""
    stable: bool
    p_wait: float
    """C(N, A): the probability that a caller waits at all."""
    asa_s: float
    """Average speed of answer: mean wait over all callers, C·AHT/(N - A)."""
    avg_queue_length: float
    """Mean number of callers waiting, C·A/(N - A)."""
    occupancy: float
    """A/N: the fraction of agent time spent handling contacts (1 when unstable)."""

    def service_level(self, t_s: float) -> float:
        """P(wait ≤ t) = 1 - C·exp(-(N - A)·t/AHT)."""
        _check_wait(t_s)
        if not self.stable:
            return 0.0
        return 1.0 - self.p_wait * math.exp(-(self.agents - self.load) * t_s / self.aht_s)


def erlang_c(rate_per_s: float, aht_s: float, agents: int) -> ErlangC:
    """Erlang C for `rate_per_s` callers a second, mean handle time `aht_s`, `agents` agents."""
    _check(rate_per_s, aht_s, agents)
    load = rate_per_s * aht_s
    if load >= agents:
        return ErlangC(
            rate_per_s=rate_per_s,
            aht_s=aht_s,
            agents=agents,
            load=load,
            stable=False,
            p_wait=1.0,
            asa_s=math.inf,
            avg_queue_length=math.inf,
            occupancy=1.0,
        )
    return _erlang_c(rate_per_s, aht_s, agents, erlang_b(load, agents))


def _erlang_c(rate_per_s: float, aht_s: float, agents: int, b: float) -> ErlangC:
    """Erlang C of a stable load from its Erlang B value `b` = B(N, A)."""
    load = rate_per_s * aht_s
    c = agents * b / (agents - load * (1.0 - b))
    spare = agents - load
    return ErlangC(
        rate_per_s=rate_per_s,
        aht_s=aht_s,
        agents=agents,
        load=load,
        stable=True,
        p_wait=c,
        asa_s=c * aht_s / spare,
        avg_queue_length=c * load / spare,
        occupancy=load / agents,
    )


# --- Erlang A ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ErlangA:
    """M/M/N+M: callers abandon after an exponential patience of mean `patience_s`.

    Always stable. Averages "over all callers" count abandoned callers with the time they waited.
    """

    rate_per_s: float
    aht_s: float
    agents: int
    patience_s: float
    load: float
    """Offered load A = λ·AHT, in erlangs (the carried load is A·(1 - p_abandon))."""
    p_wait: float
    """P(W > 0): the probability that a caller finds every agent busy (PASTA)."""
    p_abandon: float
    """θ·E[Q]/λ: the fraction of callers who hang up before reaching an agent."""
    avg_queue_length: float
    """E[Q]: mean number of callers waiting."""
    avg_time_in_queue_s: float
    """E[Q]/λ (Little): mean time in queue over all callers, served or abandoned."""
    asa_s: float
    """Mean wait of the callers who reach an agent (zero waits included)."""
    occupancy: float
    """λ·(1 - p_abandon)·AHT/N: the fraction of agent time spent handling contacts."""
    waiting_distribution: tuple[float, ...] = field(repr=False)
    """P(a caller finds all agents busy and j callers waiting), j = 0, 1, … (truncated)."""

    def service_level(self, t_s: float) -> float:
        """Callers answered within t over all callers: P(served and wait ≤ t).

        Abandoned callers count against it, whenever they hung up. This is the staffing target.
        """
        _check_wait(t_s)
        served_waiting = self._served_waiting_within(t_s)
        return min(1.0, (1.0 - self.p_wait) + served_waiting)

    def service_level_of_served(self, t_s: float) -> float:
        """P(wait ≤ t | served): callers answered within t over callers answered."""
        served = 1.0 - self.p_abandon
        return min(1.0, self.service_level(t_s) / served) if served > 0 else 0.0

    def removed_within(self, t_s: float) -> float:
        """P(min(V, τ) ≤ t): callers answered *or abandoned* within t over all callers, Amazon
        Connect's SERVICE_LEVEL ("removed from queue"; DESIGN §6 keeps it out of Erlang checks)."""
        _check_wait(t_s)
        if t_s == 0:
            return 1.0 - self.p_wait
        mu_n = self.agents / self.aht_s
        theta = 1.0 / self.patience_s
        tails = _negative_binomial_cdfs(mu_n / theta, theta * t_s, len(self.waiting_distribution))
        still_waiting = math.fsum(
            q * s for q, s in zip(self.waiting_distribution, tails, strict=True)
        )
        return max(0.0, 1.0 - math.exp(-theta * t_s) * still_waiting)

    def abandoned_within(self, t_s: float) -> float:
        """P(abandoned and wait ≤ t) over all callers."""
        return max(0.0, self.removed_within(t_s) - self.service_level(t_s))

    def _served_waiting_within(self, t_s: float) -> float:
        if t_s == 0:
            return 0.0
        mu_n = self.agents / self.aht_s
        theta = 1.0 / self.patience_s
        x = mu_n / theta
        tails = _negative_binomial_cdfs(x + 1.0, theta * t_s, len(self.waiting_distribution))
        return math.fsum(
            q * (x / (x + j + 1)) * max(0.0, 1.0 - tail)
            for j, (q, tail) in enumerate(zip(self.waiting_distribution, tails, strict=True))
        )


def _negative_binomial_cdfs(shape: float, theta_t: float, count: int) -> list[float]:
    """Σ_{k=0..j} Γ(k+shape)/(Γ(shape)·k!)·u^k·(1-u)^shape for j = 0..count-1, u = 1 - e^(-θt).

    Each term is formed from its logarithm, so e^(-Nμt) may underflow without losing later terms.
    """
    u = -math.expm1(-theta_t)
    if u == 0:  # t so small that θt underflows: nobody waiting is reached yet
        return [1.0] * count
    log_u = math.log(u)
    log_term = -shape * theta_t  # log((1 - u)^shape)
    total = 0.0
    sums: list[float] = []
    for k in range(count):
        if k:
            log_term += log_u + math.log(k - 1 + shape) - math.log(k)
        total += math.exp(log_term)
        sums.append(min(1.0, total))
    return sums


def erlang_a(rate_per_s: float, aht_s: float, agents: int, patience_s: float) -> ErlangA:
    """Erlang A for `rate_per_s` callers a second, handle time `aht_s`, `agents` agents and an
    exponential patience of mean `patience_s` (exact birth-death solution, log-space sums)."""
    _check(rate_per_s, aht_s, agents)
    if not (math.isfinite(patience_s) and patience_s > 0):
        raise ValueError(
            f"patience must be a finite number > 0 s (infinite patience is Erlang C), "
            f"got {patience_s}"
        )
    load = rate_per_s * aht_s
    if rate_per_s == 0:
        return ErlangA(
            rate_per_s=rate_per_s,
            aht_s=aht_s,
            agents=agents,
            patience_s=patience_s,
            load=0.0,
            p_wait=0.0,
            p_abandon=0.0,
            avg_queue_length=0.0,
            avg_time_in_queue_s=0.0,
            asa_s=0.0,
            occupancy=0.0,
            waiting_distribution=(),
        )
    lam = rate_per_s
    mu_n = agents / aht_s
    theta = 1.0 / patience_s
    log_load = math.log(load)
    # π_n ∝ A^n/n! for n ≤ N; π_(N+j) = π_(N+j-1)·λ/(Nμ + jθ). All kept as logarithms.
    below = [n * log_load - math.lgamma(n + 1) for n in range(agents)]
    log_term = agents * log_load - math.lgamma(agents + 1)
    waiting = [log_term]
    top = max(max(below, default=log_term), log_term)
    log_lam = math.log(lam)
    j = 0
    while True:
        j += 1
        if j > _MAX_WAITING_STATES:
            raise ValueError(
                f"the waiting line of {agents} agents at {load:.4g} erlangs with a patience of "
                f"{patience_s:g} s exceeds {_MAX_WAITING_STATES:,} states; shorten the patience"
            )
        log_term += log_lam - math.log(mu_n + j * theta)
        waiting.append(log_term)
        top = max(top, log_term)
        ratio = lam / (mu_n + (j + 1) * theta)
        # Later terms shrink by at least `ratio` each, so the rest is below term/(1 - ratio).
        if ratio < 1 and log_term - math.log1p(-ratio) < top - _TAIL:
            break
    scale = math.fsum(math.exp(v - top) for v in below) + math.fsum(
        math.exp(v - top) for v in waiting
    )
    q = tuple(math.exp(v - top) / scale for v in waiting)
    p_wait = math.fsum(q)
    queue = math.fsum(k * qk for k, qk in enumerate(q))
    p_abandon = theta * queue / lam
    # E[wait; served] = Σ_j q_j · P(served | j) · Σ_{i=0..j} 1/(Nμ + (i+1)θ)
    harmonic = 0.0
    served_wait: list[float] = []
    for k, qk in enumerate(q):
        harmonic += 1.0 / (mu_n + (k + 1) * theta)
        served_wait.append(qk * mu_n / (mu_n + (k + 1) * theta) * harmonic)
    served = 1.0 - p_abandon
    return ErlangA(
        rate_per_s=rate_per_s,
        aht_s=aht_s,
        agents=agents,
        patience_s=patience_s,
        load=load,
        p_wait=p_wait,
        p_abandon=p_abandon,
        avg_queue_length=queue,
        avg_time_in_queue_s=queue / lam,
        asa_s=math.fsum(served_wait) / served if served > 0 else 0.0,
        occupancy=min(1.0, lam * served * aht_s / agents),
        waiting_distribution=q,
    )


# --- staffing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingRow:
    """One staffing level: what Erlang C (and, with a patience, Erlang A) predict for it."""

    agents: int
    erlang_c: ErlangC
    service_level_c: float
    erlang_a: ErlangA | None
    service_level_a: float | None
    """Erlang A's `service_level` (answered within the target time, over all callers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingTable:
    """Predictions per staffing level around the fewest agents that meet the target."""

    rate_per_s: float
    aht_s: float
    load: float
    target_sl: float
    target_t_s: float
    patience_s: float | None
    max_agents: int
    rows: tuple[StaffingRow, ...]
    required_c: int | None
    """Fewest agents whose Erlang C service level meets the target (None: not within max_agents)."""
    required_a: int | None
    """The same for Erlang A (None without a patience, or not within max_agents)."""


def default_max_agents(load: float) -> int:
    """How far `staffing_table` searches when not told: A + 10·√A + 20 agents."""
    return math.ceil(load + 10.0 * math.sqrt(load) + 20.0)


_ROW_SPAN = 3
"""A staffing table shows the levels within this many agents of each model's answer."""


def staffing_table(
    rate_per_s: float,
    aht_s: float,
    target_sl: float,
    target_t_s: float,
    *,
    patience_s: float | None = None,
    max_agents: int | None = None,
) -> StaffingTable:
    """The fewest agents answering `target_sl` of callers within `target_t_s` seconds under
    Erlang C (and Erlang A when `patience_s` is given), with the rows around them.

    Rows are the levels within 3 agents of each answer (or, when no level up to `max_agents`
    meets the target, the last few). Erlang C is searched upwards with the Erlang B recursion
    carried along (O(max_agents) in all); Erlang A, whose service level rises with every agent,
    by bisection between target·A (it serves at most N/A of the callers) and Erlang C's answer.
    """
    if not 0 < target_sl < 1:
        raise ValueError(f"target service level must be between 0 and 1, got {target_sl}")
    _check_wait(target_t_s)
    _check(rate_per_s, aht_s, 1)
    load = rate_per_s * aht_s
    limit = default_max_agents(load) if max_agents is None else max_agents
    if limit < 1:
        raise ValueError(f"max_agents must be at least 1, got {limit}")
    required_c: int | None = None
    b = 1.0
    for n in range(1, limit + 1):
        b = load * b / (n + load * b)
        if n > load and _erlang_c(rate_per_s, aht_s, n, b).service_level(target_t_s) >= target_sl:
            required_c = n
            break
    required_a: int | None = None
    a_cache: dict[int, ErlangA] = {}

    def a_at(n: int) -> ErlangA:
        assert patience_s is not None
        if n not in a_cache:
            a_cache[n] = erlang_a(rate_per_s, aht_s, n, patience_s)
        return a_cache[n]

    def a_meets(n: int) -> bool:
        return a_at(n).service_level(target_t_s) >= target_sl

    if patience_s is not None:
        low = min(limit, max(1, math.floor(target_sl * load)))
        high = required_c if required_c is not None and a_meets(required_c) else None
        if high is None:
            start = low if required_c is None else required_c + 1
            high = next((n for n in range(start, limit + 1) if a_meets(n)), None)
        if high is not None:
            while low < high:  # invariant: `high` meets the target
                middle = (low + high) // 2
                if a_meets(middle):
                    high = middle
                else:
                    low = middle + 1
            required_a = high
    found = [n for n in (required_c, required_a) if n is not None]
    shown: set[int] = set()
    for n in found or [limit - _ROW_SPAN]:
        shown.update(range(max(1, n - _ROW_SPAN), min(limit, n + _ROW_SPAN) + 1))
    rows = []
    for n in sorted(shown):
        c = erlang_c(rate_per_s, aht_s, n)
        a = a_at(n) if patience_s is not None else None
        rows.append(
            StaffingRow(
                agents=n,
                erlang_c=c,
                service_level_c=c.service_level(target_t_s),
                erlang_a=a,
                service_level_a=a.service_level(target_t_s) if a is not None else None,
            )
        )
    return StaffingTable(
        rate_per_s=rate_per_s,
        aht_s=aht_s,
        load=load,
        target_sl=target_sl,
        target_t_s=target_t_s,
        patience_s=patience_s,
        max_agents=limit,
        rows=tuple(rows),
        required_c=required_c,
        required_a=required_a,
    )


def staffing_lines(table: StaffingTable) -> list[str]:
    """The staffing table as text: a line per staffing level ("..." where levels are left out),
    then the agents each model needs."""
    t = f"{table.target_t_s:g} s"
    lines = [
        (
            f"Offered load {table.load:.2f} erlangs: {table.rate_per_s * 3600:,.6g} contacts/h "
            f"({table.rate_per_s:.4g}/s) x AHT {table.aht_s:g} s. "
            f"Target: {table.target_sl * 100:g}% answered within {t}."
        ),
        "",
    ]
    c_head = f"{'occupancy':>9} {'P(wait)':>8} {'ASA':>9} {'SL ' + t:>9}"
    c_width = len(c_head)
    if table.patience_s is None:
        lines.append(f"{'':>6}   Erlang C")
        lines.append(f"{'agents':>6}   {c_head}")
    else:
        a_head = f"{'occupancy':>9} {'P(wait)':>8} {'abandon':>8} {'ASA':>9} {'SL ' + t:>9}"
        a_title = f"Erlang A (patience {table.patience_s:g} s)"
        lines.append(f"{'':>6}   {'Erlang C':<{c_width}}   {a_title}")
        lines.append(f"{'agents':>6}   {c_head}   {a_head}")
    previous: int | None = None
    for row in table.rows:
        if previous is not None and row.agents != previous + 1:
            lines.append(f"{'...':>6}")
        previous = row.agents
        c = row.erlang_c
        if c.stable:
            c_text = (
                f"{_pct(c.occupancy):>9} {c.p_wait:>8.4f} {_secs(c.asa_s):>9} "
                f"{_pct(row.service_level_c):>9}"
            )
        else:
            c_text = f"{'unstable: the queue grows without end':<{c_width}}"
        line = f"{row.agents:>6}   {c_text}"
        marks = ["C"] if row.agents == table.required_c else []
        a = row.erlang_a
        if a is not None and row.service_level_a is not None:
            line += (
                f"   {_pct(a.occupancy):>9} {a.p_wait:>8.4f} {_pct(a.p_abandon):>8} "
                f"{_secs(a.asa_s):>9} {_pct(row.service_level_a):>9}"
            )
            if row.agents == table.required_a:
                marks.append("A")
        if marks:
            line += "  <- " + " and ".join(f"Erlang {m}" for m in marks)
        lines.append(line.rstrip())
    lines.append("")
    lines.append(_needed("Erlang C", table.required_c, table))
    if table.patience_s is not None:
        lines.append(_needed("Erlang A", table.required_a, table))
        lines.append(
            f"Erlang A's ASA is over answered callers; its SL counts callers answered within {t}"
        )
        lines.append("among all callers, so abandoned callers count against it.")
    return lines


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _secs(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.1f} s"


def _needed(model: str, agents: int | None, table: StaffingTable) -> str:
    if agents is None:
        return f"{model}: the target is not reached with up to {table.max_agents} agents."
    row = next(r for r in table.rows if r.agents == agents)
    level = row.service_level_c if model == "Erlang C" else row.service_level_a
    assert level is not None
    needed = f"{model}: {agents} agents needed ({_pct(level)} answered within "
    needed += f"{table.target_t_s:g} s"
    if model == "Erlang A" and row.erlang_a is not None:
        needed += f", {_pct(row.erlang_a.p_abandon)} abandon"
    return needed + ")."


# --- reading what people type --------------------------------------------------------------------

RATE_FORMS = "a number of contacts per hour, minute or second: 200/h, 3.3/min or 0.05/s"
TARGET_FORMS = "percent answered / seconds, e.g. 80/20 (80% within 20 s)"

_PER_SECONDS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_rate(text: str) -> float:
    """Contacts per second from "200/h", "3.3/min" or "0.05/s" (ValueError naming the forms)."""
    amount, slash, unit = text.strip().partition("/")
    number = _number(amount.strip())
    per = _PER_SECONDS.get(unit.strip().casefold())
    if not slash or number is None or per is None:
        raise ValueError(f"{text!r} is not a rate; use {RATE_FORMS}")
    if number <= 0:
        raise ValueError(f"{text!r}: the rate must be more than 0; use {RATE_FORMS}")
    return number / per


def parse_target(text: str) -> tuple[float, float]:
    """(service level as a fraction, threshold in seconds) from "80/20" ("80%/20s" also works)."""
    percent, slash, seconds = text.strip().partition("/")
    level = _number(percent.strip().removesuffix("%").strip())
    wait = _number(seconds.strip().removesuffix("s").strip())
    if not slash or level is None or wait is None:
        raise ValueError(f"{text!r} is not a target; use {TARGET_FORMS}")
    if not 0 < level < 100:
        raise ValueError(f"{text!r}: the percentage must be between 0 and 100; use {TARGET_FORMS}")
    if wait < 0:
        raise ValueError(f"{text!r}: the seconds must be 0 or more; use {TARGET_FORMS}")
    return level / 100.0, wait
