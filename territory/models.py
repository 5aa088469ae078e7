"""The area tree: district → street → community → grid, with hierarchical codes."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from territory.choices import CODE_LENGTH, PARENT_LEVEL, Level


class AreaQuerySet(models.QuerySet):
    def inside(self, code: str) -> "AreaQuerySet":
        """Areas at or below the area with this code: a prefix filter on an indexed column."""
        return self.filter(code__startswith=code)

    def grids(self) -> "AreaQuerySet":
        return self.filter(level=Level.GRID)


class Area(models.Model):
    """One node of the territory tree. A code's prefixes are its ancestors' codes."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # GeoJSON geometry in WGS-84 lon/lat (no GDAL/PostGIS needed; DESIGN §3).
    geometry = models.JSONField(_("geometry"))
    centroid_lon = models.FloatField(_("centroid longitude"))
    centroid_lat = models.FloatField(_("centroid latitude"))
    area_m2 = models.FloatField(_("area (m²)"))
    # Bounding box, so map and locator code can skip areas without parsing their geometry.
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="area_level_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        expected = CODE_LENGTH.get(self.level)
        if expected and (len(self.code) != expected or not self.code.isdigit()):
            raise ValidationError(
                {
                    "code": _("A %(level)s code has %(n)d digits.")
                    % {"level": self.level, "n": expected}
                }
            )
        if self.parent_id is None and PARENT_LEVEL.get(self.level) is not None:
            raise ValidationError({"parent": _("Only a district has no parent.")})
        if self.parent is not None and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": _("A code must start with its parent's code.")})

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes of this area's ancestors, district first (derived from the code itself)."""
        lengths = [n for n in CODE_LENGTH.values() if n < len(self.code)]
        return [self.code[:n] for n in sorted(lengths)]
