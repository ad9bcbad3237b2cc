-- Version 3: the change feed says, item by item, what each write changed
-- in the organizations it touched (what rbac.Change calls itemized), so
-- that a reader refreshes one membership or one role rather than a whole
-- organization. A write that changed more memberships than a row lists
-- (a role deletion reassigning its holders) is marked bulk instead.
-- Rows written before this version stay not itemized.
ALTER TABLE changes ADD COLUMN itemized boolean NOT NULL DEFAULT false;
ALTER TABLE changes ADD COLUMN bulk boolean NOT NULL DEFAULT false;
ALTER TABLE changes ADD COLUMN settings text[] COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE changes ADD COLUMN role_orgs text[] COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE changes ADD COLUMN role_slugs text[] COLLATE "C" NOT NULL DEFAULT '{}';
-- The memberships changed: ids, with their organizations and users.
ALTER TABLE changes ADD COLUMN memberships text[] COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE changes ADD COLUMN membership_orgs text[] COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE changes ADD COLUMN membership_users text[] COLLATE "C" NOT NULL DEFAULT '{}';
