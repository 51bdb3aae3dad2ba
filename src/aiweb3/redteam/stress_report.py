"""What a stress run found: value at risk, insolvent debt, bad-debt paths, and parameter
recommendations with the runs that support them; written as JSON and Markdown, atomically."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aiweb3.files import atomic_write_json, atomic_write_text
from aiweb3.redteam.stress import StressRun
from aiweb3.redteam.stress_config import GridPoint
from aiweb3.redteam.stress_path import PathResult

__all__ = ["PointSummary", "Recommendation", "recommend", "report_dict", "summarize", "write_report"]

#: run ids listed as evidence per claim (the JSON holds every path)
MAX_RUNS = 10


@dataclass(frozen=True)
class PointSummary:
    """One grid point over all its paths (losses as shares of the lenders' supply)."""

    label: str
    collateral_factor: float
    bonus: float
    window: int
    paths: int
    var95: float
    var99: float
    es99: float  # mean loss in the worst 1% (at least the worst path)
    mean_loss: float
    insolvent_debt: float  # TUSD, summed over paths
    worst_insolvent: float  # TUSD, the worst path
    bad_debt_runs: list[str]
    liquidations: int
    lost_races: int
    attacks: int
    attack_profitable_runs: list[str]
    attack_median_profit: float
    attack_median_twap_move: float
    agent_mean_profit: dict[str, float] = field(default_factory=dict)

    @property
    def point(self) -> GridPoint:
        """The grid point."""
        return GridPoint(self.collateral_factor, self.bonus, self.window)


@dataclass(frozen=True)
class Recommendation:
    """A parameter value and the runs that support it."""

    parameter: str
    value: float
    reason: str
    runs: list[str]


def _quantile(values: list[float], q: float) -> float:
    return float(np.quantile(np.asarray(values), q, method="inverted_cdf"))


def summarize(point: GridPoint, results: list[PathResult]) -> PointSummary:
    """Value at risk (95%/99% quantiles of the lender loss), expected shortfall and the rest."""
    losses = [r.lender_loss for r in results]
    var99 = _quantile(losses, 0.99)
    tail = sorted(losses)[-max(1, len(losses) // 100) :]
    attacks = [r.attack for r in results if r.attack is not None]
    agents = sorted({name for r in results for name in r.profits})
    worst_first = sorted(results, key=lambda r: (-r.insolvent_debt, r.index))
    return PointSummary(
        label=point.label,
        collateral_factor=point.collateral_factor,
        bonus=point.bonus,
        window=point.window,
        paths=len(results),
        var95=_quantile(losses, 0.95),
        var99=var99,
        es99=statistics.fmean(tail),
        mean_loss=statistics.fmean(losses),
        insolvent_debt=round(sum(r.insolvent_debt for r in results), 6),
        worst_insolvent=max(r.insolvent_debt for r in results),
        bad_debt_runs=[r.run_id for r in worst_first if r.insolvent_debt > 0],
        liquidations=sum(r.liquidations for r in results),
        lost_races=sum(r.lost_races for r in results),
        attacks=len(attacks),
        attack_profitable_runs=[r.run_id for r in results if r.attack is not None and r.attack.profit > 0],
        attack_median_profit=statistics.median(a.profit for a in attacks) if attacks else 0.0,
        attack_median_twap_move=statistics.median(a.twap_move for a in attacks) if attacks else 0.0,
        agent_mean_profit={
            n: round(statistics.fmean(r.profits.get(n, 0.0) for r in results), 6) for n in agents
        },
    )


def _evidence(s: PointSummary) -> list[str]:
    return (s.bad_debt_runs + s.attack_profitable_runs)[:MAX_RUNS]


def _why_not(s: PointSummary, tolerance: float) -> str:
    reasons = []
    if s.var99 > tolerance:
        reasons.append(f"99% VaR {s.var99:.2%} of supply ({len(s.bad_debt_runs)} bad-debt paths)")
    if s.attack_profitable_runs:
        reasons.append(f"the oracle manipulation paid on {len(s.attack_profitable_runs)}/{s.attacks} paths")
    return " and ".join(reasons) or "no worse"


def recommend(summaries: list[PointSummary], tolerance: float) -> list[Recommendation]:
    """Pick the safe grid point (99% VaR within ``tolerance`` and no profitable manipulation)
    with the highest collateral factor, then the lowest VaR, bonus and window; say why the
    other values of each parameter lost, naming their bad-debt or manipulation runs."""
    safe = [s for s in summaries if s.var99 <= tolerance and not s.attack_profitable_runs]
    pool = safe or summaries
    best = min(
        pool,
        key=lambda s: (
            (-s.collateral_factor, s.var99, s.bonus, s.window)
            if safe
            else (len(s.attack_profitable_runs), s.var99, -s.collateral_factor)
        ),
    )
    head = "meets the tolerance" if safe else f"no grid point met the tolerance ({tolerance:.2%}); least bad"
    out: list[Recommendation] = []
    specs: list[tuple[str, str, float]] = [
        ("collateral_factor", "collateral factor", best.collateral_factor),
        ("bonus", "liquidation bonus", best.bonus),
        ("window", "TWAP window (s)", float(best.window)),
    ]
    for attr, name, value in specs:
        rivals = [
            s
            for s in summaries
            if getattr(s, attr) != value
            and all(getattr(s, a) == getattr(best, a) for a, _, _ in specs if a != attr)
        ]
        lost = [f"{getattr(r, attr)}: {_why_not(r, tolerance)}" for r in rivals if r not in safe]
        rival_runs = [run for r in rivals if r not in safe for run in _evidence(r)]
        reason = f"{name} {value:g} at {best.label}: {head} (99% VaR {best.var99:.2%}, "
        reason += f"{len(best.bad_debt_runs)}/{best.paths} bad-debt paths"
        reason += (
            f", manipulation median profit {best.attack_median_profit:,.0f} TUSD)" if best.attacks else ")"
        )
        if lost:
            reason += "; rejected " + "; ".join(lost)
        runs = (_evidence(best) or [f"{best.label}/p{i}" for i in range(min(3, best.paths))]) + rival_runs
        out.append(Recommendation(attr, value, reason, runs[: 2 * MAX_RUNS]))
    return out


def report_dict(run: StressRun) -> dict[str, Any]:
    """The whole run as JSON-ready data (every path included)."""
    summaries = [summarize(p, run.results[p.label]) for p in run.points]
    return {
        "kind": "aiweb3.redteam.stress",
        "config": asdict(run.config),
        "grid": [p.label for p in run.points],
        "skipped": [p.label for p in run.skipped],
        "summaries": [asdict(s) for s in summaries],
        "recommendations": [asdict(r) for r in recommend(summaries, run.config.tolerance)],
        "paths": {label: [asdict(r) for r in rs] for label, rs in run.results.items()},
        "transactions": run.transactions,
        "seconds": round(run.seconds, 3),
    }


def _markdown(data: dict[str, Any]) -> str:
    cfg = data["config"]
    lines = [
        "# Economic stress test",
        "",
        f"{cfg['paths']} paths per grid point, seed {cfg['seed']}, {cfg['steps']} steps of "
        f"{cfg['step_seconds']} s, prices fitted to {cfg['history']} ({'jumps' if cfg['jumps'] else 'GBM'}), "
        f"crash of {cfg['shock'][0]:.0%}-{cfg['shock'][1]:.0%} on {cfg['shock_probability']:.0%} of paths; "
        f"{cfg['borrowers']} borrowers, {cfg['liquidators']} liquidators, {cfg['flash_liquidators']} flash "
        f"liquidators, manipulator {'on' if cfg['manipulator'] else 'off'} "
        f"(push x{cfg['push']}, hold {cfg['hold']} s). "
        f"{data['transactions']} transactions in {data['seconds']:.0f} s. Losses are shares of the "
        f"{cfg['supply']:,.0f} TUSD supplied; profits in TUSD at the path's last price, gas excluded.",
        "",
        "| grid point | VaR 95% | VaR 99% | ES 99% | bad-debt paths | insolvent debt (sum) | "
        "liquidations (lost races) | manipulation profitable | median manipulation profit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data["summaries"]:
        lines.append(
            f"| {s['label']} | {s['var95']:.3%} | {s['var99']:.3%} | {s['es99']:.3%} | "
            f"{len(s['bad_debt_runs'])}/{s['paths']} | {s['insolvent_debt']:,.0f} | "
            f"{s['liquidations']} ({s['lost_races']}) | {len(s['attack_profitable_runs'])}/{s['attacks']} | "
            f"{s['attack_median_profit']:,.0f} |"
        )
    if data["skipped"]:
        lines += ["", "Skipped (LendingMarket refuses the factors): " + ", ".join(data["skipped"])]
    lines += ["", "## Recommendations", ""]
    for r in data["recommendations"]:
        lines.append(f"- **{r['parameter']} = {r['value']:g}** — {r['reason']}. Runs: {', '.join(r['runs'])}")
    lines += ["", "## Bad-debt paths", ""]
    for s in data["summaries"]:
        runs = s["bad_debt_runs"]
        lines.append(f"- {s['label']}: {', '.join(runs[:50]) or 'none'}{' …' if len(runs) > 50 else ''}")
    return "\n".join(lines) + "\n"


def write_report(data: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write :func:`report_dict` data as ``stress.json`` and ``stress.md`` in ``out_dir`` (each
    through a temporary file renamed into place)."""
    json_path, md_path = Path(out_dir) / "stress.json", Path(out_dir) / "stress.md"
    atomic_write_json(json_path, json.loads(json.dumps(data)))
    atomic_write_text(md_path, _markdown(data))
    return json_path, md_path
