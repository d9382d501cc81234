"""On PostgreSQL the database itself refuses to change or remove a row of the security log."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_securityevent_append_only() RETURNS trigger AS $$
BEGIN
  -- The one change allowed: an account deleted leaves its events behind with no actor (ON DELETE SET NULL).
  IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND NEW.id = OLD.id AND NEW.kind = OLD.kind
     AND NEW.actor_label = OLD.actor_label AND NEW.ip IS NOT DISTINCT FROM OLD.ip
     AND NEW.request_id = OLD.request_id AND NEW.detail = OLD.detail AND NEW.created_at = OLD.created_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the security log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_securityevent_append_only BEFORE UPDATE OR DELETE ON audit_securityevent
  FOR EACH ROW EXECUTE FUNCTION audit_securityevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_securityevent_append_only ON audit_securityevent;
DROP FUNCTION IF EXISTS audit_securityevent_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_security_log")]
    operations = [migrations.RunPython(forward, backward)]
