"""How long free text may be (issue 17: a 5 MB note once made a lead page 8 MB for
everyone). One limit per kind of text, held alike by the model (a validator, so
`full_clean` refuses), the forms and the API (both take `max_length` from the field).

TextField keeps no length in the database; the limit is a rule of the portal, so raising
it needs no data migration.
"""

from django.core.validators import MaxLengthValidator
from django.db import models

#: A note, a comment, what helped: a few paragraphs.
NOTE = 5_000
#: Minutes of a meeting, a term's definition, a goal statement.
LONG = 20_000
#: A free section of the agreement document (Markdown).
DOCUMENT = 100_000


def limited_text(verbose_name, limit: int, **options) -> models.TextField:
    """A TextField of at most `limit` characters (model, forms and API alike)."""
    return models.TextField(
        verbose_name, max_length=limit, validators=[MaxLengthValidator(limit)], **options
    )
