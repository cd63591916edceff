"""The foreign key to a consultation request is called `consultation` (not `request`, the HTTP
request everywhere else). State only: db_column keeps the column `request_id`, so no data moves."""

from django.db import migrations, models

MODELS = {
    "screeninganswer": ("answers", models.CASCADE, False),
    "flag": ("flags", models.CASCADE, False),
    "photo": ("photos", models.CASCADE, False),
    "statuschange": ("status_changes", models.CASCADE, False),
    "note": ("notes", models.CASCADE, False),
    "auditevent": ("+", models.SET_NULL, True),
    "additionalinfo": ("additional_info", models.CASCADE, False),
}


def state_operations():
    operations = []
    for model, (related_name, on_delete, nullable) in MODELS.items():
        operations.append(migrations.RenameField(model_name=model, old_name="request", new_name="consultation"))
        operations.append(
            migrations.AlterField(
                model_name=model,
                name="consultation",
                field=models.ForeignKey(
                    db_column="request_id",
                    on_delete=on_delete,
                    related_name=related_name,
                    to="consultations.consultationrequest",
                    **({"null": True, "blank": True} if nullable else {}),
                ),
            )
        )
    return operations


class Migration(migrations.Migration):
    dependencies = [("consultations", "0003_roles")]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations(), database_operations=[])]
