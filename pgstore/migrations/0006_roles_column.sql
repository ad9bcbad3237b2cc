-- Version 6: the roles of a membership are a column of its row, a sorted
-- array, rather than rows of their own. A role deletion that reassigns a
-- million holders then rewrites a million membership rows that it
-- rewrote anyway (for updated_at), and since no index covers roles or
-- updated_at each is a heap-only update: no index entry is written. With
-- a table of rows per held role, each holder's row changed its role, the
-- second column of two indexes, and the deletion wrote two million index
-- entries.
--
-- Who holds a role is found through role_holders: for each organization
-- and role slug, the number of the organization's memberships holding it.
-- The statements of pgstore that write memberships keep it up to date in
-- the same statement (it is derived: write memberships through pgstore
-- only; a count that falls to zero keeps its row). A role is deleted only
-- when no organization counts a holder of it (I1), and a role written
-- into a membership must exist (a trigger checks every statement's rows).
ALTER TABLE memberships ADD COLUMN roles text[] COLLATE "C" NOT NULL DEFAULT '{}';

UPDATE memberships m SET roles = r.roles
FROM (SELECT env, membership_id, array_agg(role_slug ORDER BY role_slug) AS roles
      FROM membership_roles GROUP BY env, membership_id) r
WHERE m.env = r.env AND m.id = r.membership_id;

CREATE TABLE role_holders (
    env       text COLLATE "C" NOT NULL,
    org_id    text COLLATE "C" NOT NULL,
    role_slug text COLLATE "C" NOT NULL,
    holders   integer NOT NULL CHECK (holders >= 0),
    PRIMARY KEY (env, role_slug, org_id),
    FOREIGN KEY (env, org_id) REFERENCES organizations ON DELETE CASCADE
) WITH (fillfactor = 50); -- counts change in place (holders is in no index)
CREATE INDEX role_holders_org_idx ON role_holders (env, org_id);

INSERT INTO role_holders (env, org_id, role_slug, holders)
SELECT env, org_id, role_slug, count(*) FROM membership_roles GROUP BY env, org_id, role_slug;

DROP TABLE membership_roles;
DROP FUNCTION membership_roles_exist();
-- The unique key that only the roles' foreign key to memberships used.
ALTER TABLE memberships DROP CONSTRAINT memberships_id_org;

CREATE FUNCTION memberships_roles_exist() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    missing record;
BEGIN
    -- A statement that writes only roles known to exist (a role deletion
    -- reassigning holders to defaults, which foreign keys check) says so
    -- for its own duration.
    IF current_setting('rbac.membership_roles_checked', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- The distinct roles first: a million rows written hold few.
    SELECT w.env, w.scope, w.slug INTO missing FROM (
        SELECT DISTINCT w.env, CASE WHEN left(r.slug, 4) = 'org-' THEN w.org_id ELSE '' END AS scope, r.slug
        FROM written w, unnest(w.roles) AS r(slug)) w
    WHERE NOT EXISTS (SELECT 1 FROM roles x WHERE x.env = w.env AND x.scope = w.scope AND x.slug = w.slug)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'membership role (%, %, %) is not a role', missing.env, missing.scope, missing.slug
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'membership_roles_role_fkey',
                TABLE = 'memberships';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER memberships_inserted_roles_exist AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION memberships_roles_exist();
CREATE TRIGGER memberships_updated_roles_exist AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION memberships_roles_exist();

CREATE OR REPLACE FUNCTION roles_not_held() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM roles r WHERE r.env = OLD.env AND r.scope = OLD.scope AND r.slug = OLD.slug) THEN
        RETURN NULL; -- the role is there again
    END IF;
    IF EXISTS (SELECT 1 FROM role_holders h
               WHERE h.env = OLD.env AND h.role_slug = OLD.slug AND (OLD.scope = '' OR h.org_id = OLD.scope)
                   AND h.holders > 0) THEN
        RAISE EXCEPTION 'role (%, %, %) is deleted but still held by memberships', OLD.env, OLD.scope, OLD.slug
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'membership_roles_role_fkey',
                TABLE = 'memberships';
    END IF;
    RETURN NULL;
END $$;
