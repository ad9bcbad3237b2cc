-- Version 4: every role row carries its permissions, sorted, in a column
-- of its own, so that a role is read, and every role of an environment
-- listed, without a lookup of role_permissions per role. role_permissions
-- stays the table writes go to (its keys refuse unknown permissions and
-- cascade deletions); the triggers below set the column from it after
-- every statement that changes it, cascades included.
ALTER TABLE roles ADD COLUMN permissions text[] COLLATE "C" NOT NULL DEFAULT '{}';

UPDATE roles r SET permissions = p.perms
FROM (SELECT env, role_scope, role_slug, array_agg(permission ORDER BY permission) AS perms
      FROM role_permissions GROUP BY env, role_scope, role_slug) p
WHERE r.env = p.env AND r.scope = p.role_scope AND r.slug = p.role_slug;

CREATE FUNCTION role_permissions_inserted() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE roles r SET permissions = coalesce((SELECT array_agg(p.permission ORDER BY p.permission)
            FROM role_permissions p WHERE p.env = r.env AND p.role_scope = r.scope AND p.role_slug = r.slug), '{}')
    WHERE (r.env, r.scope, r.slug) IN (SELECT env, role_scope, role_slug FROM changed_new);
    RETURN NULL;
END $$;

CREATE FUNCTION role_permissions_deleted() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE roles r SET permissions = coalesce((SELECT array_agg(p.permission ORDER BY p.permission)
            FROM role_permissions p WHERE p.env = r.env AND p.role_scope = r.scope AND p.role_slug = r.slug), '{}')
    WHERE (r.env, r.scope, r.slug) IN (SELECT env, role_scope, role_slug FROM changed_old);
    RETURN NULL;
END $$;

CREATE FUNCTION role_permissions_updated() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE roles r SET permissions = coalesce((SELECT array_agg(p.permission ORDER BY p.permission)
            FROM role_permissions p WHERE p.env = r.env AND p.role_scope = r.scope AND p.role_slug = r.slug), '{}')
    WHERE (r.env, r.scope, r.slug) IN (SELECT env, role_scope, role_slug FROM changed_old
                                       UNION SELECT env, role_scope, role_slug FROM changed_new);
    RETURN NULL;
END $$;

CREATE TRIGGER role_permissions_inserted AFTER INSERT ON role_permissions
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_inserted();
CREATE TRIGGER role_permissions_deleted AFTER DELETE ON role_permissions
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_deleted();
CREATE TRIGGER role_permissions_updated AFTER UPDATE ON role_permissions
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION role_permissions_updated();
