"""On PostgreSQL the database itself refuses to change or remove a row of the change history."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_changerecord_append_only() RETURNS trigger AS $$
BEGIN
  -- The one change allowed: an account deleted leaves its records behind with no actor (ON DELETE SET NULL).
  IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND NEW.id = OLD.id AND NEW.content_type_id = OLD.content_type_id
     AND NEW.object_id = OLD.object_id AND NEW.parent_type_id IS NOT DISTINCT FROM OLD.parent_type_id
     AND NEW.parent_id = OLD.parent_id AND NEW.action = OLD.action AND NEW.changes = OLD.changes
     AND NEW.actor_label = OLD.actor_label AND NEW.channel = OLD.channel AND NEW.request_id = OLD.request_id
     AND NEW.at = OLD.at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the change history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_changerecord_append_only BEFORE UPDATE OR DELETE ON audit_changerecord
  FOR EACH ROW EXECUTE FUNCTION audit_changerecord_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_changerecord_append_only ON audit_changerecord;
DROP FUNCTION IF EXISTS audit_changerecord_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_change_history")]
    operations = [migrations.RunPython(forward, backward)]
