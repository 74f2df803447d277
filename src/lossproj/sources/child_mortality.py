"""Published urban and rural child mortality (infant and under-5), transcribed with its sources.

The figures are not held in the raw folder: they are transcribed here, each with its
publication, from the pages named in :data:`CHILD_MORTALITY_SOURCES`.
``lossproj.rates.child_mortality`` takes their urban/rural ratio for the relative mortality of
first-born and later-born children. :data:`NOTES` holds the provenance paragraph of the table
for ``data/README.md``.
"""

from __future__ import annotations

import pandas as pd

from lossproj.errors import DataError

#: Publications of the urban and rural child mortality figures: key -> (source text, where
#: the value was seen, origin, confidence). ``origin``: ``published`` = the publisher's own
#: text (article abstract of the surveillance network); ``second-hand`` = a news report
#: quoting the official release. ``confidence`` ``H``: the value was seen verbatim at the URL.
CHILD_MORTALITY_SOURCES: dict[str, tuple[str, str, str, str]] = {
    "mch_1996_2000": (
        "Analysis of under 5 years old children mortality and the leading death cause in China "
        "from 1996 to 2000. Zhonghua Yu Fang Yi Xue Za Zhi 2005;39(4):260-264 (PMID 16194383); "
        "national child mortality surveillance network, 116 counties (cities); abstract",
        "https://search.bvsalud.org/gim/resource/en/wpr-282350 ; "
        "https://api-pubmed-ncbi.laibokeji.com/16194383",
        "published",
        "H",
    ),
    "wang_2009": (
        "Wang Y, Zhu J, Miao L, Dai L, He C, Li X, Liang J (2009), Analysis on under-5 "
        "mortality rate and the leading kinds of diseases in China, 2000-2006. Zhonghua Liu "
        "Xing Bing Xue Za Zhi 30(5):466-470 (PMID 19799142; National Office for Maternal and "
        "Child Health Surveillance); abstract",
        "http://chinaepi.icdc.cn/zhlxbx/ch/reader/view_abstract.aspx?file_no=20090514&flag=1 ; "
        "https://search.bvsalud.org/gim/resource/en/wpr-266499",
        "published",
        "H",
    ),
    "xinhua_2006": (
        "Xinhua, Hangzhou, 16 Nov 2006 (reprinted by Henan Daily / Sina, 17 Nov 2006): 2006 "
        "national maternal and child health work conference, 2005 MCH surveillance results "
        "quoted by Vice-minister of Health Jiang Zuojun; news report",
        "http://news.sina.com.cn/c/h/2006-11-17/043811539266.shtml",
        "second-hand",
        "H",
    ),
    "nbs_2016": (
        "NBS (2016), 《中国儿童发展纲要(2011-2020年)》中期统计监测报告 (mid-term statistical "
        "monitoring report of the Programme for the Development of Chinese Children, released "
        "3 Nov 2016; data from MCH surveillance), as quoted by Jiemian news, 3 Nov 2016",
        "https://www.jiemian.com/article/938513.html",
        "second-hand",
        "H",
    ),
}

#: Urban and rural infant (IMR) and under-5 (U5MR) mortality [deaths per 1000 live births]:
#: (year, source key, IMR urban, IMR rural, U5MR urban, U5MR rural). Only years with both an
#: urban and a rural value of the same publication; 2000 appears in both surveillance papers
#: with the same values (kept from Wang et al. 2009).
CHILD_MORTALITY_RESIDENCE: tuple[tuple[int, str, float, float, float, float], ...] = (
    (1996, "mch_1996_2000", 14.8, 40.9, 16.9, 51.4),
    (2000, "wang_2009", 11.8, 37.0, 13.8, 45.7),
    (2005, "xinhua_2006", 9.1, 21.6, 10.7, 25.7),
    (2006, "wang_2009", 8.0, 19.7, 9.6, 23.6),
    (2015, "nbs_2016", 4.7, 9.6, 5.8, 12.9),
)
CHILD_MORTALITY_UNIT = "per 1000 live births"


def child_mortality_residence() -> pd.DataFrame:
    """Urban and rural infant and under-5 mortality, one row per (year, indicator, residence).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, indicator, residence, value, unit, origin, confidence, source, url``:
        ``value`` [deaths before age 1 (``imr``) or 5 (``u5mr``) per 1000 live births of the
        calendar year], ``residence`` ``urban`` or ``rural`` as the surveillance defines them,
        one row per figure of :data:`CHILD_MORTALITY_RESIDENCE` with its publication.

    Raises
    ------
    DataError
        If an urban value is not positive or exceeds the rural one of the same year.
    """
    rows = []
    for year, key, imr_u, imr_r, u5_u, u5_r in CHILD_MORTALITY_RESIDENCE:
        source, url, origin, confidence = CHILD_MORTALITY_SOURCES[key]
        for indicator, urban, rural in (("imr", imr_u, imr_r), ("u5mr", u5_u, u5_r)):
            if not 0 < urban <= rural:
                raise DataError(
                    f"child mortality {year} {indicator}: urban {urban} and rural {rural}; "
                    "expected 0 < urban <= rural"
                )
            for residence, value in (("urban", urban), ("rural", rural)):
                rows.append((year, indicator, residence, value, CHILD_MORTALITY_UNIT, origin,
                             confidence, source, url))
    columns = ["year", "indicator", "residence", "value", "unit", "origin", "confidence", "source", "url"]
    return pd.DataFrame(rows, columns=columns).sort_values(["year", "indicator", "residence"],
                                                           ascending=[True, True, False],
                                                           ignore_index=True)


NOTES: dict[str, str] = {
    "child_mortality_residence.csv": (
        "**Publishers:** China's national surveillance of deaths under age 5 (maternal and "
        "child health (MCH) surveillance of the Ministry of Health, now the National Health "
        "Commission; 116 sample counties and cities in 31 provinces around 2000), as published "
        "for 1996 in *Zhonghua Yu Fang Yi Xue Za Zhi* 2005;39(4):260-264 (PMID 16194383) and "
        "for 2000 and 2006 in Wang et al. (2009), *Zhonghua Liu Xing Bing Xue Za Zhi* "
        "30(5):466-470 (PMID 19799142); the 2005 results as announced by the Ministry of Health "
        "and reported by Xinhua (16 Nov 2006); the 2015 values of NBS's mid-term statistical "
        "monitoring report of the Programme for the Development of Chinese Children (2016) as "
        "quoted by the news. **License:** official statistics and journal abstracts, no "
        "explicit open-data license; only the published numbers are reproduced, each row with "
        "its source. **Carrier:** hand transcription of the pages named in `url` (abstracts and "
        "news text; the printed tables were not seen) into `lossproj.sources.child_mortality` "
        "(`CHILD_MORTALITY_RESIDENCE`, `CHILD_MORTALITY_SOURCES`); not held in raw/. **Units:** "
        "`value` deaths before age 1 (`imr`) or before age 5 (`u5mr`) per 1000 live births of "
        "the calendar `year`. `residence` as the surveillance defines it: `urban` = city "
        "districts (城市), `rural` = counties (农村), so towns in counties count as rural there, "
        "whereas the census's `town` (镇) includes them. **Columns:** `origin` is `published` "
        "(the surveillance paper's own abstract: 1996, 2000, 2006) or `second-hand` (a news "
        "report quoting the official release: 2005, 2015); `derived` (computed here, not "
        "published) is allowed but no row uses it. `confidence` `H`: the value was seen "
        "verbatim at `url`. **Selection:** only years with an urban and a rural value of the "
        "same indicator from the same publication: 1996, 2000, 2005, 2006, 2015 (2000 is also in "
        "the 1996-2000 paper, with the same values). Left out: years with a national value only "
        "(e.g. 2010, 2020); 2010 urban values derived from published percentage declines (no "
        "rural 2010 value was found); the 1981 census IMR by residence (rural infant deaths "
        "under-reported by about 44 %); the 1988 fertility survey IMR by residence and sex and "
        "the 1990 census values of Anhui and Henan (second-hand or two provinces only); neonatal "
        "mortality. **Use:** `lossproj.rates.child_mortality` takes the urban/rural U5MR ratio "
        "(0.329 in 1996, 0.302 in 2000, 0.416 in 2005, 0.407 in 2006, 0.450 in 2015) for the "
        "relative mortality of first-born and later-born children."
    ),
}
