-- Version 5: a bulk change (a role deletion reassigning its holders) sets
-- updated_at on every membership it changes. updated_at is in no index,
-- so with room left in each page PostgreSQL rewrites such a row in place
-- (a heap-only update) rather than adding an entry to each of the
-- table's four indexes. Pages of rows inserted from now on are filled to
-- half; rows already stored move to such pages only when the table is
-- rewritten (VACUUM FULL, CLUSTER), which a large installation may want
-- to schedule.
ALTER TABLE memberships SET (fillfactor = 50);

-- The roles of memberships must exist (I1). A foreign key checks that row
-- by row: one lookup per row a statement writes, a million for a role
-- deletion that reassigns a million holders. Triggers check it instead
-- once per statement, over the rows the statement wrote, and, at commit,
-- that no deleted role is still held. Writes to an environment are
-- serialized by the lock on its row, so no other transaction can delete a
-- role between the check and the commit.
ALTER TABLE membership_roles DROP CONSTRAINT membership_roles_env_role_scope_role_slug_fkey;

CREATE FUNCTION membership_roles_exist() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    missing record;
BEGIN
    SELECT w.env, w.role_scope, w.role_slug INTO missing FROM written w
    WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.env = w.env AND r.scope = w.role_scope AND r.slug = w.role_slug)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'membership role (%, %, %) is not a role', missing.env, missing.role_scope, missing.role_slug
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'membership_roles_role_fkey',
                TABLE = 'membership_roles';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER membership_roles_inserted_exist AFTER INSERT ON membership_roles
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION membership_roles_exist();
CREATE TRIGGER membership_roles_updated_exist AFTER UPDATE ON membership_roles
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION membership_roles_exist();

CREATE FUNCTION roles_not_held() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM roles r WHERE r.env = OLD.env AND r.scope = OLD.scope AND r.slug = OLD.slug) THEN
        RETURN NULL; -- the role is there again
    END IF;
    IF EXISTS (SELECT 1 FROM membership_roles m
               WHERE m.env = OLD.env AND m.role_scope = OLD.scope AND m.role_slug = OLD.slug) THEN
        RAISE EXCEPTION 'role (%, %, %) is deleted but still held by memberships', OLD.env, OLD.scope, OLD.slug
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'membership_roles_role_fkey',
                TABLE = 'membership_roles';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER roles_not_held AFTER DELETE OR UPDATE OF env, scope, slug ON roles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION roles_not_held();
