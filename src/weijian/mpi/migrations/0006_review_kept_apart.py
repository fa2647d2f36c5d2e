"""A review item says why it was kept from an automatic link: a different ID number (was the boolean
`other_id_number`), a different newborn birth order, or a second attested name."""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    ReviewItem = apps.get_model("mpi", "ReviewItem")
    ReviewItem.objects.filter(other_id_number=True).update(kept_apart="id_number")


def carry_back(apps, schema_editor):
    ReviewItem = apps.get_model("mpi", "ReviewItem")
    ReviewItem.objects.filter(kept_apart="id_number").update(other_id_number=True)


class Migration(migrations.Migration):

    dependencies = [
        ("mpi", "0005_review_other_id_number"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewitem",
            name="kept_apart",
            field=models.CharField(
                blank=True,
                choices=[("id_number", "候选含不同身份证号"), ("birth_order", "候选含不同的新生儿出生顺序"),
                         ("name", "候选已有两条记录的另一姓名")],
                max_length=16,
                verbose_name="未自动关联的原因",
            ),
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="reviewitem", name="other_id_number"),
    ]
