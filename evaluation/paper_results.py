"""The paper's own numbers, stored once, with where they come from.

Jung, You, Noh, Cho, Han. Real-Time Object Tracking via Meta-Learning: Efficient Model Adaptation
and One-Shot Channel Pruning. AAAI 2020, Tables 1-4. Succ / Prec are percentages (OTB success AUC
and precision at 20 px), FPS measured on a Titan Xp GPU with an i7-6850K, PR the prune rate in %.
Keys of each table's rows are `evaluation.rows.ROWS` keys.
"""
from __future__ import annotations

from typing import Any

SOURCE = ('Jung, You, Noh, Cho, Han: "Real-Time Object Tracking via Meta-Learning: Efficient Model Adaptation '
          'and One-Shot Channel Pruning", AAAI 2020')
MACHINE = 'NVIDIA Titan Xp, Intel Core i7-6850K 3.60 GHz (paper, Sec. 5)'

PAPER: dict[str, dict[str, Any]] = {
    'table1': {
        'where': 'Table 1: Analysis of proposed components for meta-learning on OTB2015',
        'dataset': 'OTB2015',
        'rows': {
            'rtmdnet': {'succ': 65.0, 'prec': 88.5, 'fps': 42},
            'metartt': {'succ': 65.5, 'prec': 89.0, 'fps': 58},
            'metartt-no-don': {'succ': 58.6, 'prec': 81.2, 'fps': 54},
            'metartt-no-hard': {'succ': 60.7, 'prec': 81.9, 'fps': 57},
            'metartt-scalar-lr': {'succ': 60.9, 'prec': 82.8, 'fps': 57},
            'metartt-prune': {'succ': 65.1, 'prec': 87.4, 'fps': 65},
            'metatracker': {'succ': 56.8, 'prec': 81.2, 'fps': 40},
            'metatracker-hard': {'succ': 62.7, 'prec': 86.2, 'fps': 41},
        },
    },
    'table2': {
        'where': 'Table 2: Accuracy with respect to the number of iterations K_init and K_on on OTB2015',
        'dataset': 'OTB2015',
        'rows': {
            'rtmdnet': {'succ': 65.0, 'prec': 88.5, 'fps': 42},
            'rtmdnet-50-5': {'succ': 61.9, 'prec': 83.1, 'fps': 54},
            'rtmdnet-5-15': {'succ': 60.6, 'prec': 80.8, 'fps': 43},
            'rtmdnet-5-5': {'succ': 57.8, 'prec': 77.5, 'fps': 55},
            'metartt': {'succ': 65.5, 'prec': 89.0, 'fps': 58},
        },
    },
    'table3': {
        'where': 'Table 3: Analysis of one-shot channel pruning on OTB2015 (PR = prune rate)',
        'dataset': 'OTB2015',
        'rows': {
            'metartt': {'succ': 65.5, 'prec': 89.0, 'fps': 58, 'pr': '0'},
            'metartt-prune': {'succ': 65.1, 'prec': 87.4, 'fps': 65, 'pr': '50 ± 5'},
            'metartt-prune-no-meta': {'succ': 61.7, 'prec': 83.1, 'fps': 64, 'pr': '49 ± 6'},
            'metartt-prune-static': {'succ': 60.9, 'prec': 81.2, 'fps': 59, 'pr': '53'},
        },
    },
    'table4': {
        'where': 'Table 4: Results on VOT2016 (EAO) and UAV123 (Succ, Prec)',
        'dataset': 'UAV123 / VOT2016',
        'rows': {
            'rtmdnet': {'succ': 52.8, 'prec': 77.2, 'eao': 0.322},
            'metartt': {'succ': 56.9, 'prec': 80.9, 'eao': 0.346},
            'metartt-coco': {'succ': 56.6, 'prec': 80.9, 'eao': 0.350},
            'metartt-prune': {'succ': 53.7, 'prec': 77.9, 'eao': 0.314},
        },
    },
}

# Table 1's component check marks (D_on, D_test^hard, theta_init^0, A_init, A_on, pruning), as printed.
TABLE1_COMPONENTS = ('D_on', 'D_hard', 'theta0', 'A_init', 'A_on', 'Prune')
TABLE1_CHECKS: dict[str, tuple[str, ...]] = {
    'rtmdnet': (),
    'metartt': ('D_on', 'D_hard', 'theta0', 'A_init', 'A_on'),
    'metartt-no-don': ('D_hard', 'theta0', 'A_init', 'A_on'),
    'metartt-no-hard': ('D_on', 'theta0', 'A_init', 'A_on'),
    'metartt-scalar-lr': ('D_on', 'D_hard', 'theta0'),
    'metartt-prune': TABLE1_COMPONENTS,
    'metatracker': ('theta0', 'A_init'),
    'metatracker-hard': ('D_hard', 'theta0', 'A_init'),
}

# Table 2's iteration counts (K_init, K_on) per row.
TABLE2_ITERS: dict[str, tuple[int, int]] = {
    'rtmdnet': (50, 15), 'rtmdnet-50-5': (50, 5), 'rtmdnet-5-15': (5, 15), 'rtmdnet-5-5': (5, 5), 'metartt': (5, 5),
}


def paper_value(table: str, row: str, metric: str) -> Any:
    """The paper's number for (table, row, metric), or None if the paper has none."""
    return PAPER.get(table, {}).get('rows', {}).get(row, {}).get(metric)
