-- Version 4: every role row carries its permissions in a column of its
-- own — the slugs sorted, separated by single spaces (a slug has none) —
-- so that a role is read, and every role of an environment listed,
-- without a lookup of role_permissions per role, and sent as one string
-- rather than an array of strings. role_permissions
-- stays the table writes go to (its keys refuse unknown permissions and
-- cascade deletions); the triggers below set the column from it after
-- every statement that changes it, cascades included.
ALTER TABLE roles ADD COLUMN permissions text COLLATE "C" NOT NULL DEFAULT '';

UPDATE roles r SET permissions = p.perms
FROM (SELECT env, role_scope, role_slug, string_agg(permission, ' ' ORDER BY permission) AS perms
      FROM role_permissions GROUP BY env, role_scope, role_slug) p
WHERE r.env = p.env AND r.scope = p.role_scope AND r.slug = p.role_slug;

-- One function serves every trigger: each names its transition table
-- "changed" (an update has two triggers, one for the rows as they were and
-- one for the rows as they are). A role written with its column already
-- right (pgstore writes it with the role) is left alone.
CREATE FUNCTION role_permissions_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE roles r SET permissions = x.perms
    FROM (SELECT c.env, c.role_scope, c.role_slug,
                 coalesce((SELECT string_agg(p.permission, ' ' ORDER BY p.permission) FROM role_permissions p
                           WHERE p.env = c.env AND p.role_scope = c.role_scope AND p.role_slug = c.role_slug), '') AS perms
          FROM (SELECT DISTINCT env, role_scope, role_slug FROM changed) c) x
    WHERE r.env = x.env AND r.scope = x.role_scope AND r.slug = x.role_slug AND r.permissions <> x.perms;
    RETURN NULL;
END $$;

CREATE TRIGGER role_permissions_inserted AFTER INSERT ON role_permissions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_changed();
CREATE TRIGGER role_permissions_deleted AFTER DELETE ON role_permissions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_changed();
CREATE TRIGGER role_permissions_updated_from AFTER UPDATE ON role_permissions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_changed();
CREATE TRIGGER role_permissions_updated_to AFTER UPDATE ON role_permissions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_changed();
