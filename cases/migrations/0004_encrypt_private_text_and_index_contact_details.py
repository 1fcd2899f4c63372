"""Encrypt private free text and contact details at rest, and index contact details
for search (cases/crypto.py).

Existing rows are encrypted in place under the first key of REUNITE_ENCRYPTION_KEYS
(values that are already tokens are left alone); migrating back decrypts them. The
blind index is computed for every person with contact details.
"""

from django.db import migrations, models

import cases.crypto

ENCRYPTED = {
    "family": ["internal_summary"],
    "person": ["contact_details", "location_place", "notes"],
    "separation": ["details"],
    "statuschange": ["note"],
}


def _stored(model, name):
    """(pk, value as stored) of every row where the column is not blank."""
    rows = model._base_manager.annotate(_stored=cases.crypto.raw_values(name))
    return list(rows.exclude(_stored="").values_list("pk", "_stored"))


def _write_raw(model, pk, name, value):
    # A plain-text output field: the value is written exactly as given.
    raw = models.Value(value, output_field=models.TextField())
    model._base_manager.filter(pk=pk).update(**{name: raw})


def _is_token(value):
    try:
        cases.crypto.decrypt(value)
    except cases.crypto.DecryptionError:
        return False
    return True


def encrypt_existing_rows(apps, schema_editor):
    for model_name, names in ENCRYPTED.items():
        model = apps.get_model("cases", model_name)
        for name in names:
            for pk, stored in _stored(model, name):
                if not _is_token(stored):
                    _write_raw(model, pk, name, cases.crypto.encrypt(stored))
    person = apps.get_model("cases", "person")
    for pk, stored in _stored(person, "contact_details"):
        index = cases.crypto.contact_index(cases.crypto.decrypt(stored))
        person._base_manager.filter(pk=pk).update(contact_index=index)


def decrypt_existing_rows(apps, schema_editor):
    for model_name, names in ENCRYPTED.items():
        model = apps.get_model("cases", model_name)
        for name in names:
            for pk, stored in _stored(model, name):
                _write_raw(model, pk, name, cases.crypto.decrypt(stored))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_audit_trail_append_only_in_postgresql'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='contact_index',
            field=cases.crypto.BlindIndexField(blank=True, default='', editable=False, source='contact_details', verbose_name='contact search index'),
        ),
        migrations.AlterField(
            model_name='family',
            name='internal_summary',
            field=cases.crypto.EncryptedTextField(blank=True, verbose_name='internal summary'),
        ),
        migrations.AlterField(
            model_name='person',
            name='contact_details',
            field=cases.crypto.EncryptedTextField(blank=True, help_text='Phone, messaging, address. Never published or exported.', verbose_name='contact details'),
        ),
        migrations.AlterField(
            model_name='person',
            name='location_place',
            field=cases.crypto.EncryptedCharField(blank=True, help_text='Town, prefecture, facility. Sensitive inside China.', max_length=200, verbose_name='place'),
        ),
        migrations.AlterField(
            model_name='person',
            name='notes',
            field=cases.crypto.EncryptedTextField(blank=True, verbose_name='internal notes'),
        ),
        migrations.AlterField(
            model_name='separation',
            name='details',
            field=cases.crypto.EncryptedTextField(blank=True, verbose_name='internal details'),
        ),
        migrations.AlterField(
            model_name='statuschange',
            name='note',
            field=cases.crypto.EncryptedTextField(blank=True, verbose_name='note'),
        ),
        migrations.RunPython(encrypt_existing_rows, decrypt_existing_rows, elidable=False),
    ]
