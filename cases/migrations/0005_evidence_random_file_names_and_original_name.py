"""Evidence uploads are checked by content and stored under random names; the name a
file was uploaded under is kept, encrypted, in `source_document_name` (cases/evidence.py).

Files already stored keep their names (no URL reaches them); their original name is
taken from the stored one.
"""

from pathlib import PurePath

from django.db import migrations, models

import cases.crypto
import cases.evidence
import cases.models


def record_original_names(apps, schema_editor):
    entry = apps.get_model("cases", "timelineentry")
    stored = entry._base_manager.exclude(source_document="").values_list("pk", "source_document")
    for pk, name in list(stored):
        token = cases.crypto.encrypt(PurePath(name).name[:255])
        raw = models.Value(token, output_field=models.TextField())
        entry._base_manager.filter(pk=pk).update(source_document_name=raw)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_encrypt_private_text_and_index_contact_details'),
    ]

    operations = [
        migrations.AddField(
            model_name='timelineentry',
            name='source_document_name',
            field=cases.crypto.EncryptedCharField(blank=True, editable=False, max_length=255, verbose_name='original file name'),
        ),
        migrations.AlterField(
            model_name='timelineentry',
            name='source_document',
            field=cases.evidence.EvidenceFileField(blank=True, help_text='PDF, PNG, JPEG, WebP or plain text, up to 20 MB. Kept privately.', name_field='source_document_name', storage=cases.models.evidence_storage, upload_to=cases.evidence.evidence_upload_to, validators=[cases.evidence.validate_evidence_file], verbose_name='source document'),
        ),
        migrations.RunPython(record_original_names, migrations.RunPython.noop, elidable=False),
    ]
