"""Draw docs/model-structure.png: the model's main causal links and feedback loops.

The links are checked against the equations of models/ai_compute_economy.mdl (each arrow
names a chain of variables that exists there); rerun after a structural change:
`python tools/structure_figure.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "model-structure.png"

NODES = {  # name: (x, y, sector colour)
    "Hardware\nEfficiency": (0.08, 0.85, "#dde8f7"),
    "Deployed Algorithmic\nEfficiency": (0.08, 0.55, "#dde8f7"),
    "Remaining\nWaste": (0.08, 0.22, "#dde8f7"),
    "Price of\nAI Compute": (0.36, 0.72, "#f7e8dd"),
    "Scarcity\nMarkup": (0.36, 0.38, "#f7e8dd"),
    "AI Spending\nShare": (0.62, 0.72, "#e5f3e0"),
    "Task Coverage\n(capability)": (0.9, 0.72, "#efe3f5"),
    "Training Compute\nSpending": (0.9, 0.38, "#efe3f5"),
    "Compute\nSpending": (0.62, 0.38, "#f5f0d8"),
    "GDP": (0.62, 0.08, "#f5f0d8"),
    "Installed Compute\n(Datacenter Capex)": (0.36, 0.08, "#e0e0e0"),
    "Datacenter\nGrid Power": (0.1, 0.02, "#e0e0e0"),
}
LINKS = [  # cause, effect, polarity, curvature
    ("Hardware\nEfficiency", "Price of\nAI Compute", "-", 0.0),
    ("Deployed Algorithmic\nEfficiency", "Price of\nAI Compute", "-", 0.0),
    ("Remaining\nWaste", "Deployed Algorithmic\nEfficiency", "+", 0.25),
    ("Deployed Algorithmic\nEfficiency", "Remaining\nWaste", "-", 0.25),
    ("Price of\nAI Compute", "AI Spending\nShare", "- if sigma>1\n+ if sigma<1", 0.0),
    ("Task Coverage\n(capability)", "AI Spending\nShare", "+", 0.0),
    ("AI Spending\nShare", "Compute\nSpending", "+", 0.0),
    ("AI Spending\nShare", "Training Compute\nSpending", "+", -0.2),
    ("Training Compute\nSpending", "Task Coverage\n(capability)", "+", 0.3),
    ("Task Coverage\n(capability)", "Training Compute\nSpending", "- (saturation)", 0.3),
    ("Training Compute\nSpending", "Compute\nSpending", "+", 0.0),
    ("Compute\nSpending", "Scarcity\nMarkup", "+", 0.0),
    ("Scarcity\nMarkup", "Price of\nAI Compute", "+", 0.0),
    ("Compute\nSpending", "Installed Compute\n(Datacenter Capex)", "+ (build-out bound)", 0.2),
    ("Installed Compute\n(Datacenter Capex)", "Scarcity\nMarkup", "-", 0.0),
    ("AI Spending\nShare", "GDP", "+ (automation)", -0.35),
    ("GDP", "Compute\nSpending", "+", 0.0),
    ("Datacenter\nGrid Power", "Installed Compute\n(Datacenter Capex)", "+ (power bound)", 0.0),
    ("Scarcity\nMarkup", "Datacenter\nGrid Power", "+ (scarcity\nbrings power)", 0.25),
]
LOOPS = [
    (0.735, 0.47, "R  performance\n effect"), (0.49, 0.55, "B  capacity pricing"),
    (0.16, 0.38, "B  waste\nelimination"), (0.46, 0.22, "B  infrastructure"),
    (0.75, 0.2, "R  automation\n(jevons)"), (0.22, 0.14, "B  power"), (0.49, 0.86, "R/B  substitution\n(sign of sigma - 1)"),
]


def main() -> int:
    fig, ax = plt.subplots(figsize=(13, 7.5))
    ax.set_axis_off()
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.0)
    for name, (x, y, colour) in NODES.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.5", fc=colour, ec="#555"))
    for cause, effect, sign, rad in LINKS:
        (xa, ya, _), (xb, yb, _) = NODES[cause], NODES[effect]
        arrow = FancyArrowPatch((xa, ya), (xb, yb), connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                mutation_scale=16, color="#444", lw=1.2, shrinkA=38, shrinkB=38)
        ax.add_patch(arrow)
        mx, my = (xa + xb) / 2 + rad * (yb - ya) / 2, (ya + yb) / 2 - rad * (xb - xa) / 2  # arc3 midpoint
        ax.text(mx, my, sign, ha="center", va="center", fontsize=10, color="#a02020",
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    for x, y, label in LOOPS:
        ax.text(x, y, label, ha="center", va="center", fontsize=9, style="italic", color="#205090")
    ax.set_title("sdecon: main causal links (+/- polarity) and feedback loops (R reinforcing, B balancing)",
                 fontsize=12)
    fig.savefig(OUT, dpi=80, bbox_inches="tight")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
