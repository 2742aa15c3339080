"""The HubSpot source: a complete, rate-limit-aware portal snapshot over ``httpx``.

Public face::

    from engines.hubspot import HubSpotSource
    async with HubSpotSource.from_env() as source:       # HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_BASE
        snapshot = await source.snapshot("Sales Pipeline", progress=print)

``HubSpotClient`` is the lower-level paced/retrying JSON client (its ``stats`` count every request);
``RetryPolicy`` and ``RateLimits`` are the knobs; ``ApiPaths`` holds every path of one API version.
The CRM mirror (``bot.mirror``) reads through ``search_objects`` (keyset delta reads),
``count_objects``, ``read_archived``, ``merged_ids`` and ``read_portal_details``, per ``MirroredType``
(deals: ``DEALS``; the other object types: ``mirrored_object_types``).
Errors are the ``engines.errors.HubSpotError`` family.
"""

from __future__ import annotations

from engines.hubspot._delta import (
    DEALS,
    MERGED_IDS,
    ArchivedObject,
    Filter,
    Groups,
    MirroredType,
    Since,
    count_objects,
    filter_groups_per_search,
    merged_ids,
    millis,
    outside_scope,
    property_millis,
    read_archived,
    scope_matches,
    search_objects,
    with_filters,
)
from engines.hubspot._fetch import read_portal_details
from engines.hubspot._http import (
    DEFAULT_BASE_URL,
    REQUIRED_SCOPES,
    BorrowedTransport,
    ClientStats,
    HubSpotClient,
    Pacer,
    RateLimits,
    RetryPolicy,
)
from engines.hubspot._mapping import (
    ASSOCIATED_DEAL,
    BASE_DEAL_PROPERTIES,
    CURRENT_STAGE_ENTERED,
    OBJECT_SPECS,
    CrmRecord,
    RawDeal,
    StageKeys,
    property_text,
    stage_entry_properties,
    stage_keys,
    to_deal,
    to_record,
)
from engines.hubspot._mirrored import MIRRORED_OBJECTS, mirrored_object_types
from engines.hubspot._objects import (
    ALL_OBJECTS,
    ObjectsRead,
    batch_read,
    list_all,
    not_read_warning,
    read_associations,
    read_deal_line_items,
    read_objects,
    read_stage_options,
    read_ticket_pipelines,
    refused_read,
    unwrap_group,
    won_deal_ids,
)
from engines.hubspot._paths import API_VERSIONS, DEFAULT_API_VERSION, ApiPaths, ApiVersion
from engines.hubspot._source import HubSpotSource

__all__ = [
    "ALL_OBJECTS",
    "API_VERSIONS",
    "ASSOCIATED_DEAL",
    "BASE_DEAL_PROPERTIES",
    "CURRENT_STAGE_ENTERED",
    "DEALS",
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "MERGED_IDS",
    "MIRRORED_OBJECTS",
    "OBJECT_SPECS",
    "REQUIRED_SCOPES",
    "ApiPaths",
    "ApiVersion",
    "ArchivedObject",
    "BorrowedTransport",
    "ClientStats",
    "CrmRecord",
    "Filter",
    "Groups",
    "HubSpotClient",
    "HubSpotSource",
    "MirroredType",
    "ObjectsRead",
    "Pacer",
    "RateLimits",
    "RawDeal",
    "RetryPolicy",
    "Since",
    "StageKeys",
    "batch_read",
    "count_objects",
    "filter_groups_per_search",
    "list_all",
    "merged_ids",
    "millis",
    "mirrored_object_types",
    "not_read_warning",
    "outside_scope",
    "property_millis",
    "property_text",
    "read_archived",
    "read_associations",
    "read_deal_line_items",
    "read_objects",
    "read_portal_details",
    "read_stage_options",
    "read_ticket_pipelines",
    "refused_read",
    "scope_matches",
    "search_objects",
    "stage_entry_properties",
    "stage_keys",
    "to_deal",
    "to_record",
    "unwrap_group",
    "with_filters",
    "won_deal_ids",
]
