"""Every HubSpot path the client calls, for one API version: the one place the version lives.

HubSpot's REST APIs moved to date-based paths on 2026-03-30 (``/crm/objects/2026-03/deals/search``);
the ``v3`` paths lose support in September 2027. ``2026-03`` is the default and ``v3`` stays
selectable (``HUBSPOT_API_VERSION=v3``) for portals or proxies that still need it. Each path below
was checked against HubSpot's public OpenAPI spec collection (``HubSpot/HubSpot-public-api-spec-
collection``): Account Info ``/account-info/2026-03/details``, CRM Owners ``/crm/owners/2026-03``,
Pipelines ``/crm/pipelines/2026-03/{objectType}``, Objects ``/crm/objects/2026-03/{objectType}`` (list,
``?archived=true``) and ``/crm/objects/2026-03/{objectType}/search``; their v3 twins are
``/account-info/v3/details``, ``/crm/v3/owners``, ``/crm/v3/pipelines/{objectType}`` and
``/crm/v3/objects/{objectType}[/search]``; Properties ``/crm/properties/2026-03/{objectType}/{name}``
(v3: ``/crm/v3/properties/…``) and Associations ``/crm/associations/2026-03/{from}/{to}/batch/read``
(beside v3: ``/crm/v4/associations/…``). Object types are named (``deals``, ``contacts``), which the
generic Objects spec accepts beside the numeric ids (``0-3``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["API_VERSIONS", "DEFAULT_API_VERSION", "ApiPaths", "ApiVersion"]

ApiVersion = Literal["2026-03", "v3"]
API_VERSIONS: tuple[str, ...] = get_args(ApiVersion)
DEFAULT_API_VERSION: ApiVersion = "2026-03"


@dataclass(frozen=True, slots=True)
class ApiPaths:
    """The paths of one API version. ``ApiPaths()`` is the default (date-based) version."""

    version: ApiVersion = DEFAULT_API_VERSION

    def __post_init__(self) -> None:
        if self.version not in API_VERSIONS:
            raise ValueError(
                f"HubSpot API version must be one of {', '.join(API_VERSIONS)}, not {self.version!r}"
            )

    @property
    def _dated(self) -> bool:
        return self.version != "v3"

    @property
    def account(self) -> str:
        return f"/account-info/{self.version}/details"

    @property
    def owners(self) -> str:
        return f"/crm/owners/{self.version}" if self._dated else "/crm/v3/owners"

    def pipelines(self, object_type: str = "deals") -> str:
        if self._dated:
            return f"/crm/pipelines/{self.version}/{object_type}"
        return f"/crm/v3/pipelines/{object_type}"

    def objects(self, object_type: str = "deals") -> str:
        """The list endpoint (``GET``; ``?archived=true`` lists archived records with ``archivedAt``)."""
        if self._dated:
            return f"/crm/objects/{self.version}/{object_type}"
        return f"/crm/v3/objects/{object_type}"

    def search(self, object_type: str = "deals") -> str:
        return f"{self.objects(object_type)}/search"

    def batch_read(self, object_type: str) -> str:
        return f"{self.objects(object_type)}/batch/read"

    def property(self, object_type: str, name: str) -> str:
        """One property's definition (``/crm/properties/2026-03/{type}/{name}``)."""
        if self._dated:
            return f"/crm/properties/{self.version}/{object_type}/{name}"
        return f"/crm/v3/properties/{object_type}/{name}"

    def associations_batch_read(self, from_type: str, to_type: str) -> str:
        """Associations, batch read (v4 beside v3; ``/crm/associations/2026-03/…`` dated)."""
        if self._dated:
            return f"/crm/associations/{self.version}/{from_type}/{to_type}/batch/read"
        return f"/crm/v4/associations/{from_type}/{to_type}/batch/read"
