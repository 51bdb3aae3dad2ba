"""Every dashboard section, in navigation order. A landing feature adds its module here.

To plug in a feature: write ``routers/<feature>.py`` exposing ``feature = Feature(...)`` (an API
router calling the feature's public names, a page router, ``templates/<feature>.html``), then
replace its placeholder below with ``<feature>.feature``.
"""

from aiweb3.server.features import Feature
from aiweb3.server.routers import (
    agents,
    analytics,
    apidocs,
    chain,
    content,
    datasets,
    defi,
    explorer,
    games,
    jobs,
    models,
    network,
    overview,
    privacy,
    redteam,
    social,
    verify,
)

__all__ = ["FEATURES"]

FEATURES: list[Feature] = [
    overview.feature,
    chain.feature,
    models.feature,
    content.feature,
    datasets.feature,
    agents.feature,
    defi.feature,
    games.feature,
    redteam.feature,
    social.feature,
    network.feature,
    privacy.feature,
    analytics.feature,
    jobs.feature,
    verify.feature,
    explorer.feature,
    apidocs.feature,
]
