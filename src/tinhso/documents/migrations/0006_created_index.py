from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0005_search_trigram'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['created_at', 'id'], name='document_created_id'),
        ),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['agency', 'created_at', 'id'], name='document_agency_created'),
        ),
    ]
