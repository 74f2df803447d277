"""Small synthetic rate bundles for engine tests (no packaged data needed)."""

from __future__ import annotations

import numpy as np

from lossproj.rates.bundle import A_MAX, FERT_MAX, FERT_MIN, ParityModel, RateBundle


def synthetic_bundle(
    n_regions: int = 1,
    first_year: int = 1890,
    last_year: int = 2100,
    *,
    tfr: float = 1.8,
    child_mx: float = 0.01,
    adult_scale: float = 1.0,
    child_ages: int = 50,
    base_year: int = 2020,
) -> RateBundle:
    """Constant-in-time rates: Gompertz adult mortality, extra child mortality, bell ASFR."""
    n_y = last_year - first_year + 1
    ages = np.arange(A_MAX + 1)
    gompertz = np.minimum(adult_scale * 0.0005 * np.exp(0.09 * (ages - 30)), 2.0)
    mx = np.zeros((n_regions, 2, n_y, A_MAX + 1))
    mx[:, 0] = gompertz
    mx[:, 1] = np.minimum(gompertz * 1.3, 2.0)
    mx[:, :, :, :child_ages] += child_mx
    shape = np.exp(-0.5 * ((ages - 27) / 5.0) ** 2)
    shape[(ages < FERT_MIN) | (ages > FERT_MAX)] = 0.0
    asfr = np.zeros((n_regions, n_y, A_MAX + 1))
    asfr[:] = tfr * shape / shape.sum()
    base = np.zeros((n_regions, 2, A_MAX + 1))
    base[:, :, :101] = 1.0e5
    return RateBundle(
        name="synthetic",
        regions=tuple(f"R{i}" for i in range(n_regions)),
        region_codes=(0,) * n_regions,
        region_zh=("",) * n_regions,
        first_year=first_year,
        mx=mx,
        asfr=asfr,
        srb=np.full(n_y, 1.06),
        base_year=base_year,
        base_population=base,
    )


def synthetic_parity(
    bundle: RateBundle,
    *,
    second: float = 0.5,
    third: float = 0.2,
    more: float = 0.2,
    replace: float = 0.8,
    gaps=(-2, 7),
    union_age: int = 15,
) -> ParityModel:
    n_r = len(bundle.regions)
    n_y = bundle.mx.shape[2]
    rel = np.zeros((n_r, 4, n_y))
    rel[:, 0] = 1.0
    rel[:, 1] = second
    rel[:, 2] = third
    rel[:, 3] = more
    values = np.arange(gaps[0], gaps[1] + 1)
    return ParityModel(
        rel=rel,
        dur1=np.array([0.0, 0.5, 1.0, 1.0, 1.0, 0.9, 0.8]),
        replace_share=np.where((np.arange(A_MAX + 1) >= FERT_MIN) & (np.arange(A_MAX + 1) <= FERT_MAX), replace, 0.0)[None, None, :]
        * np.ones((n_r, n_y, 1)),
        wait_pmf=np.array([0.3, 0.4, 0.2, 0.1]),
        union_age=union_age,
        gap_values=values,
        gap_pmf=np.full(values.size, 1.0 / values.size),
    )
